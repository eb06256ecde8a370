// End-to-end tests of `tally simulate` (build/tally as a subprocess, loopback only): the
// /metrics it serves parses as the Prometheus text format and its counters advance; remote
// write lands its samples in `tally serve`; a scenario makes a latency alert fire in serve.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/ingest/text_parser.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"
#include "tools/sim/llm_cost_generator.h"

extern char** environ;

namespace tally::tools {
namespace {

const std::string kTally = TALLY_BINARY_DIR "/tally";

// Parses an exposition with the parser `tally backfill` and scraping use; sums every
// series of `counter`. Fails the test on a parse error.
double ParseAndSum(const std::string& text, const std::string& counter, int* samples) {
  storage::TextParser p(text, storage::TextFormat::kPrometheus);
  double sum = 0;
  *samples = 0;
  while (true) {
    absl::StatusOr<storage::TextEntry> e = p.Next();
    if (!e.ok()) {
      ADD_FAILURE() << "line " << p.line() << ": " << e.status();
      return -1;
    }
    if (*e == storage::TextEntry::kEnd) break;
    if (*e != storage::TextEntry::kSample) continue;
    ++*samples;
    if (p.metric_name() == counter) sum += p.value();
  }
  return sum;
}

TEST(SimulateE2e, ServesParsableMetricsWhoseCountersAdvance) {
  testutil::TempDir dir;
  const int port = testutil::FreePort();
  auto sim = testutil::ChildProcess::Start(
      kTally,
      {"simulate", "--web.listen-address", absl::StrCat("127.0.0.1:", port), "--interval", "200ms",
       "--series-scale", "5", "--duration", "60s"},
      dir.Sub("sim.log"));
  ASSERT_NE(sim, nullptr);
  std::string first;
  ASSERT_TRUE(testutil::PollUntil([&] { return !(first = testutil::HttpGet(port, "/metrics")).empty(); },
                                  absl::Seconds(15)))
      << sim->Log();
  int n1 = 0;
  const double r1 = ParseAndSum(first, "llm_cost_tracker_requests_total", &n1);
  EXPECT_EQ(n1, sim::LlmCostSeriesPerInstance() * 5);
  // Traffic is random: wait (bounded) until some request was counted.
  double r2 = r1;
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        int n2 = 0;
        r2 = ParseAndSum(testutil::HttpGet(port, "/metrics"),
                         "llm_cost_tracker_requests_total", &n2);
        return r2 > r1;
      },
      absl::Seconds(15), absl::Milliseconds(300)))
      << r1 << " -> " << r2;
  const std::string health = testutil::HttpGet(port, "/health");
  EXPECT_TRUE(absl::StrContains(health, R"("status": "healthy")")) << health;
  EXPECT_TRUE(absl::StrContains(testutil::HttpGet(port, "/health/detailed"), R"("components")"));
}

TEST(SimulateE2e, BackfillWritesOpenMetricsOfTheSelectedModelsAndApplications) {
  testutil::TempDir dir;
  const std::string out = dir.Sub("sim.om");
  auto sim = testutil::ChildProcess::Start(
      kTally,
      {"simulate", "--backfill", "10m", "--out", out, "--models", "2", "--applications", "1"},
      dir.Sub("sim.log"));
  ASSERT_NE(sim, nullptr);
  ASSERT_TRUE(testutil::PollUntil([&] { return !sim->Running(); }, absl::Seconds(30)));
  std::ifstream f(out);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  storage::TextParser p(text, storage::TextFormat::kOpenMetrics);
  std::map<std::string, int> series;
  while (true) {
    absl::StatusOr<storage::TextEntry> e = p.Next();
    ASSERT_TRUE(e.ok()) << "line " << p.line() << ": " << e.status() << "\n" << sim->Log();
    if (*e == storage::TextEntry::kEnd) break;
    if (*e == storage::TextEntry::kSample) ++series[std::string(p.series_text())];
  }
  sim::LlmCostOptions o;
  o.models = 2;
  o.applications = 1;
  EXPECT_EQ(static_cast<int64_t>(series.size()), sim::LlmCostSeriesPerInstance(o));
  EXPECT_LT(sim::LlmCostSeriesPerInstance(o), sim::LlmCostSeriesPerInstance());
  EXPECT_EQ(series.begin()->second, 40);  // 10m of 15s steps
}

// SIGTERM and SIGINT stop the live modes cleanly with exit code 0.
TEST(SimulateE2e, SignalsStopWithExitZero) {
  for (int sig : {SIGTERM, SIGINT}) {
    const int port = testutil::FreePort();
    const std::string addr = absl::StrCat("127.0.0.1:", port);
    std::vector<std::string> args = {kTally, "simulate", "--web.listen-address", addr};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid;
    ASSERT_EQ(posix_spawn(&pid, kTally.c_str(), nullptr, nullptr, argv.data(), environ), 0);
    // Wait until it serves, so the signal lands after the handler is installed.
    EXPECT_TRUE(testutil::PollUntil([&] { return !testutil::HttpGet(port, "/health").empty(); },
                                    absl::Seconds(15)));
    kill(pid, sig);
    int status = -1;
    const bool exited = testutil::PollUntil(
        [&] { return waitpid(pid, &status, WNOHANG) == pid; }, absl::Seconds(15));
    if (!exited) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
    ASSERT_TRUE(exited) << "signal " << sig;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "signal " << sig << ": "
                                                               << status;
  }
}

