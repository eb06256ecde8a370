#include "promql/parser/function_table.h"

#include <algorithm>

namespace tally::promql {
namespace {

constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType S = ValueType::kScalar;
constexpr ValueType Str = ValueType::kString;

// Prometheus 2.42 promql/parser/functions.go, kept sorted by name for binary search.
const std::vector<Function>& Table() {
  static const auto* table = new std::vector<Function>{
      {FunctionId::kAbs, "abs", {V}, 0, V},
      {FunctionId::kAbsent, "absent", {V}, 0, V},
      {FunctionId::kAbsentOverTime, "absent_over_time", {M}, 0, V},
      {FunctionId::kAcos, "acos", {V}, 0, V},
      {FunctionId::kAcosh, "acosh", {V}, 0, V},
      {FunctionId::kAsin, "asin", {V}, 0, V},
      {FunctionId::kAsinh, "asinh", {V}, 0, V},
      {FunctionId::kAtan, "atan", {V}, 0, V},
      {FunctionId::kAtanh, "atanh", {V}, 0, V},
      {FunctionId::kAvgOverTime, "avg_over_time", {M}, 0, V},
      {FunctionId::kCeil, "ceil", {V}, 0, V},
      {FunctionId::kChanges, "changes", {M}, 0, V},
      {FunctionId::kClamp, "clamp", {V, S, S}, 0, V},
      {FunctionId::kClampMax, "clamp_max", {V, S}, 0, V},
      {FunctionId::kClampMin, "clamp_min", {V, S}, 0, V},
      {FunctionId::kCos, "cos", {V}, 0, V},
      {FunctionId::kCosh, "cosh", {V}, 0, V},
      {FunctionId::kCountOverTime, "count_over_time", {M}, 0, V},
      {FunctionId::kDayOfMonth, "day_of_month", {V}, 1, V, true},
      {FunctionId::kDayOfWeek, "day_of_week", {V}, 1, V, true},
      {FunctionId::kDayOfYear, "day_of_year", {V}, 1, V, true},
      {FunctionId::kDaysInMonth, "days_in_month", {V}, 1, V, true},
      {FunctionId::kDeg, "deg", {V}, 0, V},
      {FunctionId::kDelta, "delta", {M}, 0, V},
      {FunctionId::kDeriv, "deriv", {M}, 0, V},
      {FunctionId::kExp, "exp", {V}, 0, V},
      {FunctionId::kFloor, "floor", {V}, 0, V},
      {FunctionId::kHistogramCount, "histogram_count", {V}, 0, V},
      {FunctionId::kHistogramFraction, "histogram_fraction", {S, S, V}, 0, V},
      {FunctionId::kHistogramQuantile, "histogram_quantile", {S, V}, 0, V},
      {FunctionId::kHistogramSum, "histogram_sum", {V}, 0, V},
      {FunctionId::kHoltWinters, "holt_winters", {M, S, S}, 0, V},
      {FunctionId::kHour, "hour", {V}, 1, V, true},
      {FunctionId::kIdelta, "idelta", {M}, 0, V},
      {FunctionId::kIncrease, "increase", {M}, 0, V},
      {FunctionId::kIrate, "irate", {M}, 0, V},
      {FunctionId::kLabelJoin, "label_join", {V, Str, Str, Str}, -1, V},
      {FunctionId::kLabelReplace, "label_replace", {V, Str, Str, Str, Str}, 0, V},
      {FunctionId::kLastOverTime, "last_over_time", {M}, 0, V},
      {FunctionId::kLn, "ln", {V}, 0, V},
      {FunctionId::kLog10, "log10", {V}, 0, V},
      {FunctionId::kLog2, "log2", {V}, 0, V},
      {FunctionId::kMaxOverTime, "max_over_time", {M}, 0, V},
      {FunctionId::kMinOverTime, "min_over_time", {M}, 0, V},
      {FunctionId::kMinute, "minute", {V}, 1, V, true},
      {FunctionId::kMonth, "month", {V}, 1, V, true},
      {FunctionId::kPi, "pi", {}, 0, S},
      {FunctionId::kPredictLinear, "predict_linear", {M, S}, 0, V, true},
      {FunctionId::kPresentOverTime, "present_over_time", {M}, 0, V},
      {FunctionId::kQuantileOverTime, "quantile_over_time", {S, M}, 0, V},
      {FunctionId::kRad, "rad", {V}, 0, V},
      {FunctionId::kRate, "rate", {M}, 0, V},
      {FunctionId::kResets, "resets", {M}, 0, V},
      {FunctionId::kRound, "round", {V, S}, 1, V},
      {FunctionId::kScalar, "scalar", {V}, 0, S},
      {FunctionId::kSgn, "sgn", {V}, 0, V},
      {FunctionId::kSin, "sin", {V}, 0, V},
      {FunctionId::kSinh, "sinh", {V}, 0, V},
      {FunctionId::kSort, "sort", {V}, 0, V},
      {FunctionId::kSortDesc, "sort_desc", {V}, 0, V},
      {FunctionId::kSqrt, "sqrt", {V}, 0, V},
      {FunctionId::kStddevOverTime, "stddev_over_time", {M}, 0, V},
      {FunctionId::kStdvarOverTime, "stdvar_over_time", {M}, 0, V},
      {FunctionId::kSumOverTime, "sum_over_time", {M}, 0, V},
      {FunctionId::kTan, "tan", {V}, 0, V},
      {FunctionId::kTanh, "tanh", {V}, 0, V},
      {FunctionId::kTime, "time", {}, 0, S, true},
      {FunctionId::kTimestamp, "timestamp", {V}, 0, V, true},
      {FunctionId::kVector, "vector", {S}, 0, V},
      {FunctionId::kYear, "year", {V}, 1, V, true},
  };
  return *table;
}

}  // namespace

const Function* LookupFunction(absl::string_view name) {
  const auto& t = Table();
  auto it = std::lower_bound(t.begin(), t.end(), name,
                             [](const Function& f, absl::string_view n) { return f.name < n; });
  if (it == t.end() || it->name != name) return nullptr;
  return &*it;
}

absl::Span<const Function> AllFunctions() { return Table(); }

}  // namespace tally::promql
