// Lint(): the driver. Evaluates every rule over the window in file order, feeds recording
// results to the overlay, and runs the checks of lint_context.h on each rule.
#include "rules/lint/rule_linter.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "promql/parser/parser.h"
#include "re2/re2.h"
#include "rules/lint/lint_context.h"
#include "storage/util/duration.h"
#include "storage/util/status_macros.h"

namespace tally::rules::lint {
namespace {

// "1:14: parse error: unexpected <by>" -> (1, 14, "parse error: unexpected <by>").
void SplitPosition(absl::string_view msg, int* line, int* col, std::string* rest) {
  *line = *col = 0;
  *rest = std::string(msg);
  std::vector<absl::string_view> parts = absl::StrSplit(msg, absl::MaxSplits(':', 2));
  int l = 0, c = 0;
  if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &l) && absl::SimpleAtoi(parts[1], &c)) {
    *line = l;
    *col = c;
    *rest = std::string(absl::StripLeadingAsciiWhitespace(parts[2]));
  }
}

void CheckName(const LintRule& r, const RuleSink& sink) {
  std::vector<absl::string_view> parts = absl::StrSplit(r.name, ':');
  bool ok = parts.size() >= 3;
  for (absl::string_view p : parts) ok = ok && !p.empty();
  if (!ok) {
    sink.Add(r.line, Severity::kWarning,
             "name does not follow the level:metric:operations convention (e.g. "
             "job:http_requests:rate5m)");
  }
}

