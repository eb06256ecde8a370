// /api/v1/targets, /api/v1/targets/metadata and /api/v1/metadata served by a real Server
// that scrapes a fake target. Expected bodies were checked side by side against Prometheus
// 2.42 scraping the same kind of target on loopback (only times and durations differ; they
// are normalised here).
#include <fstream>
#include <memory>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/fake_http_server.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server {
namespace {

class TargetsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    target_ = std::make_unique<testutil::FakeHttpServer>([](const testutil::FakeRequest&) {
      testutil::FakeResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = "# HELP reqs_total Requests.\n# TYPE reqs_total counter\nreqs_total 3\n";
      return r;
    });
    const std::string cfg = dir_.Sub("tally.yml");
    std::ofstream(cfg) << absl::StrCat(R"(
global: {scrape_interval: 1s, scrape_timeout: 500ms}
scrape_configs:
  - job_name: app
    params: {x: [y]}
    static_configs:
      - targets: ['127.0.0.1:)", target_->port(), R"(', 'drop.me:80']
        labels: {team: a}
    relabel_configs:
      - source_labels: [__address__]
        regex: 'drop.*'
        action: drop
)");
    ServerOptions o;
    o.config_file = cfg;
    o.http.listen_address = "127.0.0.1:0";
    auto s = Server::Start(o, db_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  std::string Get(const std::string& target) {
    return tally::testing::HttpClient(server_->port()).Get(target).body;
  }
  // Waits (bounded) until the target was scraped once.
  void WaitScraped() {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline &&
           Get("/api/v1/targets").find("\"health\":\"up\"") == std::string::npos) {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
  std::unique_ptr<testutil::FakeHttpServer> target_;
  std::unique_ptr<Server> server_;
};

TEST_F(TargetsApiTest, TargetsBodyAsPrometheus) {
  WaitScraped();
  std::string body = Get("/api/v1/targets");
  body = std::regex_replace(body, std::regex(R"("lastScrape":"[^"]+")"), R"("lastScrape":"T")");
  body = std::regex_replace(body, std::regex(R"("lastScrapeDuration":[0-9.e-]+)"),
                            R"("lastScrapeDuration":D)");
  body = std::regex_replace(body, std::regex(R"("globalUrl":"http://[^/]+/)"),
                            R"("globalUrl":"http://HOST/)");
  const std::string addr = absl::StrCat("127.0.0.1:", target_->port());
  const std::string want = absl::StrReplaceAll(
      R"({"status":"success","data":{"activeTargets":[{"discoveredLabels":{"__address__":"ADDR","__metrics_path__":"/metrics","__param_x":"y","__scheme__":"http","__scrape_interval__":"1s","__scrape_timeout__":"500ms","job":"app","team":"a"},"labels":{"instance":"ADDR","job":"app","team":"a"},"scrapePool":"app","scrapeUrl":"http://ADDR/metrics?x=y","globalUrl":"http://HOST/metrics?x=y","lastError":"","lastScrape":"T","lastScrapeDuration":D,"health":"up","scrapeInterval":"1s","scrapeTimeout":"500ms"}],"droppedTargets":[{"discoveredLabels":{"__address__":"drop.me:80","__metrics_path__":"/metrics","__param_x":"y","__scheme__":"http","__scrape_interval__":"1s","__scrape_timeout__":"500ms","job":"app","team":"a"}}]}})",
      {{"ADDR", addr}});
  EXPECT_EQ(body, want);
  EXPECT_EQ(Get("/api/v1/targets?state=nonsense"),
            R"({"status":"success","data":{"activeTargets":[],"droppedTargets":[]}})");
  EXPECT_NE(Get("/api/v1/targets?state=Active").find("\"activeTargets\":[{"), std::string::npos);
}

TEST_F(TargetsApiTest, MetadataFromScrapes) {
  WaitScraped();
  const std::string addr = absl::StrCat("127.0.0.1:", target_->port());
  EXPECT_EQ(Get("/api/v1/targets/metadata?metric=reqs_total"),
            absl::StrCat(R"({"status":"success","data":[{"target":{"instance":")", addr,
                         R"(","job":"app","team":"a"},"type":"counter","help":"Requests.","unit":""}]})"));
  EXPECT_EQ(Get("/api/v1/targets/metadata?match_target=%7Bjob%3D%22app%22%7D"),
            absl::StrCat(R"({"status":"success","data":[{"target":{"instance":")", addr,
                         R"(","job":"app","team":"a"},"metric":"reqs_total","type":"counter","help":"Requests.","unit":""}]})"));
  EXPECT_EQ(Get("/api/v1/targets/metadata?match_target=%7Bjob%3D%22other%22%7D"),
            R"({"status":"success","data":[]})");
  EXPECT_EQ(Get("/api/v1/metadata"),
            R"({"status":"success","data":{"reqs_total":[{"type":"counter","help":"Requests.","unit":""}]}})");
}

}  // namespace
}  // namespace tally::server
