// Internal to rules/lint: vector-matching analysis of a binary operation over range
// results of its two sides (one point per evaluation step): match signatures as
// Prometheus computes them (on(...) labels, or all labels but __name__ and ignoring(...)),
// why no match group is shared, and which side has several series in one match group.
#pragma once

#include <optional>
#include <string>

#include "promql/parser/ast.h"
#include "promql/value.h"

namespace tally::rules::lint {

// The operator as written: "/ on (application) group_left ()", "> ignoring (le)", "and".
std::string OperatorText(const promql::BinaryExpr& b);

// The two sides have series but the operation returns nothing: when no match group is
// shared (or never at the same step) the reason, naming the labels on each side; nullopt
// when groups do match (then a comparison filtered everything, which is no finding).
std::optional<std::string> ExplainNoMatch(const promql::Matrix& lhs, const promql::Matrix& rhs,
                                          const promql::BinaryExpr& b, bool is_filter);

// Several series of `side` in one match group at one step, while `other` has that group
// (same_group) or any series at all (!same_group: Prometheus checks the "one" side of a
// match for duplicates whenever the other side is non-empty, engine.go VectorBinop).
struct DuplicateGroup {
  std::string group;  // the match group, {application="chatbot"}
  std::string first;  // two of its series
  std::string second;
  int max_per_group = 0;  // most series seen in one group at one step
};
std::optional<DuplicateGroup> FindDuplicateGroup(const promql::Matrix& side,
                                                 const promql::Matrix& other,
                                                 const promql::VectorMatching& m, bool same_group);

}  // namespace tally::rules::lint
