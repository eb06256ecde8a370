#include "rules/client/http_client.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/fake_http_server.h"

namespace tally::rules {
namespace {

using ::testing::HasSubstr;
using testutil::FakeHttpServer;
using testutil::FakeRequest;
using testutil::FakeResponse;

FakeResponse Ok(std::string body) {
  FakeResponse r;
  r.body = std::move(body);
  return r;
}

TEST(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  FakeHttpServer server([](const FakeRequest& r) {
    FakeResponse resp = Ok(absl::StrCat("path=", r.path, " query=", r.query));
    resp.status = 500;
    resp.headers.emplace_back("X-Test", "yes");
    return resp;
  });
  HttpClient client;
  absl::StatusOr<HttpClientResponse> r = client.Get(server.url() + "/a/b?x=1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 500);  // any complete response is a result, whatever its status
  EXPECT_EQ(r->StatusText(), "500 Internal Server Error");
  EXPECT_EQ(r->body, "path=/a/b query=x=1");
  EXPECT_EQ(r->Header("x-test"), "yes");
}

TEST(HttpClientTest, PostSendsBodyAndHeaders) {
  FakeHttpServer server([](const FakeRequest&) { return Ok(""); });
  HttpClientOptions o;
  o.user_agent = "Tally-test";
  HttpClient client(o);
  absl::StatusOr<HttpClientResponse> r =
      client.Post(server.url() + "/api/v2/alerts", "application/json", "[1,2]");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(server.request_count(), 1);
  FakeRequest req = server.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/api/v2/alerts");
  EXPECT_EQ(req.body, "[1,2]");
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(req.Header("content-length"), "5");
  EXPECT_EQ(req.Header("user-agent"), "Tally-test");
  EXPECT_EQ(req.Header("host"), absl::StrCat("127.0.0.1:", server.port()));
}

TEST(HttpClientTest, ReusesKeepAliveConnections) {
  FakeHttpServer server([](const FakeRequest&) { return Ok("x"); });
  HttpClient client;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client.Get(server.url()).ok());
  EXPECT_EQ(server.connections_accepted(), 1);
  EXPECT_EQ(client.connections_opened(), 1);

  HttpClientOptions no_reuse;
  no_reuse.max_idle_per_host = 0;
  HttpClient fresh(no_reuse);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(fresh.Get(server.url()).ok());
  EXPECT_EQ(fresh.connections_opened(), 2);
}

TEST(HttpClientTest, RetriesOnceWhenAPooledConnectionWasClosed) {
  int n = 0;
  FakeHttpServer server([&n](const FakeRequest&) {
    FakeResponse r = Ok("fine");
    r.drop = ++n == 2;  // the second request (on the reused connection) gets no answer
    return r;
  });
  HttpClient client;
  ASSERT_TRUE(client.Get(server.url()).ok());
  absl::StatusOr<HttpClientResponse> r = client.Get(server.url());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "fine");
  EXPECT_EQ(server.request_count(), 3);
  EXPECT_EQ(client.connections_opened(), 2);
}

TEST(HttpClientTest, FreshConnectionClosedWithoutAnswerIsEof) {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r;
    r.drop = true;
    return r;
  });
  HttpClient client;
  absl::StatusOr<HttpClientResponse> r = client.Get(server.url() + "/x");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), absl::StrCat("Get \"", server.url(), "/x\": EOF"));
  EXPECT_EQ(server.request_count(), 1);
}

TEST(HttpClientTest, StalledServerHitsTheDeadline) {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse r = Ok("late");
    r.delay = absl::Seconds(5);
    return r;
  });
  HttpClient client;
  absl::Time start = absl::Now();
  absl::StatusOr<HttpClientResponse> r =
      client.Get(server.url(), absl::Now() + absl::Milliseconds(300));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("context deadline exceeded"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST(HttpClientTest, ConnectionRefusedIsUnavailable) {
  const int port = testutil::FreePort();
  HttpClient client;
  absl::StatusOr<HttpClientResponse> r = client.Get(absl::StrCat("http://127.0.0.1:", port, "/"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            absl::StrCat("Get \"http://127.0.0.1:", port, "/\": dial tcp 127.0.0.1:", port,
                         ": connect: connection refused"));
}

TEST(HttpClientTest, ResolvesHostNames) {
  FakeHttpServer server([](const FakeRequest&) { return Ok("via name"); });
  HttpClient client;
  absl::StatusOr<HttpClientResponse> r =
      client.Get(absl::StrCat("http://localhost:", server.port(), "/"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "via name");
}

TEST(HttpClientTest, OversizedResponseIsResourceExhausted) {
  FakeHttpServer server([](const FakeRequest&) { return Ok(std::string(1000, 'x')); });
  HttpClientOptions o;
  o.max_response_bytes = 100;
  HttpClient client(o);
  absl::StatusOr<HttpClientResponse> r = client.Get(server.url());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(), HasSubstr("response body larger than 100 bytes"));
}

TEST(HttpClientTest, ConcurrentCallsShareOneClient) {
  FakeHttpServer server([](const FakeRequest& r) {
    FakeResponse resp = Ok(r.query);
    resp.delay = absl::Milliseconds(2);  // keeps calls overlapping
    return resp;
  });
  HttpClient client;
  constexpr int kThreads = 8, kCalls = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string q = absl::StrCat("t=", t, "&i=", i);
        absl::StatusOr<HttpClientResponse> r = client.Get(absl::StrCat(server.url(), "/?", q));
        if (r.ok() && r->body == q) ++ok;  // each answer reaches the call that asked
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  // Connections are reused across calls: far fewer than one per call.
  EXPECT_LT(client.connections_opened(), kThreads * kCalls / 2);
}

TEST(HttpClientTest, BadUrlsAndTlsFilesFailBeforeAnyIo) {
  HttpClient client;
  EXPECT_EQ(client.Get("127.0.0.1:1").status().code(), absl::StatusCode::kInvalidArgument);
  HttpClientOptions o;
  o.tls.ca_file = "/nonexistent/ca.pem";
  HttpClient bad_ca(o);
  absl::StatusOr<HttpClientResponse> r = bad_ca.Get("https://127.0.0.1:1/");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("unable to load specified CA cert"));
  EXPECT_EQ(client.connections_opened(), 0);
  EXPECT_EQ(bad_ca.connections_opened(), 0);
}

TEST(HttpClientTest, RetryBackoffDoublesUpToTheCap) {
  EXPECT_EQ(RetryBackoff(0), absl::Milliseconds(100));
  EXPECT_EQ(RetryBackoff(1), absl::Milliseconds(200));
  EXPECT_EQ(RetryBackoff(3), absl::Milliseconds(800));
  EXPECT_EQ(RetryBackoff(10), absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(1000), absl::Seconds(2));
}

}  // namespace
}  // namespace tally::rules
