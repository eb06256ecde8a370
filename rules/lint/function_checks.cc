// Function-level checks that need the store's metadata or data: counter functions over
// gauges (and the converse), histogram_quantile over series without `le`, and range windows
// too short for the spacing of the samples they read.
#include "absl/strings/str_cat.h"
#include "promql/parser/function_table.h"
#include "promql/parser/printer.h"
#include "rules/lint/lint_context.h"
#include "storage/util/duration.h"

namespace tally::rules::lint {
namespace {

using promql::FunctionId;

const promql::MatrixSelector* RangeArg(const promql::Call& c) {
  for (const promql::ExprPtr& a : c.args) {
    const promql::Expr& u = promql::UnwrapParens(*a);
    if (u.kind == promql::NodeKind::kMatrixSelector) return &u.As<promql::MatrixSelector>();
  }
  return nullptr;
}

std::string TypeOrigin(LintContext* ctx, const std::string& name, const std::string& type) {
  if (const RecordedMetric* r = ctx->Recorded(name)) {
    return absl::StrCat(name, " is recorded by `", r->rule_expr, "` (", r->file, ":", r->line,
                        "), a ", type);
  }
  return absl::StrCat(name, " has TYPE ", type);
}

}  // namespace

void CheckFunctions(LintContext* ctx, const promql::Expr& root, const RuleSink& sink) {
  promql::Inspect(root, [&](const promql::Expr& n, absl::Span<const promql::Expr* const>) {
    if (n.kind != promql::NodeKind::kCall) return true;
    const auto& c = n.As<promql::Call>();
    const promql::MatrixSelector* range = RangeArg(c);
    const std::string fn(c.func->name);
    if (range != nullptr && !range->selector->name.empty()) {
      const std::string& metric = range->selector->name;
      const std::string type = ctx->MetricType(metric);
      switch (c.func->id) {
        case FunctionId::kRate:
        case FunctionId::kIncrease:
        case FunctionId::kIrate:
          if (type == "gauge") {
            sink.Add(sink.ExprLine(), Severity::kError,
                     absl::StrCat(fn, "() is for counters but ", TypeOrigin(ctx, metric, type),
                                  ": it treats every decrease as a counter reset and returns "
                                  "nonsense (use deriv(), delta() or a *_over_time function)"));
          }
          break;
        case FunctionId::kResets:
          if (type == "gauge") {
            sink.Add(sink.ExprLine(), Severity::kWarning,
                     absl::StrCat("resets() counts counter resets but ",
                                  TypeOrigin(ctx, metric, type), " (use changes())"));
          }
          break;
        case FunctionId::kDeriv:
        case FunctionId::kDelta:
        case FunctionId::kIdelta:
          if (type == "counter") {
            sink.Add(sink.ExprLine(), Severity::kWarning,
                     absl::StrCat(fn, "() is for gauges but ", TypeOrigin(ctx, metric, type),
                                  ": counter resets make it negative (use rate() or increase())"));
          }
          break;
        default:
          break;
      }
      switch (c.func->id) {
        case FunctionId::kRate:
        case FunctionId::kIncrease:
        case FunctionId::kIrate:
        case FunctionId::kDelta:
        case FunctionId::kIdelta:
        case FunctionId::kDeriv:
        case FunctionId::kPredictLinear:
        case FunctionId::kResets:
        case FunctionId::kChanges: {
          const int64_t spacing = ctx->SampleSpacing(*range->selector);
          if (spacing > 0 && range->range_ms < 2 * spacing) {
            sink.Add(
                sink.ExprLine(), Severity::kWarning,
                absl::StrCat(fn, "() over [", storage::FormatDurationMs(range->range_ms), "] of ",
                             metric, ", whose samples are ", storage::FormatDurationMs(spacing),
                             " apart: most windows hold fewer than two samples, so it "
                             "returns nothing or jumps (use at least [",
                             storage::FormatDurationMs(4 * spacing), "])"));
          }
          break;
        }
        default:
          break;
      }
    }
    if (c.func->id == FunctionId::kHistogramQuantile && c.args.size() == 2) {
      LabelNameSet in = ctx->OutputLabels(*c.args[1]);
      if (in && !in->count("le")) {
        sink.Add(sink.ExprLine(), Severity::kError,
                 absl::StrCat("histogram_quantile() needs bucket series with an `le` label, but `",
                              promql::ToString(*c.args[1]), "` has only ", FormatNameSet(*in),
                              " (keep le in the aggregation: sum by (le, ...))"));
      }
    }
    return true;
  });
}

}  // namespace tally::rules::lint
