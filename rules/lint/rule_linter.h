// RuleLinter: `tally rules lint`'s analysis, the checks promtool cannot make because they
// need the data. It evaluates every rule as a range query over a window of stored data at
// its group's interval. Recording rules go first, each after the recording rules it reads,
// and their results are added to an in-memory overlay of the store, so any rule that reads
// a recorded series (in any group or file) is judged on what the rule would produce. Then,
// in file order, it reports per rule:
//   - parse errors, with the position inside the file;
//   - expressions that return nothing over the whole window, and why (the selector that
//     matches no series; the binary operation whose sides share no match group, naming the
//     labels on each side);
//   - evaluation errors, and many-to-many / duplicate-series errors that Prometheus would hit
//     as soon as a comparison or filter lets duplicates through (found from the match groups
//     of the unfiltered sides, not from today's values);
//   - rate/increase/irate/resets over gauges, deriv/delta/idelta over counters (metadata);
//   - histogram_quantile over something without an `le` label;
//   - label/annotation templates reading $labels.X that the expression cannot produce;
//   - `for` shorter than the group interval, range windows under 2x the sample spacing,
//     recording rule names that do not follow level:metric:operations.
//
// The input is the small LintFile structure below, filled from the rule-file parser's
// result by the caller (the linter does not parse YAML). Findings are returned in file
// order; FormatFinding() gives the compiler-style line the CLI prints.
//
// Thread-safety: Lint() is a pure function of its arguments apart from reading `db`; the
// DB may be shared with other readers. Errors (absl::Status) are only for storage failures;
// everything about the rules is a Finding. Memory: each recording rule's result over the
// window (about 16 bytes per series and step) plus the evaluated subexpressions, cached.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/db.h"

namespace tally::rules::lint {

// A label or annotation of a rule: key, template text and the line of the key.
struct LintTemplate {
  std::string key;
  std::string value;
  int line = 0;
};

struct LintRule {
  enum class Kind { kRecording, kAlerting };
  Kind kind = Kind::kRecording;
  std::string name;  // `record:` or `alert:` value
  int line = 0;      // line of the rule's `- record:` / `- alert:` (1-based)
  std::string expr;
  // Where the expression text starts: line and column (1-based) of its first character in
  // the file, and whether it is a block scalar (`expr: |`), in which case every line of the
  // expression starts at `expr_column`. 0 = unknown (findings then use `line`).
  int expr_line = 0;
  int expr_column = 0;
  int64_t for_ms = 0;
  int for_line = 0;
  std::vector<LintTemplate> labels;
  std::vector<LintTemplate> annotations;
};

struct LintGroup {
  std::string name;
  int line = 0;
  int64_t interval_ms = 0;  // 0 = the global evaluation interval (LintOptions)
  std::vector<LintRule> rules;
};

struct LintFile {
  std::string path;
  std::vector<LintGroup> groups;
};

enum class Severity { kWarning, kError };

struct Finding {
  std::string file;
  int line = 0;
  Severity severity = Severity::kWarning;
  std::string rule;  // rule name; empty for file-level findings
  std::string message;
};

// "FILE:LINE: error|warning: RULE_NAME: message".
std::string FormatFinding(const Finding& f);

// The window is shortened so that the group with the shortest interval is evaluated at no
// more than this many steps (24h at 1s).
inline constexpr int64_t kMaxSteps = 86'400;

struct LintOptions {
  // Evaluation time of the window's end; kMinTime = the newest sample in the store.
  int64_t time_ms = storage::kMinTime;
  // How far back from time_ms rules are evaluated (clamped to the oldest stored sample).
  int64_t window_ms = int64_t{24} * 3600 * 1000;
  // Prometheus's global.evaluation_interval default, for groups without `interval`.
  int64_t default_interval_ms = 60'000;
  int64_t lookback_delta_ms = 300'000;
};

struct LintResult {
  std::vector<Finding> findings;
  int64_t start_ms = 0;  // the evaluated window
  int64_t end_ms = 0;
  int rules = 0;
  bool has_errors() const {
    for (const Finding& f : findings) {
      if (f.severity == Severity::kError) return true;
    }
    return false;
  }
};

// Lints `files` (in order: groups of a later file may read series recorded by an earlier
// one) against the data in `db`, which is only read. Fails only on storage errors.
absl::StatusOr<LintResult> Lint(const std::vector<LintFile>& files, storage::DB* db,
                                const LintOptions& options);

}  // namespace tally::rules::lint
