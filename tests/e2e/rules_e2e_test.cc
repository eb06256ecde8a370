// End to end: `tally serve` (in-process Server, real HTTP on loopback) loads the example
// rules (examples/llm-cost-tracker/rules/, intervals shortened to 1s) plus a firing test
// alert, data arrives by remote write, and the recording series, alert states, rule health
// and self-metrics show in the API; with Alertmanager 0.25 installed, the firing alert
// reaches its /api/v2/alerts. Polls are bounded.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "storage/ingest/remote_write.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server {
namespace {

using tally::testing::HttpClient;

std::string ReadFile(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RulesE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string examples = std::string(TALLY_SOURCE_DIR) + "/examples/llm-cost-tracker/rules/";
    std::filesystem::create_directories(dir_.Sub("rules"));
    for (const char* f : {"recording.yml", "alerts.yml"}) {
      std::ofstream(dir_.Sub(std::string("rules/") + f))
          << absl::StrReplaceAll(ReadFile(examples + f), {{"interval: 30s", "interval: 1s"}});
    }
    std::ofstream(dir_.Sub("rules/e2e.yml")) << R"(groups:
- name: e2e
  rules:
  - alert: HealthCheckFailingNow
    expr: llm_cost_tracker_health_check_success_ratio < 0.95
    labels: {severity: page}
    annotations: {summary: "ratio {{ $value | humanizePercentage }}"}
)";
  }

  void StartServer(const std::string& alertmanager) {
    std::string cfg = "global:\n  evaluation_interval: 1s\n  external_labels: {cluster: e2e}\n"
                      "rule_files: ['rules/*.yml']\n";
    if (!alertmanager.empty()) {
      absl::StrAppend(&cfg, "alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['",
                      alertmanager, "']\n");
    }
    std::ofstream(dir_.Sub("tally.yml")) << cfg;
    auto db = storage::DB::Open(testutil::TestOptions(dir_.Sub("data")));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ServerOptions o;
    o.config_file = dir_.Sub("tally.yml");
    o.http.listen_address = "127.0.0.1:0";
    o.rules.external_url = "http://tally.example:9090/";
    auto s = Server::Start(o, db_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // Writes the last 10 minutes of a small LLM-cost workload, 15s apart, ending now.
  void RemoteWriteWorkload() {
    const int64_t now = absl::ToUnixMillis(absl::Now());
    const std::vector<storage::Label> base = {{"application", "chatbot"},
                                              {"instance", "tracker-0:8000"},
                                              {"job", "llm-cost-tracker"},
                                              {"model", "gpt-4o"},
                                              {"provider", "openai"}};
    auto series = [&](const std::string& name, std::vector<storage::Label> extra,
                      std::function<double(int)> f, bool with_base = true) {
      storage::RemoteSeriesInput s;
      s.labels = {{"__name__", name}};
      if (with_base) s.labels.insert(s.labels.end(), base.begin(), base.end());
      s.labels.insert(s.labels.end(), extra.begin(), extra.end());
      std::sort(s.labels.begin(), s.labels.end(),
                [](const auto& a, const auto& b) { return a.name < b.name; });
      for (int i = 0; i <= 40; ++i) s.samples.push_back({now - (40 - i) * 15'000, f(i)});
      return s;
    };
    std::vector<storage::RemoteSeriesInput> in = {
        series("llm_cost_tracker_requests_total", {{"status", "success"}},
               [](int i) { return 100.0 * i; }),
        series("llm_cost_tracker_total_cost_usd", {}, [](int i) { return 0.5 * i; }),
        series("llm_cost_tracker_health_check_success_ratio",
               {{"instance", "tracker-0:8000"}, {"job", "llm-cost-tracker"}},
               [](int) { return 0.9; }, false),
    };
    std::string proto;
    storage::EncodeWriteRequest(in, {}, &proto);
    auto r = HttpClient(server_->port())
                 .Do("POST", "/api/v1/write", storage::SnappyCompressBlock(proto),
                     {{"Content-Encoding", "snappy"},
                      {"Content-Type", "application/x-protobuf"},
                      {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
    ASSERT_EQ(r.status, 204) << r.body;
  }

  std::string Get(const std::string& target) { return HttpClient(server_->port()).Get(target).body; }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
  std::unique_ptr<Server> server_;
};

TEST_F(RulesE2ETest, RecordingSeriesAndAlertStatesShowInTheApi) {
  ASSERT_NO_FATAL_FAILURE(StartServer(""));
  ASSERT_NO_FATAL_FAILURE(RemoteWriteWorkload());
  // Recording rule output becomes queryable.
  std::string q;
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        q = Get("/api/v1/query?query=llm:request_rate_5m");
        return absl::StrContains(q, "\"application\":\"chatbot\"");
      },
      absl::Seconds(20)))
      << q;
  EXPECT_TRUE(absl::StrContains(q, "\"__name__\":\"llm:request_rate_5m\"")) << q;
  // The example alert with `for: 2m` is pending, the test alert firing.
  std::string alerts;
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        alerts = Get("/api/v1/alerts");
        return absl::StrContains(alerts, "\"alertname\":\"HealthCheckFailing\"") &&
               absl::StrContains(alerts, "\"alertname\":\"HealthCheckFailingNow\"");
      },
      absl::Seconds(20)))
      << alerts;
  EXPECT_TRUE(absl::StrContains(alerts, "\"state\":\"pending\"")) << alerts;
  EXPECT_TRUE(absl::StrContains(alerts, "\"state\":\"firing\"")) << alerts;
  EXPECT_TRUE(absl::StrContains(alerts, "\"description\":\"Health check success rate is 90%\""))
      << alerts;

  const std::string rules = Get("/api/v1/rules");
  EXPECT_TRUE(absl::StrContains(rules, "\"name\":\"llm_cost_recording_rules\"")) << rules;
  EXPECT_TRUE(absl::StrContains(rules, "\"name\":\"llm:error_rate_5m\"")) << rules;
  EXPECT_FALSE(absl::StrContains(rules, "\"health\":\"err\"")) << rules;
  EXPECT_TRUE(absl::StrContains(Get("/api/v1/rules?type=record"), "\"type\":\"recording\""));
  EXPECT_FALSE(absl::StrContains(Get("/api/v1/rules?type=record"), "\"type\":\"alerting\""));
  EXPECT_TRUE(absl::StrContains(Get("/api/v1/rules?type=bogus"),
                                "invalid parameter \\\"type\\\": not supported value \\\"bogus\\\""));
  // ALERTS series and the rule-group self-metrics.
  EXPECT_TRUE(testutil::PollUntil(
      [&] { return absl::StrContains(Get("/api/v1/query?query=ALERTS"), "\"alertstate\":\"firing\""); },
      absl::Seconds(10)));
  const std::string metrics = Get("/metrics");
  EXPECT_TRUE(absl::StrContains(
      metrics, "prometheus_rule_group_iterations_total{rule_group=\"" + dir_.Sub("rules/e2e.yml") +
                   ";e2e\"}"))
      << metrics;
}

