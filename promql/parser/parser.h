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
// error is reported. A tree higher than kMaxNestingDepth levels (parentheses, calls,
// operator chains, subqueries all count) fails with "expression nesting too deep (more than
// 512 levels)" instead of exhausting the stack, and an input of more than kMaxQueryTokens
// (100,000, lexer.h) tokens fails with "query too long (more than 100000 tokens)";
// Prometheus has neither limit. Both are checked as the input is read, so the failure
// costs memory and time proportional to the part read, not to the whole input (tokens are
// lexed as the parser reaches them).
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "promql/parser/ast.h"
#include "storage/model/matcher.h"

namespace tally::promql {

inline constexpr int kMaxNestingDepth = 512;

absl::StatusOr<ExprPtr> ParseExpr(absl::string_view input);

// A bare series selector, as used by the HTTP API's `match[]` parameter and by
// federation: `metric{l="v"}` or `{l=~"re"}` (no offset, @, range or operators). Returns
// the matchers, the metric name's `__name__` matcher last (as Prometheus orders them).
// Fails with InvalidArgument like Prometheus's parser.ParseMetricSelector
// ("1:2: parse error: unexpected \"[\""), and also (a check Prometheus leaves to its API
// handlers) when no matcher is non-empty: "1:1: parse error: vector selector must contain
// at least one non-empty matcher"; the API rewords that as "match[] must contain at least
// one non-empty matcher".
absl::StatusOr<storage::Matchers> ParseMetricSelector(absl::string_view input);

}  // namespace tally::promql
