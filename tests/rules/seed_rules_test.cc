// The seed guide's rules: the fixed set (examples/llm-cost-tracker/rules/) passes its
// promtool-format unit tests (every alert fires and resolves) under Tally's runner and under
// promtool 2.42 itself; the original seed file loads but its BudgetProjectedToExceed fails
// at evaluation exactly when the budget is exceeded, in both.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "rules/lint/unit_test_runner.h"
#include "rules/rule_file.h"

namespace tally::rules {
namespace {

const std::string kTestdata = std::string(TALLY_SOURCE_DIR) + "/tests/rules/testdata/";
const std::string kExamples = std::string(TALLY_SOURCE_DIR) + "/examples/llm-cost-tracker/";
constexpr const char* kPromtool = "/usr/bin/promtool";

std::string RunCommand(const std::string& cmd, int* rc) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const int st = pclose(f);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

class SeedRulesTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SeedRulesTest, PassesUnderTally) {
  UnitTestResult r = RunRuleUnitTests(kTestdata + GetParam());
  EXPECT_TRUE(r.errors.empty()) << absl::StrJoin(r.errors, "\n");
}

TEST_P(SeedRulesTest, PassesUnderPromtool) {
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << "promtool not installed";
  int rc = -1;
  std::string out = RunCommand(absl::StrCat(kPromtool, " test rules ", kTestdata, GetParam()), &rc);
  EXPECT_EQ(rc, 0) << out;
}

INSTANTIATE_TEST_SUITE_P(Files, SeedRulesTest,
                         ::testing::Values("seed_alerts_test.yml", "seed_budget_test.yml"));

TEST(SeedOriginalTest, BudgetAlertFailsWithManyToOneInBoth) {
  const std::string file = kTestdata + "seed_original_budget_test.yml";
  const char* kErr =
      "    rule: BudgetProjectedToExceed, time: 10m0s, err: multiple matches for labels: "
      "many-to-one matching must be explicit (group_left/group_right)";
  UnitTestResult r = RunRuleUnitTests(file);
  ASSERT_EQ(r.errors.size(), 1u) << absl::StrJoin(r.errors, "\n");
  EXPECT_EQ(r.errors[0], kErr);
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << "promtool not installed";
  int rc = -1;
  std::string out = RunCommand(absl::StrCat(kPromtool, " test rules ", file), &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(absl::StrContains(out, kErr)) << out;
}

TEST(SeedOriginalTest, AllRuleFilesAreValid) {
  for (const std::string f : {kExamples + "seed-rules.yml", kExamples + "rules/recording.yml",
                              kExamples + "rules/alerts.yml"}) {
    ParsedRuleFile p = LoadRuleFile(f);
    EXPECT_TRUE(p.errors.empty()) << f << ": " << absl::StrJoin(p.errors, "\n");
  }
}

}  // namespace
}  // namespace tally::rules
