// ScriptRunner: executes Prometheus's PromQL test-script language (2.42 flavour, described
// in shared/promqltest/FORMAT.md) against the real storage (a DB in a temp dir, filled
// through Appenders) and the real Engine. Used by promqltest_test.cc for the shared corpus
// and for our own scripts in tests/promqltest/testdata/. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tally::promqltest {

struct EvalOutcome {
  int line = 0;
  std::string expr;
  bool passed = false;
  bool skipped = false;
  std::string message;  // why it failed or was skipped
};

struct ScriptResult {
  std::vector<EvalOutcome> evals;
  int passed() const;
  int failed() const;
  int skipped() const;
};

struct RunnerOptions {
  // Also run each passing eval as a range query from T-1m to T+1m step 1m and check the
  // point at T (FORMAT.md 7.2).
  bool check_range_mode = true;
};

// Runs the script text; `name` is used in messages. A malformed script is an error
// (InvalidArgument naming the line); individual eval failures are reported in the result.
absl::Status RunScript(const std::string& name, const std::string& text,
                       const RunnerOptions& options, ScriptResult* result);

}  // namespace tally::promqltest