// The JSON shape (keys, order, types) equals the body captured from Prometheus 2.42 with the
// same kind of rules (/work/shared/compliance/prometheus-2.42-responses/).
TEST_F(RulesE2ETest, RulesAndAlertsBodiesHavePrometheusShape) {
  const std::string dir = "/work/shared/compliance/prometheus-2.42-responses/";
  if (!std::filesystem::exists(dir + "rules.json")) GTEST_SKIP() << "no captured bodies";
  std::ofstream(dir_.Sub("rules/0_shape.yml")) << R"y(groups:
- name: llm_cost_alerts
  rules:
  - alert: HarnessAlwaysFiring
    expr: vector(42) > 0
    labels: {severity: info}
    annotations: {summary: "Always firing (value {{ $value }})"}
)y";
  ASSERT_NO_FATAL_FAILURE(StartServer(""));
  std::string alerts;
  ASSERT_TRUE(testutil::PollUntil(
      [&] {
        alerts = Get("/api/v1/alerts");
        return absl::StrContains(alerts, "\"state\":\"firing\"");
      },
      absl::Seconds(20)));
  using tally::testing::JsonShape;
  EXPECT_EQ(JsonShape::Of(alerts, true), JsonShape::Of(ReadFile(dir + "alerts.json"), true));
  EXPECT_EQ(JsonShape::Of(Get("/api/v1/rules"), true),
            JsonShape::Of(ReadFile(dir + "rules.json"), true));
  EXPECT_TRUE(absl::StrContains(alerts, "\"value\":\"4.2e+01\"")) << alerts;
  EXPECT_TRUE(absl::StrContains(alerts, "\"summary\":\"Always firing (value 42)\"")) << alerts;
}

