// Many-to-many and duplicate-series errors of vector matching, found from the match groups
// of the two unfiltered sides rather than from whether today's values trip them.
//
// Prometheus compat (engine.go VectorBinop, 2.42): the "one" side (right for one-to-one and
// group_left, left for group_right) must have one series per match group at each step, or
// evaluation fails with "found duplicate series for the match group ...". For one-to-one,
// the left side may have several series per group, but only one of them may survive the
// operation: a second one fails with "multiple matches for labels: many-to-one matching
// must be explicit (group_left/group_right)". With a filtering comparison the failure only
// happens when two of them pass at once, so an alert like `x > on(app) budget` is quiet
// while under budget and errors exactly when it should fire.
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "promql/parser/ast.h"
#include "promql/parser/printer.h"
#include "rules/lint/lint_context.h"
#include "rules/lint/matching_util.h"

namespace tally::rules::lint {
namespace {

std::string GroupOn(const promql::VectorMatching& m) {
  std::string labels;
  for (size_t i = 0; i < m.matching_labels.size(); ++i) {
    absl::StrAppend(&labels, i ? ", " : "", m.matching_labels[i]);
  }
  if (m.on) return absl::StrCat("on (", labels, ")");
  if (m.matching_labels.empty()) return "all labels";
  return absl::StrCat("ignoring (", labels, ")");
}

std::string Describe(const char* side, const DuplicateGroup& d, const promql::VectorMatching& m) {
  return absl::StrCat("the ", side, " side has up to ", d.max_per_group, " series per match group ",
                      GroupOn(m), " (e.g. ", d.group, ": ", d.first, " and ", d.second, ")");
}

// Replaces the filters in `*e` by what they filter (`a > 1` -> a, `a and b` -> a,
// `a > on(x) group_left b` -> a), so the series a side can have when its filters let
// everything through can be evaluated. A one-to-one comparison with on(...) is kept: its
// result has only the on() labels, so its own input is not a stand-in for it. Aggregations
// are kept whole (their output is unique per group whatever they aggregate).
void StripFilters(promql::ExprPtr* e, bool* changed) {
  promql::Expr& n = **e;
  switch (n.kind) {
    case promql::NodeKind::kParen:
      StripFilters(&n.As<promql::ParenExpr>().expr, changed);
      return;
    case promql::NodeKind::kUnary:
      StripFilters(&n.As<promql::UnaryExpr>().expr, changed);
      return;
    case promql::NodeKind::kCall:
      for (promql::ExprPtr& a : n.As<promql::Call>().args) {
        if (a->type() == promql::ValueType::kVector) StripFilters(&a, changed);
      }
      return;
    case promql::NodeKind::kBinary: {
      auto& b = n.As<promql::BinaryExpr>();
      const bool cmp = promql::IsComparisonOp(b.op) && !b.return_bool;
      const bool set_filter = b.op == promql::BinaryOp::kAnd || b.op == promql::BinaryOp::kUnless;
      promql::ExprPtr* keep = nullptr;
      if (cmp && !b.matching) {
        keep = b.lhs->type() == promql::ValueType::kVector ? &b.lhs : &b.rhs;
      } else if (set_filter) {
        keep = &b.lhs;
      } else if (cmp && !(b.matching->card == promql::Cardinality::kOneToOne && b.matching->on)) {
        keep = b.matching->card == promql::Cardinality::kOneToMany ? &b.rhs : &b.lhs;
      }
      if (keep != nullptr && (*keep)->type() == promql::ValueType::kVector) {
        promql::ExprPtr kept = std::move(*keep);
        *e = std::move(kept);
        *changed = true;
        StripFilters(e, changed);
        return;
      }
      StripFilters(&b.lhs, changed);
      StripFilters(&b.rhs, changed);
      return;
    }
    default:
      return;
  }
}

// `side` without its filters, or null when it has none.
promql::ExprPtr Unfiltered(const promql::Expr& side) {
  promql::ExprPtr e = promql::Clone(side);
  bool changed = false;
  StripFilters(&e, &changed);
  return changed ? std::move(e) : nullptr;
}

}  // namespace

bool CheckMatching(LintContext* ctx, const promql::Expr& root, int64_t step_ms,
                   const RuleSink& sink) {
  std::vector<const promql::BinaryExpr*> nodes;
  promql::Inspect(root, [&](const promql::Expr& n, absl::Span<const promql::Expr* const>) {
    if (n.kind == promql::NodeKind::kBinary) {
      const auto& b = n.As<promql::BinaryExpr>();
      if (b.matching && b.matching->card != promql::Cardinality::kManyToMany) nodes.push_back(&b);
    }
    return true;
  });
  bool explained = false;
  // Children before parents: the innermost failing operation is the one to name.
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const promql::BinaryExpr& b = **it;
    const promql::VectorMatching& m = *b.matching;
    auto lm = ctx->Eval(*b.lhs, step_ms);
    auto rm = ctx->Eval(*b.rhs, step_ms);
    if (!lm.ok() || !rm.ok()) continue;  // a child fails: reported for the child
    absl::StatusOr<const promql::Matrix*> self = ctx->Eval(b, step_ms);
    const std::string op = absl::StrCat("`", OperatorText(b), "`");
    const bool filter = promql::IsComparisonOp(b.op) && !b.return_bool;

    // The same sides with their inner filters opened: duplicates they hide today.
    promql::ExprPtr lu = Unfiltered(*b.lhs), ru = Unfiltered(*b.rhs);
    const promql::Matrix* lum = *lm;
    const promql::Matrix* rum = *rm;
    if (lu) {
      auto r = ctx->Eval(*lu, step_ms);
      if (r.ok()) lum = *r;
    }
    if (ru) {
      auto r = ctx->Eval(*ru, step_ms);
      if (r.ok()) rum = *r;
    }
    // Which operand's filters hide the duplicates today.
    auto hidden = [&]() {
      std::string where;
      if (lu) where = absl::StrCat("`", promql::ToString(*b.lhs), "`");
      if (ru) {
        absl::StrAppend(&where, where.empty() ? "" : " and ", "`", promql::ToString(*b.rhs), "`");
      }
      return absl::StrCat("; today the filters in ", where,
                          " remove them, but when they let two of one group through ");
    };

    // The "one" side.
    const bool one_is_left = m.card == promql::Cardinality::kOneToMany;
    const char* one_side = one_is_left ? "left" : "right";
    auto one_dup =
        FindDuplicateGroup(one_is_left ? **lm : **rm, one_is_left ? **rm : **lm, m, false);
    bool one_hidden = false;
    if (!one_dup && (one_is_left ? lu : ru)) {
      one_dup = FindDuplicateGroup(one_is_left ? *lum : *rum, one_is_left ? *rum : *lum, m, false);
      one_hidden = one_dup.has_value();
    }
    if (one_dup) {
      std::string msg = absl::StrCat(
          op, ": ", Describe(one_side, *one_dup, m), "; the ", one_side,
          " side must be unique per match group (aggregate it, or match on more labels)");
      if (!self.ok()) {
        sink.Add(sink.ExprLine(), Severity::kError,
                 absl::StrCat("evaluation fails with \"", self.status().message(), "\": ", msg));
        explained = true;
      } else if (one_hidden) {
        sink.Add(sink.ExprLine(), Severity::kError,
                 absl::StrCat(msg, hidden(),
                              "evaluation fails with \"found duplicate series for the match "
                              "group ... many-to-many matching not allowed\""));
      } else {
        sink.Add(sink.ExprLine(), Severity::kError,
                 absl::StrCat(msg,
                              "; Prometheus fails with \"found duplicate series for the "
                              "match group\" whenever both sides have samples"));
      }
      continue;
    }
    if (m.card != promql::Cardinality::kOneToOne) continue;
    auto many_dup = FindDuplicateGroup(**lm, **rm, m, true);
    bool many_hidden = false;
    if (!many_dup && (lu || ru)) {
      many_dup = FindDuplicateGroup(*lum, *rum, m, true);
      many_hidden = many_dup.has_value();
    }
    if (!many_dup) continue;
    if (!self.ok()) {
      sink.Add(sink.ExprLine(), Severity::kError,
               absl::StrCat("evaluation fails with \"", self.status().message(), "\": ", op, ": ",
                            Describe("left", *many_dup, m),
                            filter ? "; the comparison hides this while at most one of them "
                                     "passes, so the rule returns nothing while all is well "
                                     "and fails exactly when it should fire"
                                   : "; one-to-one matching needs one per group",
                            " (aggregate the left side, e.g. by (",
                            absl::StrJoin(m.matching_labels, ", "),
                            "), use group_left, or match on more labels)"));
      explained = true;
    } else if (many_hidden) {
      sink.Add(sink.ExprLine(), Severity::kError,
               absl::StrCat(op, ": ", Describe("left", *many_dup, m), hidden(),
                            "evaluation fails with \"multiple matches for labels: many-to-one "
                            "matching must be explicit (group_left/group_right)\" (aggregate "
                            "the left side, use group_left, or match on more labels)"));
    } else if (filter) {
      sink.Add(sink.ExprLine(), Severity::kError,
               absl::StrCat(op, ": ", Describe("left", *many_dup, m),
                            "; the comparison filters them out today, but as soon as two of "
                            "them pass at once evaluation fails with \"multiple matches for "
                            "labels: many-to-one matching must be explicit "
                            "(group_left/group_right)\" instead of returning them, so it "
                            "cannot fire for them (aggregate the left side, e.g. by (",
                            absl::StrJoin(m.matching_labels, ", "), "), or match on more labels)"));
    }
  }
  return explained;
}

}  // namespace tally::rules::lint
