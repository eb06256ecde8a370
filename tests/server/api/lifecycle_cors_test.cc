// The lifecycle endpoints (/-/reload, /-/quit behind --web.enable-lifecycle), reload
// failure handling, and the CORS headers of the API (--web.cors.origin), over real loopback
// HTTP against an in-memory FakeDB. Expected status codes, bodies and headers were taken
// from Prometheus 2.42 on loopback (curl -si, with and without the flags).
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/server/fake_db.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server {
namespace {

using tally::testing::ClientResponse;
using tally::testing::HttpClient;
using ::testing::HasSubstr;
using ::testing::Not;

class LifecycleCorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = dir_.Sub("tally.yml");
    std::ofstream(config_path_) << "global:\n  external_labels:\n    site: keep-me\n";
  }
  void Start(bool lifecycle, const std::string& cors = ".*") {
    ServerOptions o;
    o.config_file = config_path_;
    o.http.listen_address = "127.0.0.1:0";
    o.api.enable_lifecycle = lifecycle;
    o.api.cors_origin = cors;
    o.on_quit = [this] { ++quits_; };
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o, &db_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  ClientResponse Do(const std::string& method, const std::string& target,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    return HttpClient(server_->port()).Do(method, target, "", std::move(headers));
  }
  // Replaces the config file by a directory of the same name.
  void MakeConfigADirectory() {
    std::filesystem::remove(config_path_);
    std::filesystem::create_directory(config_path_);
  }

  testutil::TempDir dir_;
  std::string config_path_;
  tally::testing::FakeDB db_;
  std::unique_ptr<Server> server_;
  std::atomic<int> quits_{0};
};

// Before: 200 and the running config replaced by defaults (external_labels gone).
TEST_F(LifecycleCorsTest, ReloadOfADirectoryFailsAndKeepsTheConfig) {
  Start(/*lifecycle=*/true);
  ASSERT_THAT(Do("GET", "/api/v1/status/config").body, HasSubstr("site: keep-me"));
  MakeConfigADirectory();
  ClientResponse r = Do("POST", "/-/reload");
  EXPECT_EQ(r.status, 500);
  // Prometheus compat: 2.42's body for the same situation.
  EXPECT_EQ(r.body, absl::StrCat("failed to reload config: couldn't load configuration "
                                 "(--config.file=\"",
                                 config_path_, "\"): read ", config_path_, ": is a directory\n"));
  EXPECT_THAT(Do("GET", "/api/v1/status/config").body, HasSubstr("site: keep-me"));
  const std::string metrics = Do("GET", "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("\nprometheus_config_last_reload_successful 0\n"));
  EXPECT_THAT(metrics, HasSubstr("\ntally_config_last_reload_successful 0\n"));
  EXPECT_THAT(Do("GET", "/api/v1/status/runtimeinfo").body,
              HasSubstr("\"reloadConfigSuccess\":false"));
  // The SIGHUP path (Server::Reload) fails the same way.
  EXPECT_FALSE(server_->Reload().ok());
  EXPECT_EQ(server_->config()->global.external_labels.Get("site"), "keep-me");
  // A missing file: the same, with Go's "open" wording.
  std::filesystem::remove(config_path_);
  r = Do("POST", "/-/reload");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("): open " + config_path_ + ": no such file or directory\n"));
  // Back to a file: the reload succeeds, 200 with an empty body, and the gauge is 1 again.
  std::ofstream(config_path_) << "global:\n  external_labels:\n    site: new\n";
  r = Do("POST", "/-/reload");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.headers.count("content-type"), 0u);
  EXPECT_THAT(Do("GET", "/metrics").body,
              HasSubstr("\nprometheus_config_last_reload_successful 1\n"));
}

// Before: /-/reload always on, /-/quit missing (404).
TEST_F(LifecycleCorsTest, LifecycleEndpointsNeedTheFlag) {
  Start(/*lifecycle=*/false);
  for (const char* path : {"/-/reload", "/-/quit"}) {
    for (const char* m : {"POST", "PUT"}) {
      ClientResponse r = Do(m, path);
      EXPECT_EQ(r.status, 403) << m << " " << path;
      EXPECT_EQ(r.body, "Lifecycle API is not enabled.");
      EXPECT_EQ(r.headers["content-type"], "text/plain; charset=utf-8");
    }
    ClientResponse r = Do("GET", path);
    EXPECT_EQ(r.status, 405) << path;
    EXPECT_EQ(r.body, "Only POST or PUT requests allowed");
  }
  EXPECT_EQ(quits_.load(), 0);
  // SIGHUP (Server::Reload) works without the flag.
  std::ofstream(config_path_, std::ios::trunc) << "global:\n  external_labels:\n    site: hup\n";
  EXPECT_TRUE(server_->Reload().ok());
  EXPECT_THAT(Do("GET", "/api/v1/status/config").body, HasSubstr("site: hup"));
}

