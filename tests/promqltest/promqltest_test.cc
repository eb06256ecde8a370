// Runs Prometheus 2.42's PromQL test scripts (shared/promqltest/*.test) and our own
// (tests/promqltest/testdata/*.test) through ScriptRunner: one test per file, listing each
// failing eval, and a final "N passed, M failed, K skipped" line.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/promqltest/script_runner.h"

namespace tally::promqltest {
namespace {

struct Totals {
  int passed = 0, failed = 0, skipped = 0;
};
Totals& GlobalTotals() {
  static Totals t;
  return t;
}

class TotalsPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    const Totals& t = GlobalTotals();
    if (t.passed + t.failed + t.skipped > 0) {
      std::printf("promqltest: %d passed, %d failed, %d skipped\n", t.passed, t.failed,
                  t.skipped);
    }
  }
};
const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new TotalsPrinter);

std::vector<std::string> ScriptFiles() {
  std::vector<std::string> out;
  for (const char* dir : {TALLY_SOURCE_DIR "/../shared/promqltest",
                          TALLY_SOURCE_DIR "/tests/promqltest/testdata"}) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".test") out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string base = std::filesystem::path(info.param).stem().string();
  std::string dir = std::filesystem::path(info.param).parent_path().filename().string();
  std::string name = (dir == "testdata" ? "tally_" : "") + base;
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class PromqlScriptTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PromqlScriptTest, AllEvalsPass) {
  std::ifstream in(GetParam());
  ASSERT_TRUE(in) << "cannot read " << GetParam();
  std::stringstream ss;
  ss << in.rdbuf();
  ScriptResult result;
  absl::Status s = RunScript(GetParam(), ss.str(), RunnerOptions{}, &result);
  ASSERT_TRUE(s.ok()) << s;
  Totals& t = GlobalTotals();
  t.passed += result.passed();
  t.failed += result.failed();
  t.skipped += result.skipped();
  for (const EvalOutcome& e : result.evals) {
    EXPECT_TRUE(e.passed || e.skipped)
        << GetParam() << ":" << e.line << ": " << e.expr << "\n    " << e.message;
  }
  std::printf("%s: %d passed, %d failed, %d skipped\n", GetParam().c_str(), result.passed(),
              result.failed(), result.skipped());
}

INSTANTIATE_TEST_SUITE_P(Scripts, PromqlScriptTest, ::testing::ValuesIn(ScriptFiles()),
                         TestName);

TEST(PromqlScriptCorpus, SharedCorpusPresent) {
  std::error_code ec;
  if (!std::filesystem::is_directory(TALLY_SOURCE_DIR "/../shared/promqltest", ec)) {
    GTEST_SKIP() << "shared/promqltest not present; the Prometheus corpus is not run";
  }
  int shared = 0;
  for (const std::string& f : ScriptFiles()) {
    shared += f.find("/shared/promqltest/") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(shared, 11);
}

}  // namespace
}  // namespace tally::promqltest
