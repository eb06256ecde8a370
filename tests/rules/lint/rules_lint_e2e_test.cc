// End to end: build/tally generate + backfill sample data, then `tally rules lint` on the
// seed's original rules, checking the findings the seed is known to have, with file:line.
// Skips when build/tally has not been built.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::rules::lint {
namespace {

using ::testing::HasSubstr;

using testutil::RunResult;

// Runs build/tally with `args`; killed after 120 s.
RunResult Tally(const testutil::TempDir& dir, const std::vector<std::string>& args) {
  return testutil::RunToCompletion(TALLY_BINARY_DIR "/tally", args, dir.Sub("tally"));
}

// The line of `needle` (1-based) in `path`.
int LineOf(const std::string& path, const std::string& needle) {
  std::ifstream f(path);
  std::string line;
  for (int i = 1; std::getline(f, line); ++i) {
    if (line.find(needle) != std::string::npos) return i;
  }
  return 0;
}

class RulesLintE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(TALLY_BINARY_DIR "/tally")) {
      GTEST_SKIP() << "build/tally not built (cmake --build build --target tally)";
    }
  }
  testutil::TempDir dir_;
};

TEST_F(RulesLintE2ETest, SeedRulesReportBudgetProjectedToExceedManyToMany) {
  const std::string rules = TALLY_SOURCE_DIR "/examples/llm-cost-tracker/seed-rules.yml";
  const std::string data = dir_.Sub("data"), om = dir_.Sub("seed.om");
  RunResult g = Tally(dir_, {"generate", "--hours", "5", "--start", "1795910400000", "--out", om});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  RunResult b = Tally(dir_, {"backfill", "--storage.tsdb.path", data, om});
  ASSERT_EQ(b.exit_code, 0) << b.err;

  RunResult l = Tally(dir_, {"rules", "lint", "--storage.tsdb.path", data, rules});
  EXPECT_EQ(l.exit_code, 1) << l.err;  // errors found
  // The expression of BudgetProjectedToExceed starts on the line after its `expr: |`.
  const int line = LineOf(rules, "predict_linear(llm:cost_per_model_24h[4h], 24*3600)");
  ASSERT_GT(line, 0);
  const std::string prefix = absl::StrCat(rules, ":", line, ": error: BudgetProjectedToExceed: ");
  EXPECT_THAT(l.out, HasSubstr(prefix)) << l.out;
  const size_t at = l.out.find(prefix);
  ASSERT_NE(at, std::string::npos);
  const std::string finding = l.out.substr(at, l.out.find('\n', at) - at);
  EXPECT_THAT(finding, HasSubstr("multiple matches for labels"));
  EXPECT_THAT(finding, HasSubstr("series per match group on (application)"));

  // Other seed problems, each on its own rule.
  EXPECT_THAT(l.out, HasSubstr("error: HighCPULoadSustained: rate() is for counters but "
                               "llm_cost_tracker_cpu_usage_ratio has TYPE gauge"));
  EXPECT_THAT(l.out, HasSubstr("error: llm:tokens_per_request: always returns nothing"));
  // The generator writes the slow-query counter and the health-check ratio the guide's
  // system alerts read, so those have no finding.
  EXPECT_THAT(l.out, ::testing::Not(HasSubstr("error: DatabaseSlowQueries")));
  EXPECT_THAT(l.out, ::testing::Not(HasSubstr("error: HealthCheckFailing")));
  // A sound rule has no finding but its name warning.
  EXPECT_THAT(l.out, ::testing::Not(HasSubstr("error: llm:latency_p95_5m")));
}

TEST_F(RulesLintE2ETest, UsageErrorsExitTwo) {
  EXPECT_EQ(Tally(dir_, {"rules", "lint"}).exit_code, 2);
  EXPECT_EQ(Tally(dir_, {"rules", "lint", "--bogus", "x.yml"}).exit_code, 2);
  EXPECT_EQ(Tally(dir_, {"rules", "lint", "--time", "yesterday-ish", "x.yml"}).exit_code, 2);
}

TEST_F(RulesLintE2ETest, CleanRulesExitZero) {
  const std::string data = dir_.Sub("data"), om = dir_.Sub("d.om"), rules = dir_.Sub("ok.yml");
  ASSERT_EQ(
      Tally(dir_, {"generate", "--hours", "1", "--start", "1795910400000", "--out", om}).exit_code,
      0);
  ASSERT_EQ(Tally(dir_, {"backfill", "--storage.tsdb.path", data, om}).exit_code, 0);
  std::ofstream(rules)
      << "groups:\n- name: ok\n  rules:\n"
         "  - record: application:llm_requests:rate5m\n"
         "    expr: sum by (application) (rate(llm_cost_tracker_requests_total[5m]))\n"
         "  - alert: ManyRequests\n"
         "    expr: application:llm_requests:rate5m > 1e9\n"
         "    annotations:\n"
         "      summary: \"{{ $labels.application }}\"\n";
  RunResult l = Tally(dir_, {"rules", "lint", "--storage.tsdb.path", data, rules});
  EXPECT_EQ(l.exit_code, 0) << l.out << l.err;
  EXPECT_EQ(l.out, "");
}

TEST_F(RulesLintE2ETest, UrlModeFindsWhatTheDataDirModeFinds) {
  const std::string rules = TALLY_SOURCE_DIR "/examples/llm-cost-tracker/seed-rules.yml";
  const std::string data = dir_.Sub("data"), om = dir_.Sub("seed.om");
  ASSERT_EQ(
      Tally(dir_, {"generate", "--hours", "3", "--start", "1795910400000", "--out", om}).exit_code,
      0);
  ASSERT_EQ(Tally(dir_, {"backfill", "--storage.tsdb.path", data, om}).exit_code, 0);
  // The newest generated sample: 3 h after the start, less one 15 s step and 1 ms jitter.
  const std::string at = "1795921184.999";
  RunResult local =
      Tally(dir_, {"rules", "lint", "--time", at, "--storage.tsdb.path", data, rules});
  ASSERT_EQ(local.exit_code, 1) << local.err;
  ASSERT_THAT(local.out, HasSubstr("BudgetProjectedToExceed"));

  const int port = testutil::FreePort();
  ASSERT_GT(port, 0);
  auto server = testutil::ChildProcess::Start(
      TALLY_BINARY_DIR "/tally",
      {"serve", "--storage.tsdb.path", data, "--web.listen-address",
       absl::StrCat("127.0.0.1:", port)},
      dir_.Sub("serve.log"));
  ASSERT_NE(server, nullptr);
  // Ready when the log says so (bounded: 30 s).
  if (!testutil::PollUntil(
          [&] {
            return server->Log().find("ready to receive web requests") != std::string::npos;
          },
          absl::Seconds(30), absl::Milliseconds(20))) {
    GTEST_SKIP() << "tally serve did not start on port " << port << ": " << server->Log();
  }
  RunResult remote = Tally(dir_, {"rules", "lint", "--time", at, "--url",
                                  absl::StrCat("http://127.0.0.1:", port), rules});
  EXPECT_EQ(remote.exit_code, 1) << remote.err;
  EXPECT_EQ(remote.out, local.out);
  EXPECT_EQ(Tally(dir_, {"rules", "lint", "--url", "http://127.0.0.1:1", "--storage.tsdb.path",
                         data, rules})
                .exit_code,
            2);
}

}  // namespace
}  // namespace tally::rules::lint
