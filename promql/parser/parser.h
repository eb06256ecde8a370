// PromQL text -> AST. ParseExpr() lexes, parses (recursive descent with precedence
// climbing, Prometheus 2.42's operator precedence and associativity) and type-checks an
// expression as Prometheus's parser.ParseExpr does; the returned tree is fully checked
// (argument types and arity, bool/set/group modifier rules, selector rules).
// Pure functions, thread-safe; the AST does not reference the input text.
//
// Errors are InvalidArgument with Prometheus's text, including its position prefix:
//   "1:14: parse error: unexpected <by>"
//   "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"
// (line:column, 1-based, column counted in bytes from the last newline). Only the first
// error is reported. Nesting deeper than kMaxNestingDepth fails with a clear message instead
// of exhausting the stack.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "promql/parser/ast.h"
#include "storage/model/matcher.h"

namespace tally::promql {

inline constexpr int kMaxNestingDepth = 256;

absl::StatusOr<ExprPtr> ParseExpr(absl::string_view input);

// A bare series selector, as used by the HTTP API's `match[]` parameter and by
// federation: `metric{l="v"}` or `{l=~"re"}` (no offset, @, range or operators). Returns
// the matchers (with __name__ first when a metric name was given). Fails with
// InvalidArgument like Prometheus's parser.ParseMetricSelector, including when no matcher
// is non-empty ("vector selector must contain at least one non-empty matcher").
absl::StatusOr<storage::Matchers> ParseMetricSelector(absl::string_view input);

}  // namespace tally::promql
