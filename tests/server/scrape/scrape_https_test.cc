// Scraping over https with a job's tls_config and basic_auth, against Tally's own HTTPS
// server (--web.config.file with TLS and basic_auth_users): the right credentials give
// up = 1 and the samples; a wrong password gives up = 0 with Prometheus's 401 error; a
// tls_config whose CA file does not load is handled as 2.42 handles it.

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config.h"
#include "server/http/http_server.h"
#include "server/scrape/scrape_manager.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_certs.h"

namespace tally::server::scrape {
namespace {

class ScrapeHttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s = testutil::MakeTestCertificates(dir_.path());
    if (absl::IsFailedPrecondition(s)) GTEST_SKIP() << s.message();
    ASSERT_TRUE(s.ok()) << s;
    std::ofstream(dir_.Sub("web.yml"))
        << "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
        << "basic_auth_users:\n  scraper: " << testutil::BcryptForTest("pw") << "\n";
    http::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.web_config_file = dir_.Sub("web.yml");
    target_ = std::make_unique<http::HttpServer>(
        o, [](const http::HttpRequest&, http::HttpResponse* resp) {
          resp->content_type = "text/plain; version=0.0.4";
          resp->body = "secure_metric 42\n";
        });
    ASSERT_TRUE(target_->Start().ok());
    auto db = storage::DB::Open(testutil::TestOptions(dir_.Sub("db")));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  void TearDown() override {
    if (target_) target_->Shutdown(absl::Seconds(2));
  }

  std::string Yaml(const std::string& job, const std::string& password,
                   const std::string& ca_file) {
    return absl::StrCat("scrape_configs:\n  - job_name: ", job,
                        "\n    scheme: https\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n"
                        "    tls_config:\n      ca_file: ", ca_file,
                        "\n    basic_auth:\n      username: scraper\n      password: ", password,
                        "\n    static_configs:\n      - targets: ['127.0.0.1:", target_->port(),
                        "']\n");
  }
  config::Config Parse(const std::string& yaml) {
    absl::StatusOr<config::Config> c = config::ParseConfig(yaml);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : config::Config{};
  }
  // The first scrape's outcome of the only target, waited for (bounded).
  TargetStatus FirstScrape(ScrapeManager& m) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (absl::Now() < deadline) {
      std::vector<ActiveTargetInfo> t = m.ActiveTargets();
      if (t.size() == 1 && t[0].status.health != TargetHealth::kUnknown) return t[0].status;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return {};
  }

  testutil::TempDir dir_;
  std::unique_ptr<http::HttpServer> target_;
  std::unique_ptr<storage::DB> db_;
};

TEST_F(ScrapeHttpsTest, ScrapesWithTheJobsCaAndCredentials) {
  ScrapeManager m(db_.get(), {.workers = 2});
  ASSERT_TRUE(m.ApplyConfig(Parse(Yaml("secure", "pw", dir_.Sub("ca.pem")))).ok());
  TargetStatus st = FirstScrape(m);
  EXPECT_EQ(st.health, TargetHealth::kUp) << st.last_error;
  EXPECT_EQ(m.ActiveTargets()[0].scrape_url,
            absl::StrCat("https://127.0.0.1:", target_->port(), "/metrics"));
  auto got = testutil::QueryAll(db_.get(),
                                testutil::MakeMatchers({{"=", "__name__", "secure_metric"}}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second.at(0).v, 42);
}

TEST_F(ScrapeHttpsTest, WrongPasswordIsA401) {
  ScrapeManager m(db_.get(), {.workers = 2});
  ASSERT_TRUE(m.ApplyConfig(Parse(Yaml("secure", "nope", dir_.Sub("ca.pem")))).ok());
  TargetStatus st = FirstScrape(m);
  EXPECT_EQ(st.health, TargetHealth::kDown);
  EXPECT_EQ(st.last_error, "server returned HTTP status 401 Unauthorized");
}

TEST_F(ScrapeHttpsTest, UnloadableCaFileLeavesANewJobOutAndKeepsARunningOne) {
  // Prometheus compat (scrape.Manager 2.42): a new pool whose client cannot be created is
  // logged and skipped; a running pool's failed reload fails the whole config.
  ScrapeManager m(db_.get(), {.workers = 2});
  const std::string missing = dir_.Sub("missing.pem");
  ASSERT_TRUE(m.ApplyConfig(Parse(Yaml("secure", "pw", missing))).ok());
  EXPECT_TRUE(m.ActiveTargets().empty());

  ASSERT_TRUE(m.ApplyConfig(Parse(Yaml("secure", "pw", dir_.Sub("ca.pem")))).ok());
  EXPECT_EQ(FirstScrape(m).health, TargetHealth::kUp);
  absl::Status s = m.ApplyConfig(Parse(Yaml("secure", "pw", missing)));
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message(),
            absl::StrCat("failed to apply the new configuration: scrape pool secure: error "
                         "creating HTTP client: unable to load specified CA cert ", missing,
                         ": open ", missing, ": no such file or directory"));
  ASSERT_EQ(m.ActiveTargets().size(), 1u);
  EXPECT_EQ(m.ActiveTargets()[0].status.health, TargetHealth::kUp);
}

}  // namespace
}  // namespace tally::server::scrape