// Polls serve's instant query API until the body contains `needle`.
bool QueryEventually(int port, const std::string& escaped_query, const std::string& needle,
                     absl::Duration timeout, std::string* last) {
  return testutil::PollUntil(
      [&] {
        *last = testutil::HttpGet(port, "/api/v1/query?query=" + escaped_query);
        return absl::StrContains(*last, needle);
      },
      timeout, absl::Milliseconds(250));
}

TEST(SimulateE2e, RemoteWriteLandsInServe) {
  testutil::TempDir dir;
  const int port = testutil::FreePort();
  auto serve =
      testutil::ChildProcess::Start(kTally,
                                    {"serve", "--storage.tsdb.path", dir.Sub("data"),
                                     "--web.listen-address", absl::StrCat("127.0.0.1:", port)},
                                    dir.Sub("serve.log"));
  ASSERT_NE(serve, nullptr);
  auto sim = testutil::ChildProcess::Start(
      kTally,
      {"simulate", "--remote-write.url", absl::StrCat("http://127.0.0.1:", port, "/api/v1/write"),
       "--interval", "200ms", "--duration", "60s"},
      dir.Sub("sim.log"));
  ASSERT_NE(sim, nullptr);
  std::string last;
  EXPECT_TRUE(QueryEventually(port, "count(llm_cost_tracker_memory_limit_bytes)", "\"1\"]",
                              absl::Seconds(30), &last))
      << last << "\nserve: " << serve->Log() << "\nsim: " << sim->Log();
  // Every series of the instance arrived, not just one family.
  EXPECT_TRUE(QueryEventually(port, "count(%7Bjob%3D%22llm-cost-tracker%22%7D)",
                              absl::StrCat("\"", sim::LlmCostSeriesPerInstance(), "\"]"),
                              absl::Seconds(10), &last))
      << last;
}

// A latency threshold the normal traffic stays under (p95 of all requests ~1 s, the guide's
// SLI is < 2 s) and a 6x latency spike crosses; `for` and the windows are short so the test
// is bounded.
constexpr char kRules[] = R"(groups:
- name: sim
  interval: 1s
  rules:
  - record: sim:latency_p95
    expr: histogram_quantile(0.95, sum by (le) (rate(llm_cost_tracker_request_duration_seconds_bucket[30s])))
  - alert: SimLatencySpike
    expr: sim:latency_p95 > 2.5
    for: 3s
)";

std::string RunLatencyScenario(const std::string& scenario, absl::Duration wait) {
  testutil::TempDir dir;
  {
    std::ofstream(dir.Sub("rules.yml")) << kRules;
    std::ofstream(dir.Sub("tally.yml"))
        << "global:\n  evaluation_interval: 1s\nrule_files:\n  - rules.yml\n";
  }
  const int port = testutil::FreePort();
  auto serve = testutil::ChildProcess::Start(
      kTally,
      {"serve", "--config.file", dir.Sub("tally.yml"), "--storage.tsdb.path", dir.Sub("data"),
       "--web.listen-address", absl::StrCat("127.0.0.1:", port)},
      dir.Sub("serve.log"));
  auto sim = testutil::ChildProcess::Start(
      kTally,
      {"simulate", "--remote-write.url", absl::StrCat("http://127.0.0.1:", port, "/api/v1/write"),
       "--interval", "500ms", "--series-scale", "20", "--scenario", scenario, "--duration", "90s"},
      dir.Sub("sim.log"));
  if (serve == nullptr || sim == nullptr) return "spawn failed";
  std::string alerts;
  testutil::PollUntil(
      [&] {
        alerts = testutil::HttpGet(port, "/api/v1/alerts");
        return absl::StrContains(alerts, R"("state":"firing")");
      },
      wait, absl::Milliseconds(500));
  return alerts;
}

TEST(SimulateE2e, LatencySpikeScenarioFiresAlert) {
  const std::string alerts = RunLatencyScenario("latency-spike", absl::Seconds(40));
  EXPECT_TRUE(absl::StrContains(alerts, "SimLatencySpike")) << alerts;
  EXPECT_TRUE(absl::StrContains(alerts, R"("state":"firing")")) << alerts;
}

TEST(SimulateE2e, NoScenarioDoesNotFireLatencyAlert) {
  const std::string alerts = RunLatencyScenario("none", absl::Seconds(15));
  EXPECT_FALSE(absl::StrContains(alerts, R"("state":"firing")")) << alerts;
}

}  // namespace
}  // namespace tally::tools
