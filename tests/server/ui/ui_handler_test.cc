#include "server/ui/ui_handler.h"

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/ui/ui_assets.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server::ui {
namespace {

using http::HttpRequest;
using http::HttpResponse;

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class UiHandlerTest : public ::testing::Test {
 protected:
  void Register(UiOptions o = {}) { RegisterUi(&router_, o); }
  HttpResponse Get(const std::string& target, const std::string& if_none_match = "") {
    HttpRequest req;
    req.method = "GET";
    req.target = target;
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    if (!if_none_match.empty()) req.headers.emplace_back("if-none-match", if_none_match);
    HttpResponse resp;
    router_.Dispatch(&req, &resp);
    return resp;
  }
  http::Router router_;
};

TEST_F(UiHandlerTest, RootRedirectsToGraphRelatively) {
  Register();
  HttpResponse r = Get("/");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(Header(r, "Location"), "graph");  // relative: holds under a route prefix
}

TEST_F(UiHandlerTest, PagesServeIndexWithETagAndRevalidation) {
  Register();
  for (const char* page : {"/graph", "/alerts", "/rules", "/targets", "/status", "/config",
                           "/dashboards/llm-cost"}) {
    SCOPED_TRACE(page);
    HttpResponse r = Get(page);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    if (!UiBuilt()) {
      EXPECT_TRUE(absl::StrContains(r.body, "The web UI was not built")) << r.body;
      continue;
    }
    EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
    const std::string etag = Header(r, "ETag");
    ASSERT_EQ(etag.size(), 18u);
    // Asset links carry the bundle's version.
    EXPECT_TRUE(absl::StrContains(r.body, "static/app.js?v=")) << r.body;
    HttpResponse again = Get(page, etag);
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
  }
}

TEST_F(UiHandlerTest, StaticAssetsAreImmutableOnlyWhenVersioned) {
  Register();
  if (!UiBuilt()) GTEST_SKIP() << "the web UI was not built";
  HttpResponse v = Get("/static/app.js?v=1");
  EXPECT_EQ(v.status, 200);
  EXPECT_EQ(v.content_type, "text/javascript");
  EXPECT_EQ(Header(v, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_TRUE(v.body == FindUiAsset("static/app.js")->data);
  EXPECT_EQ(Header(Get("/static/app.css"), "Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/static/app.css").content_type, "text/css");
  EXPECT_EQ(Get("/static/app.js", Header(v, "ETag")).status, 304);
  HttpResponse missing = Get("/static/nope.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "404 page not found\n");
}

TEST_F(UiHandlerTest, ServesTheBuiltInDashboard) {
  Register();
  HttpResponse r = Get("/dashboards/llm-cost.json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_TRUE(r.body == FindUiAsset("dashboards/llm-cost.json")->data);
  EXPECT_EQ(Get("/dashboards/other.json").status, 404);
  EXPECT_EQ(Get("/dashboards/a.b.json").status, 404);  // names are [A-Za-z0-9_-]
}

TEST_F(UiHandlerTest, DashboardsDirOverridesAndAddsDashboards) {
  testutil::TempDir dir;
  std::ofstream(dir.Sub("llm-cost.json")) << R"({"title":"mine","panels":[]})";
  std::ofstream(dir.Sub("team_a.json")) << R"({"title":"team a","panels":[]})";
  std::ofstream(dir.Sub("big.json")) << std::string(64, ' ');
  UiOptions o;
  o.dashboards_dir = dir.path();
  o.max_dashboard_bytes = 32;
  Register(o);
  EXPECT_EQ(Get("/dashboards/llm-cost.json").body, R"({"title":"mine","panels":[]})");
  HttpResponse team = Get("/dashboards/team_a.json");
  EXPECT_EQ(team.status, 200);
  EXPECT_EQ(team.body, R"({"title":"team a","panels":[]})");
  EXPECT_EQ(Get("/dashboards/team_a.json", Header(team, "ETag")).status, 304);
  HttpResponse big = Get("/dashboards/big.json");
  EXPECT_EQ(big.status, 500);
  EXPECT_TRUE(absl::StrContains(big.body, "is larger than 32 bytes")) << big.body;
  EXPECT_EQ(Get("/dashboards/none.json").status, 404);
}

}  // namespace
}  // namespace tally::server::ui
