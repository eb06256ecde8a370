#include "rules/client/http_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::rules {
namespace {

using ::testing::HasSubstr;

TEST(HttpUrlTest, ParsesHostPortPathAndQuery) {
  absl::StatusOr<HttpUrl> u = ParseHttpUrl("http://127.0.0.1:9093/prefix/api?x=1&y=2#frag");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9093);
  EXPECT_EQ(u->path, "/prefix/api");
  EXPECT_EQ(u->query, "x=1&y=2");
  EXPECT_EQ(u->Target(), "/prefix/api?x=1&y=2");
  EXPECT_EQ(u->ToString(), "http://127.0.0.1:9093/prefix/api?x=1&y=2");
}

TEST(HttpUrlTest, DefaultsPortAndPathAndAcceptsHostnamesAndIpv6) {
  absl::StatusOr<HttpUrl> u = ParseHttpUrl("HTTP://alertmanager.example");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "alertmanager.example");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path, "/");
  EXPECT_EQ(u->HostHeader(), "alertmanager.example");
  u = ParseHttpUrl("http://[::1]:9090?q");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->path, "/");
  EXPECT_EQ(u->query, "q");
  EXPECT_EQ(u->HostPort(), "[::1]:9090");
}

TEST(HttpUrlTest, HttpsDefaultsToPort443) {
  absl::StatusOr<HttpUrl> u = ParseHttpUrl("HTTPS://am/p");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->HostHeader(), "am");
  EXPECT_EQ(u->ToString(), "https://am:443/p");
  u = ParseHttpUrl("https://am:9093");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->HostHeader(), "am:9093");
  u = ParseHttpUrl("http://am:443");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_FALSE(u->https);
  EXPECT_EQ(u->HostHeader(), "am:443");
}

TEST(HttpUrlTest, RejectsMalformedUrlsInGoWording) {
  struct Case {
    const char* url;
    const char* message;
  } cases[] = {
      {"127.0.0.1:9093", "parse \"127.0.0.1:9093\": missing protocol scheme"},
      {"ftp://x", "parse \"ftp://x\": unsupported protocol scheme \"ftp\""},
      {"http://", "parse \"http://\": empty host"},
      {"http://:80/x", "parse \"http://:80/x\": empty host"},
      {"http://h:port", "parse \"http://h:port\": invalid port \":port\" after host"},
      {"http://h:70000", "parse \"http://h:70000\": invalid port \":70000\" after host"},
      {"http://h:", "parse \"http://h:\": invalid port \":\" after host"},
      {"http://a b", "parse \"http://a b\": invalid character \" \" in host name"},
      {"http://[::1", "parse \"http://[::1\": missing ']' in host"},
      {"http://h/\x01", "parse \"http://h/\\x01\": net/url: invalid control character in URL"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<HttpUrl> u = ParseHttpUrl(c.url);
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument) << c.url;
    EXPECT_EQ(u.status().message(), c.message) << c.url;
  }
  EXPECT_EQ(ParseHttpUrl("http://user:pw@h/").status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(HttpUrlTest, JoinsPathPrefixes) {
  HttpUrl base = *ParseHttpUrl("http://am:9093/prefix/?x=1");
  EXPECT_EQ(JoinUrlPath(base, "/api/v2/alerts").ToString(), "http://am:9093/prefix/api/v2/alerts");
  base = *ParseHttpUrl("http://am:9093");
  EXPECT_EQ(JoinUrlPath(base, "/api/v2/alerts").Target(), "/api/v2/alerts");
}

TEST(HttpUrlTest, QueryEscapeMatchesGo) {
  // Go: url.QueryEscape("a b&c=d/é~_.-") == "a+b%26c%3Dd%2F%C3%A9~_.-"
  EXPECT_EQ(UrlQueryEscape("a b&c=d/\xc3\xa9~_.-"), "a+b%26c%3Dd%2F%C3%A9~_.-");
  EXPECT_EQ(UrlQueryEscape("sum(rate(x{a=\"b\"}[5m]))"),
            "sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29");
}

}  // namespace
}  // namespace tally::rules