TEST_F(LifecycleCorsTest, QuitAnswersThenAsksTheOwnerToStop) {
  Start(/*lifecycle=*/true);
  ClientResponse r = Do("POST", "/-/quit");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Requesting termination... Goodbye!");
  EXPECT_EQ(quits_.load(), 1);
  EXPECT_EQ(Do("PUT", "/-/quit").status, 200);
  EXPECT_EQ(quits_.load(), 2);
}

void ExpectCors(const ClientResponse& r, const std::string& allow_origin) {
  EXPECT_EQ(r.headers.at("access-control-allow-headers"),
            "Accept, Authorization, Content-Type, Origin");
  EXPECT_EQ(r.headers.at("access-control-allow-methods"), "GET, POST, OPTIONS");
  EXPECT_EQ(r.headers.at("access-control-expose-headers"), "Date");
  EXPECT_EQ(r.headers.at("vary"), "Origin");
  if (allow_origin.empty()) {
    EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
  } else {
    EXPECT_EQ(r.headers.at("access-control-allow-origin"), allow_origin);
  }
}

// Before: /api/v1/query, /query_range and /format_query had no CORS headers; /api/v1/write,
// /federate and /metrics had them (Prometheus sets none there); no --web.cors.origin.
TEST_F(LifecycleCorsTest, DefaultOriginAllowsAnyOriginOnApiAnswers) {
  Start(/*lifecycle=*/false);
  const std::vector<std::pair<std::string, std::string>> origin = {{"Origin", "http://foo.com"}};
  for (const auto& [m, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/query?query=1"},
           {"POST", "/api/v1/query?query=1"},
           {"POST", "/api/v1/query_range"},  // an error answer carries them too
           {"GET", "/api/v1/format_query?query=up"},
           {"GET", "/api/v1/labels"},
           {"POST", "/api/v1/series?match[]=up"},
           {"GET", "/api/v1/status/config"},
           {"GET", "/api/v1/alerts"}}) {
    SCOPED_TRACE(m + " " + target);
    ClientResponse r = Do(m, target, origin);
    ASSERT_TRUE(r.ok) << r.error;
    ExpectCors(r, "*");
  }
  // OPTIONS on any /api/v1/ path, known or not: 204, no body, the same headers.
  for (const char* target :
       {"/api/v1/query", "/api/v1/label/job/values", "/api/v1/write", "/api/v1/nonexistent"}) {
    SCOPED_TRACE(target);
    ClientResponse r = Do("OPTIONS", target, origin);
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.body, "");
    ExpectCors(r, "*");
  }
  // No Origin: no CORS headers.
  ClientResponse r = Do("GET", "/api/v1/query?query=1");
  EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
  EXPECT_EQ(r.headers.count("vary"), 0u);
  // Not API functions in Prometheus: no CORS headers even with an Origin.
  for (const auto& [m, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/metrics"},
                                                        {"GET", "/federate?match[]=up"},
                                                        {"POST", "/api/v1/write"},
                                                        {"GET", "/-/healthy"}}) {
    SCOPED_TRACE(target);
    ClientResponse r = Do(m, target, origin);
    EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
    EXPECT_EQ(r.headers.count("access-control-allow-methods"), 0u);
  }
}

TEST_F(LifecycleCorsTest, OriginRegexIsAnchoredAndEchoesTheOrigin) {
  Start(/*lifecycle=*/false, R"(https?://(foo|bar)\.com)");
  ExpectCors(Do("GET", "/api/v1/labels", {{"Origin", "http://foo.com"}}), "http://foo.com");
  ExpectCors(Do("POST", "/api/v1/query?query=1", {{"Origin", "https://bar.com"}}),
             "https://bar.com");
  ExpectCors(Do("OPTIONS", "/api/v1/query", {{"Origin", "https://bar.com"}}), "https://bar.com");
  // Anchored at both ends: no Allow-Origin, the other headers still sent (as Prometheus).
  ExpectCors(Do("GET", "/api/v1/labels", {{"Origin", "http://foo.com.evil.org"}}), "");
  ExpectCors(Do("GET", "/api/v1/labels", {{"Origin", "http://xfoo.com"}}), "");
}

TEST_F(LifecycleCorsTest, InvalidOriginRegexRefusesToStart) {
  ServerOptions o;
  o.http.listen_address = "127.0.0.1:0";
  o.api.cors_origin = "(";
  absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o, &db_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("could not compile CORS regex string \"(\""));
}

}  // namespace
}  // namespace tally::server
