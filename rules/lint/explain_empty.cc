// Why an expression returns nothing: walk it bottom-up on the data and stop at the first
// node whose inputs have series but whose own result has none, or at a selector that
// matches nothing. Only structural causes are reported (no series, no shared match group,
// too few samples per window); a comparison that is never true is what a quiet alert
// looks like and is not a finding.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "promql/parser/function_table.h"
#include "promql/parser/printer.h"
#include "rules/lint/lint_context.h"
#include "rules/lint/matching_util.h"

namespace tally::rules::lint {
namespace {

using promql::Expr;
using promql::NodeKind;

bool IsEmpty(LintContext* ctx, const Expr& e, int64_t step) {
  auto m = ctx->Eval(e, step);
  return m.ok() && (*m)->empty();
}

std::string FormatTime(int64_t t_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(t_ms), absl::UTCTimeZone());
}

std::string SelectorWhy(LintContext* ctx, const promql::VectorSelector& sel,
                        const std::string& text) {
  if (const RecordedMetric* r = ctx->Recorded(sel.name)) {
    if (!r->produced) {
      return absl::StrCat(text, " matches no series: ", sel.name,
                          " comes from the recording rule at ", r->file, ":", r->line,
                          ", which produces nothing on this data");
    }
    return absl::StrCat(text, " matches none of the series recorded as ", sel.name);
  }
  auto all = ctx->base()->NewQuerier(storage::kMinTime, storage::kMaxTime);
  if (!sel.name.empty()) {
    storage::Matchers by_name;
    for (const storage::Matcher& m : sel.matchers) {
      if (m.name() == storage::kMetricNameLabel) by_name.push_back(m);
    }
    auto named = all->Select(by_name);
    if (named.ok() && named->empty()) {
      return absl::StrCat(text, " matches no series: there is no metric ", sel.name,
                          " in the store");
    }
    if (named.ok() && sel.matchers.size() > by_name.size()) {
      auto matched = all->Select(sel.matchers);
      if (matched.ok() && matched->empty()) {
        std::set<std::string> names;
        for (const auto& s : *named) {
          for (const auto& l : s->labels()) names.emplace(l.name);
        }
        return absl::StrCat(text, " matches no series: ", sel.name, " exists (labels ",
                            FormatNameSet(names), ") but none of its series match the selector");
      }
    }
  }
  auto matched = all->Select(sel.matchers);
  if (matched.ok() && !matched->empty()) {
    int64_t last = storage::kMinTime;
    std::vector<storage::Sample> buf;
    for (const auto& s : *matched) {
      buf.clear();
      if (s->Samples(storage::kMinTime, storage::kMaxTime, &buf).ok() && !buf.empty()) {
        last = std::max(last, buf.back().t_ms);
      }
    }
    return absl::StrCat(
        text, " has no samples in the evaluated window ending ", FormatTime(ctx->end_ms()),
        last > storage::kMinTime ? absl::StrCat(" (last sample at ", FormatTime(last), ")") : "");
  }
  return absl::StrCat(text, " matches no series");
}

std::optional<std::string> Why(LintContext* ctx, const Expr& e, int64_t step);

// The operand a filtering comparison passes through (`x > 0.01` -> `x`, `(a > b)` -> `a`),
// recursively; any other expression is returned as is. Matching is judged on these: two
// filters that never hold at the same time are a quiet alert, not disjoint label sets.
const Expr& Unfiltered(const Expr& e) {
  if (e.kind == NodeKind::kParen) return Unfiltered(*e.As<promql::ParenExpr>().expr);
  if (e.kind != NodeKind::kBinary) return e;
  const auto& b = e.As<promql::BinaryExpr>();
  if (!promql::IsComparisonOp(b.op) || b.return_bool) return e;
  if (b.lhs->type() == promql::ValueType::kVector) return Unfiltered(*b.lhs);
  if (b.rhs->type() == promql::ValueType::kVector) return Unfiltered(*b.rhs);
  return e;
}

std::optional<std::string> WhyBinary(LintContext* ctx, const promql::BinaryExpr& b, int64_t step) {
  if (!b.matching) {  // vector op scalar (or scalar op scalar)
    const Expr& vec = b.lhs->type() == promql::ValueType::kVector ? *b.lhs : *b.rhs;
    if (vec.type() == promql::ValueType::kVector && IsEmpty(ctx, vec, step)) {
      return Why(ctx, vec, step);
    }
    return std::nullopt;  // a filter that never held
  }
  const bool l_empty = IsEmpty(ctx, *b.lhs, step), r_empty = IsEmpty(ctx, *b.rhs, step);
  if (b.op == promql::BinaryOp::kOr) {
    if (!l_empty || !r_empty) return std::nullopt;
    auto l = Why(ctx, *b.lhs, step), r = Why(ctx, *b.rhs, step);
    if (!l || !r) return std::nullopt;
    return absl::StrCat(*l, "; and ", *r);
  }
  if (l_empty) return Why(ctx, *b.lhs, step);
  if (b.op == promql::BinaryOp::kUnless) return std::nullopt;  // everything was excluded
  if (r_empty) return Why(ctx, *b.rhs, step);
  auto lm = ctx->Eval(Unfiltered(*b.lhs), step), rm = ctx->Eval(Unfiltered(*b.rhs), step);
  if (!lm.ok() || !rm.ok()) return std::nullopt;
  return ExplainNoMatch(**lm, **rm, b, promql::IsComparisonOp(b.op) && !b.return_bool);
}

std::optional<std::string> Why(LintContext* ctx, const Expr& e, int64_t step) {
  switch (e.kind) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
      return std::nullopt;
    case NodeKind::kParen:
      return Why(ctx, *e.As<promql::ParenExpr>().expr, step);
    case NodeKind::kUnary:
      return Why(ctx, *e.As<promql::UnaryExpr>().expr, step);
    case NodeKind::kSubquery: {
      const Expr& inner = *e.As<promql::SubqueryExpr>().expr;
      if (IsEmpty(ctx, inner, step)) return Why(ctx, inner, step);
      return std::nullopt;
    }
    case NodeKind::kVectorSelector:
      return SelectorWhy(ctx, e.As<promql::VectorSelector>(), promql::ToString(e));
    case NodeKind::kMatrixSelector:
      return SelectorWhy(ctx, *e.As<promql::MatrixSelector>().selector, promql::ToString(e));
    case NodeKind::kAggregate: {
      const Expr& inner = *e.As<promql::AggregateExpr>().expr;
      if (IsEmpty(ctx, inner, step)) return Why(ctx, inner, step);
      return std::nullopt;
    }
    case NodeKind::kCall: {
      const auto& c = e.As<promql::Call>();
      for (const promql::ExprPtr& a : c.args) {
        if (a->type() != promql::ValueType::kVector && a->type() != promql::ValueType::kMatrix) {
          continue;
        }
        if (IsEmpty(ctx, *a, step)) return Why(ctx, *a, step);
      }
      switch (c.func->id) {
        case promql::FunctionId::kRate:
        case promql::FunctionId::kIncrease:
        case promql::FunctionId::kIrate:
        case promql::FunctionId::kDelta:
        case promql::FunctionId::kIdelta:
        case promql::FunctionId::kDeriv:
        case promql::FunctionId::kPredictLinear:
          return absl::StrCat(c.func->name, "() needs at least two samples per range window, and ",
                              promql::ToString(*c.args[0]), " never has two");
        default:
          return std::nullopt;
      }
    }
    case NodeKind::kBinary:
      return WhyBinary(ctx, e.As<promql::BinaryExpr>(), step);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ExplainEmpty(LintContext* ctx, const Expr& e, int64_t step_ms) {
  if (!IsEmpty(ctx, e, step_ms)) return std::nullopt;
  return Why(ctx, e, step_ms);
}

void CheckEmptySelectors(LintContext* ctx, const Expr& root, int64_t step_ms,
                         const RuleSink& sink) {
  promql::Inspect(root, [&](const Expr& node, absl::Span<const Expr* const> path) {
    if (node.kind == NodeKind::kCall) {
      auto id = node.As<promql::Call>().func->id;
      // absent() exists to find what is missing.
      if (id == promql::FunctionId::kAbsent || id == promql::FunctionId::kAbsentOverTime) {
        return false;
      }
    }
    if (node.kind == NodeKind::kMatrixSelector) {
      if (IsEmpty(ctx, node, step_ms)) {
        sink.Add(
            sink.ExprLine(), Severity::kWarning,
            SelectorWhy(ctx, *node.As<promql::MatrixSelector>().selector, promql::ToString(node)));
      }
      return false;
    }
    if (node.kind == NodeKind::kVectorSelector && IsEmpty(ctx, node, step_ms)) {
      sink.Add(sink.ExprLine(), Severity::kWarning,
               SelectorWhy(ctx, node.As<promql::VectorSelector>(), promql::ToString(node)));
    }
    return true;
  });
}

}  // namespace tally::rules::lint