// $labels.X, .Labels.X and index $labels "X" in a template.
std::vector<std::string> ReferencedLabels(const std::string& text) {
  static const RE2 kDollar(R"re(\$labels\.([a-zA-Z_][a-zA-Z0-9_]*))re");
  static const RE2 kDot(R"re(\.Labels\.([a-zA-Z_][a-zA-Z0-9_]*))re");
  static const RE2 kIndex(R"re(index\s+\$labels\s+"([^"]*)")re");
  std::vector<std::string> out;
  for (const RE2* re : {&kDollar, &kDot, &kIndex}) {
    re2::StringPiece in(text.data(), text.size());
    std::string name;
    while (RE2::FindAndConsume(&in, *re, &name)) out.push_back(name);
  }
  return out;
}

void CheckTemplates(const LintRule& r, const LabelNameSet& expr_labels, const RuleSink& sink) {
  if (!expr_labels) return;
  std::set<std::string> have = *expr_labels;
  have.erase(std::string(storage::kMetricNameLabel));
  for (const LintTemplate& t : r.labels) have.insert(t.key);
  have.insert("alertname");
  auto check = [&](const LintTemplate& t, const char* what) {
    std::set<std::string> reported;
    for (const std::string& name : ReferencedLabels(t.value)) {
      if (have.count(name) || !reported.insert(name).second) continue;
      sink.Add(t.line, Severity::kError,
               absl::StrCat(what, " ", t.key, " uses $labels.", name,
                            ", which the alert never has: its labels are ", FormatNameSet(have),
                            " (it renders as <no value>)"));
    }
  };
  for (const LintTemplate& t : r.labels) check(t, "label");
  for (const LintTemplate& t : r.annotations) check(t, "annotation");
}

// Recording results as overlay series: the metric renamed, the rule's labels applied.
std::vector<OverlaySeries> ToRecorded(const LintRule& r, const promql::Matrix& m) {
  std::map<storage::Labels, std::vector<storage::Sample>> merged;
  for (const promql::MatrixSeries& s : m) {
    storage::LabelsBuilder b(s.metric);
    b.Set(storage::kMetricNameLabel, r.name);
    for (const LintTemplate& l : r.labels) b.Set(l.key, l.value);
    auto& pts = merged[b.Build()];
    pts.insert(pts.end(), s.points.begin(), s.points.end());
  }
  std::vector<OverlaySeries> out;
  for (auto& [l, pts] : merged) {
    std::sort(pts.begin(), pts.end(),
              [](const storage::Sample& a, const storage::Sample& b) { return a.t_ms < b.t_ms; });
    out.push_back(OverlaySeries{l, std::move(pts)});
  }
  return out;
}

// One rule of the files, parsed once for both passes.
struct Item {
  const std::string* file;
  const LintRule* rule;
  int64_t interval_ms;
  absl::StatusOr<promql::ExprPtr> expr;
  bool usable() const {
    return expr.ok() && ((*expr)->type() == promql::ValueType::kVector ||
                         (*expr)->type() == promql::ValueType::kScalar);
  }
};

// Pass 1 for a recording rule: evaluate it over the window and add its result to the
// overlay, so every rule (in any group or file, as in Prometheus where groups read each
// other's results from the store) is judged on what it would produce.
void Record(LintContext* ctx, const Item& it) {
  const LintRule& r = *it.rule;
  RecordedMetric rec{*it.file, r.line, r.expr, std::nullopt, it.interval_ms, false, false};
  if (it.usable()) {
    const promql::Expr& expr = **it.expr;
    absl::StatusOr<const promql::Matrix*> result = ctx->Eval(expr, it.interval_ms);
    rec.labels = ctx->OutputLabels(expr);
    if (rec.labels) {
      rec.labels->insert(std::string(storage::kMetricNameLabel));
      for (const LintTemplate& l : r.labels) rec.labels->insert(l.key);
    }
    const promql::Expr& u = promql::UnwrapParens(expr);
    rec.counter_like = u.kind == promql::NodeKind::kVectorSelector &&
                       ctx->MetricType(u.As<promql::VectorSelector>().name) == "counter";
    if (result.ok()) {
      rec.produced = !(*result)->empty();
      ctx->db()->Record(r.name, ToRecorded(r, **result));
    }
  }
  // Several rules may record one name: what any of them produces counts.
  if (const RecordedMetric* prev = ctx->Recorded(r.name)) {
    rec.produced = rec.produced || prev->produced;
    if (!prev->labels) {
      rec.labels = std::nullopt;
    } else if (rec.labels) {
      rec.labels->insert(prev->labels->begin(), prev->labels->end());
    }
    if (!prev->produced) {
      rec.file = prev->file;
      rec.line = prev->line;
    }
  }
  ctx->AddRecorded(r.name, rec);
}

// Names of the series `e` reads.
std::set<std::string> ReadNames(const promql::Expr& e) {
  std::set<std::string> out;
  promql::Inspect(e, [&](const promql::Expr& n, absl::Span<const promql::Expr* const>) {
    if (n.kind == promql::NodeKind::kVectorSelector) {
      out.insert(n.As<promql::VectorSelector>().name);
    }
    return true;
  });
  return out;
}

// Pass 2: every check of one rule, in file order.
void CheckRule(LintContext* ctx, const Item& it, std::vector<Finding>* out) {
  const LintRule& r = *it.rule;
  const int64_t interval_ms = it.interval_ms;
  RuleSink sink{&r, it.file, out};
  const bool recording = r.kind == LintRule::Kind::kRecording;
  if (recording) CheckName(r, sink);
  if (!recording && r.for_ms > 0 && r.for_ms < interval_ms) {
    sink.Add(
        r.for_line, Severity::kWarning,
        absl::StrCat("for: ", storage::FormatDurationMs(r.for_ms),
                     " is shorter than the group interval ", storage::FormatDurationMs(interval_ms),
                     ": the alert is pending for a whole interval anyway"));
  }
  if (!it.expr.ok()) {
    int line = 0, col = 0;
    std::string rest;
    SplitPosition(it.expr.status().message(), &line, &col, &rest);
    int file_line = sink.ExprLine();
    std::string where;
    if (line > 0 && r.expr_line > 0) {
      // An error at the end of input of a block scalar sits on the line after the text.
      absl::string_view text = absl::StripTrailingAsciiWhitespace(r.expr);
      const int expr_lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
      file_line = r.expr_line + std::min(line, expr_lines) - 1;
      if (r.expr_column > 0 && line <= expr_lines) {
        where = absl::StrCat(" (column ", r.expr_column + col - 1, ")");
      }
    }
    sink.Add(file_line, Severity::kError, absl::StrCat(rest, where));
    return;
  }
  const promql::Expr& expr = **it.expr;
  if (!it.usable()) {
    sink.Add(sink.ExprLine(), Severity::kError,
             absl::StrCat("rule expression must be an instant vector or scalar, got ",
                          promql::ValueTypeName(expr.type())));
    return;
  }
  CheckFunctions(ctx, expr, sink);
  absl::StatusOr<const promql::Matrix*> result = ctx->Eval(expr, interval_ms);
  if (!result.ok()) {
    if (!CheckMatching(ctx, expr, interval_ms, sink)) {
      sink.Add(sink.ExprLine(), Severity::kError,
               absl::StrCat("evaluation fails: ", result.status().message()));
    }
  } else {
    CheckMatching(ctx, expr, interval_ms, sink);
    std::optional<std::string> why;
    if ((*result)->empty()) why = ExplainEmpty(ctx, expr, interval_ms);
    if (why) {
      sink.Add(sink.ExprLine(), Severity::kError,
               absl::StrCat("always returns nothing on this data: ", *why));
    } else {
      // Returns something, or nothing only because a filter never held: a selector that
      // matches nothing is still worth a warning (e.g. a typo on one side of `or`).
      CheckEmptySelectors(ctx, expr, interval_ms, sink);
    }
  }
  if (!recording) CheckTemplates(r, ctx->OutputLabels(expr), sink);
}

}  // namespace

std::string FormatFinding(const Finding& f) {
  return absl::StrCat(f.file, ":", f.line, ": ",
                      f.severity == Severity::kError ? "error" : "warning", ": ",
                      f.rule.empty() ? "" : absl::StrCat(f.rule, ": "), f.message);
}

absl::StatusOr<LintResult> Lint(const std::vector<LintFile>& files, storage::DB* db,
                                const LintOptions& options) {
  ASSIGN_OR_RETURN(storage::DBStats stats, db->Stats(0));
  LintResult result;
  int64_t end = options.time_ms;
  if (end == storage::kMinTime) {
    end = stats.num_samples > 0 ? stats.max_time_ms : absl::ToUnixMillis(absl::Now());
  }
  int64_t start = end - options.window_ms;
  if (stats.num_samples > 0) start = std::max(start, std::min(stats.min_time_ms, end));
  // Bound the work: at most kMaxSteps evaluation steps for the fastest group.
  int64_t min_interval = options.default_interval_ms;
  for (const LintFile& f : files) {
    for (const LintGroup& g : f.groups) {
      if (g.interval_ms > 0) min_interval = std::min(min_interval, g.interval_ms);
    }
  }
  if (min_interval > 0 && (end - start) / min_interval > kMaxSteps) {
    start = end - kMaxSteps * min_interval;
  }
  result.start_ms = start;
  result.end_ms = end;
  LintContext ctx(db, options, start, end);
  std::vector<Item> items;
  for (const LintFile& f : files) {
    for (const LintGroup& g : f.groups) {
      const int64_t interval = g.interval_ms > 0 ? g.interval_ms : options.default_interval_ms;
      for (const LintRule& r : g.rules) {
        items.push_back(Item{&f.path, &r, interval, promql::ParseExpr(r.expr)});
      }
    }
  }
  result.rules = static_cast<int>(items.size());

  // Pass 1: recording rules, each after the recording rules it reads (file order otherwise;
  // a cycle is cut where it closes, as Prometheus would read the previous evaluation).
  std::map<std::string, std::vector<size_t>> recorders;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].rule->kind == LintRule::Kind::kRecording) {
      recorders[items[i].rule->name].push_back(i);
    }
  }
  enum class State { kTodo, kActive, kDone };
  std::vector<State> state(items.size(), State::kTodo);
  constexpr int kMaxDepth = 256;  // deeper chains fall back to file order
  std::function<void(size_t, int)> visit = [&](size_t i, int depth) {
    state[i] = State::kActive;
    if (items[i].expr.ok() && depth < kMaxDepth) {
      for (const std::string& name : ReadNames(**items[i].expr)) {
        auto it = recorders.find(name);
        if (it == recorders.end()) continue;
        for (size_t j : it->second) {
          if (state[j] == State::kTodo) visit(j, depth + 1);
        }
      }
    }
    Record(&ctx, items[i]);
    state[i] = State::kDone;
  };
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].rule->kind == LintRule::Kind::kRecording && state[i] == State::kTodo) {
      visit(i, 0);
    }
  }
  // Pass 2: the checks, in file order.
  for (const Item& it : items) CheckRule(&ctx, it, &result.findings);
  return result;
}

}  // namespace tally::rules::lint