TEST_F(RulesE2ETest, ReloadKeepsAlertStateOfUnchangedRules) {
  ASSERT_NO_FATAL_FAILURE(StartServer(""));
  ASSERT_NO_FATAL_FAILURE(RemoteWriteWorkload());
  std::string before;
  ASSERT_TRUE(testutil::PollUntil(
      [&] {
        before = Get("/api/v1/alerts");
        return absl::StrContains(before, "HealthCheckFailingNow");
      },
      absl::Seconds(20)));
  std::smatch m;
  const std::regex active_at("HealthCheckFailingNow.*?\"activeAt\":\"([^\"]+)\"");
  ASSERT_TRUE(std::regex_search(before, m, active_at)) << before;
  const std::string at = m[1];
  // Change another group only; the e2e group keeps its alert and activeAt.
  std::ofstream(dir_.Sub("rules/extra.yml")) << "groups:\n- name: extra\n  rules:\n"
                                                "  - record: extra:one\n    expr: vector(1)\n";
  ASSERT_TRUE(server_->Reload().ok());
  const std::string after = Get("/api/v1/alerts");
  ASSERT_TRUE(std::regex_search(after, m, active_at)) << after;
  EXPECT_EQ(m[1], at);
  // A broken rule file fails the reload and keeps the running rules.
  std::ofstream(dir_.Sub("rules/broken.yml")) << "groups:\n- name: b\n  rules:\n  - record: x\n";
  absl::Status st = server_->Reload();
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(absl::StrContains(st.message(), "field 'expr' must be set in rule")) << st;
  EXPECT_TRUE(absl::StrContains(Get("/api/v1/rules"), "\"name\":\"extra\""));
}

TEST_F(RulesE2ETest, FiringAlertReachesAlertmanager) {
  const std::string am_bin = "/usr/bin/prometheus-alertmanager";
  if (!testutil::HaveBinary(am_bin)) GTEST_SKIP() << "prometheus-alertmanager not installed";
  const int port = testutil::FreePort();
  std::ofstream(dir_.Sub("am.yml")) << "route:\n  receiver: 'null'\nreceivers:\n- name: 'null'\n";
  auto am = testutil::ChildProcess::Start(
      am_bin,
      {"--config.file=" + dir_.Sub("am.yml"), "--storage.path=" + dir_.Sub("amdata"),
       absl::StrCat("--web.listen-address=127.0.0.1:", port), "--cluster.listen-address="},
      dir_.Sub("am.log"));
  ASSERT_NE(am, nullptr);
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return HttpClient(port).Get("/-/ready").status == 200; }, absl::Seconds(20)))
      << am->Log();
  ASSERT_NO_FATAL_FAILURE(StartServer(absl::StrCat("127.0.0.1:", port)));
  ASSERT_NO_FATAL_FAILURE(RemoteWriteWorkload());
  std::string got;
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        got = HttpClient(port).Get("/api/v2/alerts").body;
        return absl::StrContains(got, "HealthCheckFailingNow");
      },
      absl::Seconds(30)))
      << got << am->Log();
  EXPECT_TRUE(absl::StrContains(got, "\"cluster\":\"e2e\"")) << got;  // external label
  EXPECT_TRUE(absl::StrContains(got, "http://tally.example:9090/graph?g0.expr=")) << got;
  // Prometheus compat: /api/v1/alertmanagers lists the API v2 endpoint of each target.
  EXPECT_EQ(Get("/api/v1/alertmanagers"),
            absl::StrCat("{\"status\":\"success\",\"data\":{\"activeAlertmanagers\":[{\"url\":"
                         "\"http://127.0.0.1:", port, "/api/v2/alerts\"}],"
                         "\"droppedAlertmanagers\":[]}}"));
  // The notifier's self-metrics count the delivery (Prometheus's names).
  const std::string metrics = Get("/metrics");
  EXPECT_TRUE(absl::StrContains(metrics, "prometheus_notifications_alertmanagers_discovered 1\n"))
      << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "prometheus_notifications_queue_capacity 10000\n"));
  EXPECT_FALSE(absl::StrContains(metrics, "prometheus_notifications_sent_total 0\n"));
  EXPECT_TRUE(absl::StrContains(metrics, "prometheus_notifications_sent_total ")) << metrics;
}

}  // namespace
}  // namespace tally::server
