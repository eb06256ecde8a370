// Internal to promql/parser: Prometheus's checkAST pass, run by ParseExpr() after a
// syntactically valid parse. Fills in BinaryExpr::matching rules (set operators become
// many-to-many; matching is dropped unless both sides are instant vectors) and reports the
// first type error as a positioned parse error.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "promql/parser/ast.h"

namespace tally::promql::internal {

absl::Status CheckAst(absl::string_view input, Expr& root);

}  // namespace tally::promql::internal
