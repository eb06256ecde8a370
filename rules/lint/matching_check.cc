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
  return absl::StrCat("the ", side, " side has up to ", d.max_per_group,
                      " series per match group ", GroupOn(m), " (e.g. ", d.group, ": ", d.first,
                      " and ", d.second, ")");
}

}  // namespace

bool CheckMatching(LintContext* ctx, const promql::Expr& root, int64_t step_ms,
                   const absl::Status& eval_error, const RuleSink& sink) {
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

    // The "one" side.
    const bool one_is_left = m.card == promql::Cardinality::kOneToMany;
    auto one_dup = FindDuplicateGroup(one_is_left ? **lm : **rm, one_is_left ? **rm : **lm, m);
    if (one_dup) {
      std::string msg = absl::StrCat(
          op, ": ", Describe(one_is_left ? "left" : "right", *one_dup, m),
          "; the ", one_is_left ? "left" : "right",
          " side must be unique per match group (aggregate it, or match on more labels)");
      if (!self.ok()) {
        sink.Add(sink.ExprLine(), Severity::kError,
                 absl::StrCat("evaluation fails with \"", self.status().message(), "\": ", msg));
        explained = true;
      } else {
        sink.Add(sink.ExprLine(), Severity::kError,
                 absl::StrCat(msg, "; Prometheus fails with \"found duplicate series for the "
                                   "match group\" whenever both sides have samples"));
      }
      continue;
    }
    if (m.card != promql::Cardinality::kOneToOne) continue;
    auto many_dup = FindDuplicateGroup(**lm, **rm, m);
    if (!many_dup) continue;
    if (!self.ok()) {
      sink.Add(sink.ExprLine(), Severity::kError,
               absl::StrCat("evaluation fails with \"", self.status().message(), "\": ", op,
                            ": ", Describe("left", *many_dup, m),
                            filter ? "; the comparison hides this while at most one of them "
                                     "passes, so the rule returns nothing while all is well "
                                     "and fails exactly when it should fire"
                                   : "; one-to-one matching needs one per group",
                            " (aggregate the left side, e.g. by (",
                            absl::StrJoin(m.matching_labels, ", "),
                            "), use group_left, or match on more labels)"));
      explained = true;
    } else if (filter) {
      sink.Add(sink.ExprLine(), Severity::kError,
               absl::StrCat(op, ": ", Describe("left", *many_dup, m),
                            "; the comparison filters them out today, but as soon as two of "
                            "them pass at once evaluation fails with \"multiple matches for "
                            "labels: many-to-one matching must be explicit "
                            "(group_left/group_right)\" instead of returning them, so it "
                            "cannot fire for them (aggregate the left side, e.g. by (",
                            absl::StrJoin(m.matching_labels, ", "),
                            "), or match on more labels)"));
    }
  }
  (void)eval_error;
  return explained;
}

}  // namespace tally::rules::lint
