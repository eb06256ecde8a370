// Internal to rules/lint: the state one Lint() run shares between its checks. The window
// being evaluated, the overlay store holding what earlier recording rules produced, metric
// types from the store's metadata, and a cache of range evaluations of subexpressions (a
// check that asks "which series does this side of the operation have?" evaluates that
// subtree once per step size, however many checks ask).
//
// Not thread-safe: one LintContext per Lint() call, used by one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "promql/engine.h"
#include "promql/parser/ast.h"
#include "promql/value.h"
#include "rules/lint/overlay_db.h"
#include "rules/lint/rule_linter.h"

namespace tally::rules::lint {

// A set of label names an expression's output may carry; nullopt = not known (anything).
using LabelNameSet = std::optional<std::set<std::string>>;

// What a recording rule earlier in the files produces.
struct RecordedMetric {
  std::string file;
  int line = 0;
  std::string rule_expr;      // as written
  LabelNameSet labels;        // inferred output label names (with __name__)
  int64_t interval_ms = 0;    // its group's interval: the spacing of its samples
  bool produced = false;      // non-empty over the window
  bool counter_like = false;  // a bare selector of a counter (keeps its type)
};

class LintContext {
 public:
  LintContext(storage::DB* base, const LintOptions& options, int64_t start_ms, int64_t end_ms);

  OverlayDB* db() { return &overlay_; }
  storage::DB* base() { return base_; }
  int64_t start_ms() const { return start_ms_; }
  int64_t end_ms() const { return end_ms_; }
  const LintOptions& options() const { return options_; }

  // Range-evaluates `e` over the window at `step_ms` (several engine queries when the
  // window has more than the engine's point limit). An instant-vector or scalar node gives
  // its values; a range-vector node (matrix selector, subquery) gives count_over_time of it,
  // so "has a series at step t" means "had samples in its range at t". Engine errors are
  // returned as they are (FailedPrecondition for evaluation errors). Cached per text+step.
  absl::StatusOr<const promql::Matrix*> Eval(const promql::Expr& e, int64_t step_ms);

  // The TYPE of the metric family a series name belongs to ("counter", "gauge",
  // "histogram", "summary", "unknown"), or "" when the store has no metadata for it.
  // Recorded metrics are "gauge" unless recorded from a bare counter selector.
  std::string MetricType(const std::string& series_name) const;

  const RecordedMetric* Recorded(const std::string& name) const {
    auto it = recorded_.find(name);
    return it == recorded_.end() ? nullptr : &it->second;
  }
  void AddRecorded(const std::string& name, RecordedMetric m) { recorded_[name] = std::move(m); }

  // Static output label names of `e` (see label_inference.cc): selectors from the data (or
  // from the recording rule that produces them), operators by Prometheus's label rules.
  LabelNameSet OutputLabels(const promql::Expr& e);

  // Typical spacing between consecutive samples of the series `sel` matches (median over a
  // few series near the end of the window); 0 when unknown.
  int64_t SampleSpacing(const promql::VectorSelector& sel);

 private:
  storage::DB* base_;
  OverlayDB overlay_;
  LintOptions options_;
  int64_t start_ms_, end_ms_;
  promql::Engine engine_;
  std::map<std::string, std::string> types_;  // metadata family name -> type
  std::map<std::string, RecordedMetric> recorded_;
  // node_hash_map: Eval() hands out pointers into it.
  absl::node_hash_map<std::string, absl::StatusOr<promql::Matrix>> cache_;
};

// "{a,b,c}" (sorted names, __name__ left out).
std::string FormatNameSet(const std::set<std::string>& names);

// Label names (without __name__) present on any series of `m`.
std::set<std::string> NamesOf(const promql::Matrix& m);

// Checks of one parsed rule; each appends to `out`. `report(line_hint, severity, message)`
// style helpers live in rule_linter.cc; these take the expression and a sink.
struct RuleSink {
  const LintRule* rule;
  const std::string* file;
  std::vector<Finding>* out;
  // The line of the expression (or of the rule when unknown).
  int ExprLine() const { return rule->expr_line > 0 ? rule->expr_line : rule->line; }
  void Add(int line, Severity sev, std::string message) const {
    out->push_back(
        Finding{*file, line > 0 ? line : rule->line, sev, rule->name, std::move(message)});
  }
};

// explain_empty.cc: the result over the whole window is empty; say why (nullopt when the
// cause is only that a filter never held, which is normal for an alert).
std::optional<std::string> ExplainEmpty(LintContext* ctx, const promql::Expr& e, int64_t step_ms);

// explain_empty.cc: selectors that match nothing although the whole expression returns
// something (e.g. one side of `or`): warnings.
void CheckEmptySelectors(LintContext* ctx, const promql::Expr& root, int64_t step_ms,
                         const RuleSink& sink);

// matching_check.cc: duplicate match groups on a side that must be unique, found on the
// sides as they are and with their inner filters opened; reports evaluation errors with
// their cause, and latent ones that a comparison or an inner filter hides today. Returns
// true when it explained an evaluation error of `root`.
bool CheckMatching(LintContext* ctx, const promql::Expr& root, int64_t step_ms,
                   const RuleSink& sink);

// function_checks.cc: rate/increase/irate/resets over gauges, deriv/delta/idelta over
// counters, histogram_quantile without `le`, range windows under 2x the sample spacing.
void CheckFunctions(LintContext* ctx, const promql::Expr& root, const RuleSink& sink);

}  // namespace tally::rules::lint
