// AST -> canonical PromQL text, matching Prometheus 2.42's Expr.String(): `sum by (job)
// (rate(x[5m]))`, `a + on (b) group_left (c) d`, sorted matchers `x{a="1",b="2"}`, durations
// via FormatDurationMs, numbers like Go's fmt %v. Pure functions, thread-safe.
// Round-trip: ParseExpr(ToString(e)) prints back to the same text, with one exception kept
// for Prometheus compat: a +Inf literal prints as "+Inf", so `Inf ^ x` prints as
// "+Inf ^ x", which re-parses as the unary +(Inf ^ x) (Prometheus 2.42 does the same).
#pragma once

#include <string>

#include "promql/parser/ast.h"

namespace tally::promql {

std::string ToString(const Expr& e);

// Number formatting as Go's fmt.Sprint(float64): shortest round-trip digits, exponent
// form when the exponent is < -4 or >= 21; "+Inf", "-Inf", "NaN".
std::string FormatNumber(double v);

// /api/v1/format_query's output (Prometheus's Pretty(0)): ToString() when it fits in 100
// columns, otherwise split over indented lines.
std::string Prettify(const Expr& e);

}  // namespace tally::promql
