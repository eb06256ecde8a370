// `tally rules check|test|backfill` as subprocesses: output, exit codes, stored results.
// Expected check/test output was produced by promtool 2.42 on the same files.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/temp_dir.h"

namespace tally::tools {
namespace {

using ::testing::HasSubstr;

// Runs build/tally with `args`; returns stdout, stderr appended to *err.
std::string Tally(const std::string& args, int* rc, const testutil::TempDir& dir,
                  std::string* err = nullptr) {
  const std::string err_path = dir.Sub("stderr.txt");
  std::string out;
  FILE* f = popen(absl::StrCat(TALLY_BINARY_DIR, "/tally ", args, " 2>", err_path).c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const int st = pclose(f);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (err != nullptr) {
    std::ifstream in(err_path);
    err->assign(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

TEST(RulesCliTest, CheckReportsErrorsLikePromtool) {
  testutil::TempDir dir;
  const std::string bad = dir.Sub("bad.yml");
  std::ofstream(bad) << "groups:\n- name: g\n  rules:\n  - record: a-b\n    expr: sum(x\n";
  int rc = -1;
  std::string err;
  std::string out = Tally("rules check " + bad, &rc, dir, &err);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(out, absl::StrCat("Checking ", bad, "\n\n"));
  EXPECT_EQ(err, absl::StrCat("  FAILED:\n", bad,
                              ": 5:11: group \"g\", rule 1, \"a-b\": could not parse expression: "
                              "1:6: parse error: unclosed left parenthesis\n",
                              bad, ": 4:13: group \"g\", rule 1, \"a-b\": invalid recording rule "
                              "name: a-b\n"));
  const std::string ok = std::string(TALLY_SOURCE_DIR) + "/examples/llm-cost-tracker/rules/alerts.yml";
  out = Tally("rules check " + ok, &rc, dir);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, absl::StrCat("Checking ", ok, "\n  SUCCESS: 11 rules found\n\n"));
}

TEST(RulesCliTest, TestRunsSeedTests) {
  testutil::TempDir dir;
  int rc = -1;
  std::string out = Tally(absl::StrCat("rules test ", TALLY_SOURCE_DIR,
                                       "/tests/rules/testdata/seed_alerts_test.yml"),
                          &rc, dir);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("  SUCCESS\n"));
}

TEST(RulesCliTest, BackfillStoresRecordingResultsAndLaterRulesSeeEarlierOnes) {
  testutil::TempDir dir;
  std::ofstream(dir.Sub("in.prom")) << "# TYPE x counter\n"
                                    << "x{job=\"a\"} 0 0\nx{job=\"a\"} 60 60000\n"
                                    << "x{job=\"a\"} 120 120000\nx{job=\"a\"} 180 180000\n";
  std::ofstream(dir.Sub("rules.yml"))
      << "groups:\n- name: g\n  rules:\n  - record: job:x:rate1m\n"
         "    expr: sum by (job) (rate(x[2m]))\n  - record: job:x:rate1m_doubled\n"
         "    expr: job:x:rate1m * 2\n  - alert: Ignored\n    expr: vector(1)\n";
  int rc = -1;
  std::string err;
  Tally(absl::StrCat("backfill --storage.tsdb.path ", dir.Sub("data"), " ", dir.Sub("in.prom")),
        &rc, dir, &err);
  ASSERT_EQ(rc, 0) << err;
  std::string out = Tally(absl::StrCat("rules backfill --storage.tsdb.path ", dir.Sub("data"),
                                       " --start 60 --end 180 --eval-interval 60s ",
                                       dir.Sub("rules.yml")),
                          &rc, dir, &err);
  ASSERT_EQ(rc, 0) << out << err;
  EXPECT_THAT(out, HasSubstr("evaluated 3 steps of 1 groups: 6 samples stored, 0 rejected"));
  out = Tally(absl::StrCat("query --storage.tsdb.path ", dir.Sub("data"),
                           " --time 180 'job:x:rate1m_doubled'"),
              &rc, dir, &err);
  EXPECT_EQ(rc, 0) << err;
  EXPECT_THAT(out, HasSubstr("\"job\":\"a\"},\"value\":[180,\"2\"]")) << out;
  out = Tally(absl::StrCat("query --storage.tsdb.path ", dir.Sub("data"), " --time 180 'ALERTS'"),
              &rc, dir, &err);
  EXPECT_THAT(out, HasSubstr("\"result\":[]")) << out;
}

}  // namespace
}  // namespace tally::tools
