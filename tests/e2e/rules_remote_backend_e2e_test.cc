// End to end: rules::RemoteBackend (the backend of `tally rules eval`) against real servers
// on 127.0.0.1: Tally's own server (in-process server::Server on a real DB) as query API
// and remote-write receiver, and a real Prometheus 2.42 (skipped when absent) as query API
// and receiver, then the rules-eval shape: read from Prometheus, write to Tally.
// External processes are polled with a bounded deadline.
#include <cmath>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/client/http_client.h"
#include "rules/client/remote_backend.h"
#include "server/server.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::rules {
namespace {

using ::testing::HasSubstr;

constexpr char kPrometheus[] = "/usr/bin/prometheus";

class RemoteBackendE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<storage::DB>> db =
        storage::DB::Open(testutil::TestOptions(dir_.Sub("data")));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    server::ServerOptions o;
    o.http.listen_address = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<server::Server>> s = server::Server::Start(o, db_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    tally_ = absl::StrCat("http://127.0.0.1:", server_->port());
  }
  void TearDown() override {
    prometheus_.reset();
    if (server_) server_->Shutdown();
  }

  // Starts Prometheus 2.42 with the remote-write receiver; returns its base URL.
  std::string StartPrometheus() {
    const std::string cfg = dir_.Sub("prometheus.yml");
    std::ofstream(cfg) << "global:\n  evaluation_interval: 1m\n";
    const int port = testutil::FreePort();
    const std::string base = absl::StrCat("http://127.0.0.1:", port);
    prometheus_ = testutil::ChildProcess::Start(
        kPrometheus,
        {"--config.file=" + cfg, "--storage.tsdb.path=" + dir_.Sub("promdata"),
         absl::StrCat("--web.listen-address=127.0.0.1:", port),
         "--web.enable-remote-write-receiver"},
        dir_.Sub("prometheus.log"));
    HttpClient client;
    bool ready = prometheus_ != nullptr && testutil::PollUntil(
                                               [&] {
                                                 auto r = client.Get(base + "/-/ready");
                                                 return r.ok() && r->status == 200;
                                               },
                                               absl::Seconds(60));
    EXPECT_TRUE(ready) << "prometheus did not become ready:\n"
                       << (prometheus_ ? prometheus_->Log() : "fork failed");
    return ready ? base : "";
  }

  std::unique_ptr<RemoteBackend> Backend(const std::string& query, const std::string& write) {
    absl::StatusOr<std::unique_ptr<RemoteBackend>> b =
        RemoteBackend::Create({query, write + "/api/v1/write", absl::Seconds(30)});
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *std::move(b) : nullptr;
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
  std::unique_ptr<server::Server> server_;
  std::string tally_;
  std::unique_ptr<testutil::ChildProcess> prometheus_;
};

// Rule outputs written at t and read back at t.
void AppendAndReadBack(RemoteBackend* b, int64_t t) {
  storage::Labels a{{"__name__", "job:requests:rate5m"}, {"job", "api"}};
  storage::Labels c{{"__name__", "job:requests:rate5m"}, {"job", "db"}};
  ASSERT_TRUE(b->Append({{a, t - 60'000, 1.5}, {c, t - 60'000, -2}, {a, t, 2.5}, {c, t, 1e-3}}).ok());

  absl::StatusOr<promql::Vector> v = b->Query("sort(job:requests:rate5m)", t);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[0].metric, c);
  EXPECT_EQ((*v)[0].v, 1e-3);
  EXPECT_EQ((*v)[0].t_ms, t);
  EXPECT_EQ((*v)[1].metric, a);
  EXPECT_EQ((*v)[1].v, 2.5);

  v = b->Query("sum(job:requests:rate5m)", t - 60'000);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_TRUE((*v)[0].metric.empty());
  EXPECT_EQ((*v)[0].v, -0.5);

  v = b->Query("scalar(job:requests:rate5m{job=\"api\"}) / 0", t);  // scalar, +Inf
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_TRUE(std::isinf((*v)[0].v));

  // A stale marker ends the series: nothing at t + 1 s.
  ASSERT_TRUE(b->Append({{a, t + 1000, storage::StaleNaN()}}).ok());
  v = b->Query("job:requests:rate5m{job=\"api\"}", t + 1000);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->empty());

  // A duplicate (same series and time, different value) is not an error for rules.
  EXPECT_TRUE(b->Append({{c, t, 7}}).ok());

  v = b->Query("sum(", t);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("parse error"));
  v = b->Query("\"a string\"", t);
  EXPECT_EQ(v.status().message(), "rule result is not a vector or scalar");
}

TEST_F(RemoteBackendE2ETest, TallyAsQueryApiAndReceiver) {
  auto b = Backend(tally_, tally_);
  ASSERT_NE(b, nullptr);
  AppendAndReadBack(b.get(), absl::ToUnixMillis(absl::Now()));
}

TEST_F(RemoteBackendE2ETest, PrometheusAsQueryApiAndReceiver) {
  if (!testutil::HaveBinary(kPrometheus)) GTEST_SKIP() << "prometheus 2.42 not installed";
  const std::string prom = StartPrometheus();
  ASSERT_FALSE(prom.empty());
  auto b = Backend(prom, prom);
  ASSERT_NE(b, nullptr);
  AppendAndReadBack(b.get(), absl::ToUnixMillis(absl::Now()));
}

TEST_F(RemoteBackendE2ETest, ReadsFromPrometheusAndWritesToTally) {
  // The shape of `tally rules eval --query.url PROM --remote-write.url TALLY`.
  if (!testutil::HaveBinary(kPrometheus)) GTEST_SKIP() << "prometheus 2.42 not installed";
  const std::string prom = StartPrometheus();
  ASSERT_FALSE(prom.empty());
  const int64_t t = absl::ToUnixMillis(absl::Now());
  auto source = Backend(prom, prom);
  ASSERT_NE(source, nullptr);
  std::vector<OutputSample> raw;
  for (int i = 0; i <= 10; ++i) {
    for (const char* model : {"gpt", "claude"}) {
      raw.push_back({storage::Labels{{"__name__", "llm_tokens_total"}, {"model", model}},
                     t - (10 - i) * 15'000, i * 100.0 * (model[0] == 'g' ? 1 : 2)});
    }
  }
  ASSERT_TRUE(source->Append(raw).ok());

  auto rules = Backend(prom, tally_);
  ASSERT_NE(rules, nullptr);
  absl::StatusOr<promql::Vector> v =
      rules->Query("sum by (model) (rate(llm_tokens_total[2m]))", t);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 2u);
  std::vector<OutputSample> out;
  for (const promql::VectorSample& s : *v) {
    storage::LabelsBuilder lb(s.metric);
    lb.Set("__name__", "model:llm_tokens:rate2m");
    out.push_back({lb.Build(), s.t_ms, s.v});
  }
  ASSERT_TRUE(rules->Append(out).ok());

  auto tally = Backend(tally_, tally_);
  absl::StatusOr<promql::Vector> back = tally->Query("sort(model:llm_tokens:rate2m)", t);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  // 100 tokens per 15 s for gpt, 200 for claude: rate = 6.666.. and 13.333.. per second.
  EXPECT_EQ((*back)[0].metric.Get("model"), "gpt");
  EXPECT_NEAR((*back)[0].v, 100.0 / 15, 1e-9);
  EXPECT_EQ((*back)[1].metric.Get("model"), "claude");
  EXPECT_NEAR((*back)[1].v, 200.0 / 15, 1e-9);
}

}  // namespace
}  // namespace tally::rules
