// The PromQL function signature table (Prometheus 2.42's parser/functions.go): name ->
// argument types, variadic rule and result type. The table is static, immutable and
// thread-safe; Function pointers returned by LookupFunction() live for the whole program, so
// AST nodes (Call::func) and the evaluator may keep them and compare them by address.
// Implementations live in the evaluator (promql/functions), keyed by name or by FunctionId.
#pragma once

#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "promql/parser/ast.h"

namespace tally::promql {

// One enumerator per function, for switch dispatch in the evaluator.
enum class FunctionId {
  kAbs, kAbsent, kAbsentOverTime, kAcos, kAcosh, kAsin, kAsinh, kAtan, kAtanh,
  kAvgOverTime, kCeil, kChanges, kClamp, kClampMax, kClampMin, kCos, kCosh,
  kCountOverTime, kDaysInMonth, kDayOfMonth, kDayOfWeek, kDayOfYear, kDeg, kDelta,
  kDeriv, kExp, kFloor, kHistogramCount, kHistogramFraction, kHistogramQuantile,
  kHistogramSum, kHoltWinters, kHour, kIdelta, kIncrease, kIrate, kLabelJoin,
  kLabelReplace, kLastOverTime, kLn, kLog10, kLog2, kMaxOverTime, kMinOverTime,
  kMinute, kMonth, kPi, kPredictLinear, kPresentOverTime, kQuantileOverTime, kRad,
  kRate, kResets, kRound, kScalar, kSgn, kSin, kSinh, kSort, kSortDesc, kSqrt,
  kStddevOverTime, kStdvarOverTime, kSumOverTime, kTan, kTanh, kTime, kTimestamp,
  kVector, kYear,
};

struct Function {
  FunctionId id;
  absl::string_view name;
  // Declared argument types. With variadic != 0 the last entry is the optional/repeated one.
  std::vector<ValueType> arg_types;
  // Prometheus's Variadic: 0 = exactly arg_types.size() arguments; n > 0 = between
  // arg_types.size()-1 and arg_types.size()-1+n arguments; -1 = at least
  // arg_types.size()-1, unbounded (extra arguments take the last type).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  // Prometheus compat (engine.go AtModifierUnsafeFunctions): result depends on the
  // evaluation timestamp even when every argument is step invariant.
  bool at_modifier_unsafe = false;
};

// Null when `name` is not a function.
const Function* LookupFunction(absl::string_view name);
// Every function, sorted by name.
absl::Span<const Function> AllFunctions();

}  // namespace tally::promql
