#include "server/http/route_prefix.h"

#include "gtest/gtest.h"

namespace tally::server::http {
namespace {

TEST(RoutePrefixTest, DefaultsToTheExternalUrlPath) {
  EXPECT_EQ(*RoutePrefix("", ""), "/");
  EXPECT_EQ(*RoutePrefix("", "http://example.com:9090"), "/");
  EXPECT_EQ(*RoutePrefix("", "https://example.com/prom/"), "/prom");
  EXPECT_EQ(*RoutePrefix("/pfx/", "https://example.com/prom"), "/pfx");
  EXPECT_EQ(*RoutePrefix("a/b", ""), "/a/b");
  EXPECT_FALSE(RoutePrefix("", "example.com/prom").ok());
}

// Answers as Prometheus 2.42 with --web.route-prefix=/pfx (checked with curl side by side).
TEST(RoutePrefixTest, ServesUnderThePrefixOnly) {
  auto run = [](const std::string& target, HttpResponse* resp) {
    HttpRequest req;
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    bool pass = StripRoutePrefix("/pfx", &req, resp);
    return pass ? req.target : std::string("");
  };
  HttpResponse r;
  EXPECT_EQ(run("/pfx/api/v1/query?query=1", &r), "/api/v1/query?query=1");
  r = {};
  EXPECT_EQ(run("/", &r), "");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.headers[0].second, "/pfx");
  r = {};
  EXPECT_EQ(run("/pfx", &r), "");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers[0].second, "/pfx/");
  r = {};
  EXPECT_EQ(run("/api/v1/query", &r), "");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found\n");
  r = {};
  EXPECT_EQ(run("/pfxx/api", &r), "");
  EXPECT_EQ(r.status, 404);
  HttpRequest req;
  req.path = req.target = "/x";
  EXPECT_TRUE(StripRoutePrefix("/", &req, &r));
  EXPECT_EQ(req.path, "/x");
}

}  // namespace
}  // namespace tally::server::http
