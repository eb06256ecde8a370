// RemoteBackend against fake query APIs and remote-write receivers on 127.0.0.1. The
// real-server tests (Tally's receiver, Prometheus 2.42) are in tests/e2e.
#include "rules/client/remote_backend.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/ingest/remote_write.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/fake_http_server.h"

namespace tally::rules {
namespace {

using ::testing::HasSubstr;
using testutil::FakeHttpServer;
using testutil::FakeRequest;
using testutil::FakeResponse;

FakeResponse Reply(int status, std::string body = "") {
  FakeResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::unique_ptr<RemoteBackend> Backend(const std::string& query_url, const std::string& write_url,
                                       absl::Duration timeout = absl::Seconds(5)) {
  absl::StatusOr<std::unique_ptr<RemoteBackend>> b =
      RemoteBackend::Create({query_url, write_url, timeout});
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *std::move(b) : nullptr;
}

TEST(RemoteBackendTest, CreateRejectsBadUrls) {
  auto b = RemoteBackend::Create({"localhost:9090", "http://h/api/v1/write"});
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.status().message(), "query url: parse \"localhost:9090\": missing protocol scheme");
  b = RemoteBackend::Create({"http://h:9090", "ftp://h/api/v1/write"});
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("remote write url: parse"));
}

TEST(RemoteBackendTest, QuerySendsExprAndTimeToThePrefixedQueryApi) {
  FakeHttpServer api([](const FakeRequest&) {
    return Reply(200, R"({"status":"success","data":{"resultType":"vector","result":[)"
                      R"({"metric":{"job":"a"},"value":[1700000000.123,"42"]}]}})");
  });
  auto b = Backend(api.url() + "/prom/", "http://127.0.0.1:1/api/v1/write");
  absl::StatusOr<promql::Vector> v = b->Query("sum by (job) (rate(x{a=\"b c\"}[5m]))", 1700000000123);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].metric, (storage::Labels{{"job", "a"}}));
  EXPECT_EQ((*v)[0].v, 42);
  FakeRequest r = api.requests()[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/prom/api/v1/query");
  EXPECT_EQ(r.query,
            "query=sum+by+%28job%29+%28rate%28x%7Ba%3D%22b+c%22%7D%5B5m%5D%29%29"
            "&time=1700000000.123");
}

TEST(RemoteBackendTest, LongQueriesArePostedAsForms) {
  FakeHttpServer api([](const FakeRequest&) {
    return Reply(200, R"({"status":"success","data":{"resultType":"scalar","result":[1,"1"]}})");
  });
  auto b = Backend(api.url(), "http://127.0.0.1:1/api/v1/write");
  std::string expr = "vector(1)" + std::string(9000, ' ');
  ASSERT_TRUE(b->Query(expr, 1000).ok());
  FakeRequest r = api.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.Header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_THAT(r.body, ::testing::StartsWith("query=vector%281%29+++"));
  EXPECT_THAT(r.body, ::testing::EndsWith("&time=1.000"));
}

TEST(RemoteBackendTest, QueryErrorsKeepTheRemoteMessage) {
  FakeHttpServer api([](const FakeRequest&) {
    return Reply(422, R"({"status":"error","errorType":"execution","error":"boom"})");
  });
  auto b = Backend(api.url(), "http://127.0.0.1:1/api/v1/write");
  absl::StatusOr<promql::Vector> v = b->Query("x", 0);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(v.status().message(), "boom");

  auto down = Backend(absl::StrCat("http://127.0.0.1:", testutil::FreePort()),
                      "http://127.0.0.1:1/api/v1/write");
  EXPECT_EQ(down->Query("x", 0).status().code(), absl::StatusCode::kUnavailable);
}

TEST(RemoteBackendTest, AppendSendsOneSnappyWriteRequestGroupedBySeries) {
  FakeHttpServer rw([](const FakeRequest&) { return Reply(204); });
  auto b = Backend("http://127.0.0.1:1", rw.url() + "/api/v1/write");
  storage::Labels a{{"__name__", "job:x:sum"}, {"job", "a"}};
  storage::Labels c{{"__name__", "job:x:sum"}, {"job", "c"}};
  ASSERT_TRUE(b->Append({{a, 1000, 1}, {c, 1000, 2}, {a, 2000, storage::StaleNaN()}}).ok());
  ASSERT_EQ(rw.request_count(), 1);
  FakeRequest r = rw.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/api/v1/write");
  EXPECT_EQ(r.Header("content-encoding"), "snappy");
  EXPECT_EQ(r.Header("content-type"), "application/x-protobuf");
  EXPECT_EQ(r.Header("x-prometheus-remote-write-version"), "0.1.0");
  storage::WriteRequestDecoder d;
  ASSERT_TRUE(d.DecodeSnappy(r.body).ok());
  ASSERT_EQ(d.series().size(), 2u);
  EXPECT_EQ(d.series()[0].samples_end - d.series()[0].samples_begin, 2u);
  EXPECT_EQ(d.labels()[d.series()[1].labels_begin + 1].value, "c");
  EXPECT_TRUE(storage::IsStaleNaN(d.samples()[1].v));

  ASSERT_TRUE(b->Append({}).ok());  // nothing to send: no request
  EXPECT_EQ(rw.request_count(), 1);
}

TEST(RemoteBackendTest, AppendRetriesServerErrorsAndRateLimits) {
  int n = 0;
  FakeHttpServer rw([&n](const FakeRequest&) {
    ++n;
    return Reply(n == 1 ? 500 : n == 2 ? 429 : 204);
  });
  auto b = Backend("http://127.0.0.1:1", rw.url() + "/api/v1/write");
  ASSERT_TRUE(b->Append({{{{"__name__", "m"}}, 1000, 1}}).ok());
  EXPECT_EQ(rw.request_count(), 3);
}

TEST(RemoteBackendTest, AppendGivesUpOnPersistentServerErrorsAtTheTimeout) {
  FakeHttpServer rw([](const FakeRequest&) { return Reply(503, "overloaded\n"); });
  auto b = Backend("http://127.0.0.1:1", rw.url() + "/api/v1/write", absl::Milliseconds(500));
  absl::Status s = b->Append({{{{"__name__", "m"}}, 1000, 1}});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "server returned HTTP status 503 Service Unavailable: overloaded");
  EXPECT_GE(rw.request_count(), 3);  // 30, 60, 120, 240 ms backoff within 500 ms
}

TEST(RemoteBackendTest, AppendDoesNotRetryClientErrors) {
  FakeHttpServer rw([](const FakeRequest&) { return Reply(400, "invalid label name\n"); });
  auto b = Backend("http://127.0.0.1:1", rw.url() + "/api/v1/write");
  absl::Status s = b->Append({{{{"__name__", "m"}}, 1000, 1}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "server returned HTTP status 400 Bad Request: invalid label name");
  EXPECT_EQ(rw.request_count(), 1);
}

TEST(RemoteBackendTest, OutOfOrderAndDuplicateRejectionsAreNotErrors) {
  // Tally's and Prometheus's receivers answer 400 with these texts.
  for (const char* body : {"out of order sample (1 of 2 samples rejected; the others were stored)\n",
                           "duplicate sample for timestamp\n", "out of bounds\n"}) {
    FakeHttpServer rw([body](const FakeRequest&) { return Reply(400, body); });
    auto b = Backend("http://127.0.0.1:1", rw.url() + "/api/v1/write");
    EXPECT_TRUE(b->Append({{{{"__name__", "m"}}, 1000, 1}}).ok()) << body;
    EXPECT_EQ(rw.request_count(), 1);
  }
}

}  // namespace
}  // namespace tally::rules
