// Evaluator::EvalCall: dispatch on FunctionId, plus the element-wise functions (math,
// clamp, round, date/time), absent, scalar/vector, timestamp and sort.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "promql/functions/functions.h"
#include "promql/go_sort.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {
namespace {

double Sgn(double v) { return v < 0 ? -1 : (v > 0 ? 1 : v); }

// Prometheus compat (Go 1.19's math.Log on amd64 is an assembly routine that takes the
// exponent straight from the bits): a subnormal x comes out as log(f) - 1022 ln 2 with f
// the fraction bits over an exponent of 2^-1, e.g. ln(5e-324) = -709.09, not -744.44.
double GoLn(double v) {
  if (v > 0 && v < std::numeric_limits<double>::min()) {
    const uint64_t b = std::bit_cast<uint64_t>(v);
    const double f = std::bit_cast<double>((b & 0x000FFFFFFFFFFFFFULL) | 0x3FE0000000000000ULL);
    return std::log(f) - 1022 * std::numbers::ln2;
  }
  return std::log(v);
}

// Go's math.Log10 is Log(x) * (1/Ln10), so it shares Log's subnormal behaviour; Log2 splits
// off the binary exponent first (exact powers of two come out exact).
double GoLog10(double v) { return GoLn(v) * (1 / std::numbers::ln10); }
double GoLog2(double v) {
  int e = 0;
  const double f = std::frexp(v, &e);
  if (f == 0.5) return static_cast<double>(e - 1);
  return std::log(f) * (1 / std::numbers::ln2) + static_cast<double>(e);
}

double ElementWise(FunctionId id, double v) {
  switch (id) {
    case FunctionId::kAbs: return std::fabs(v);
    case FunctionId::kCeil: return std::ceil(v);
    case FunctionId::kFloor: return std::floor(v);
    case FunctionId::kExp: return std::exp(v);
    case FunctionId::kSqrt: return std::sqrt(v);
    case FunctionId::kLn: return GoLn(v);
    case FunctionId::kLog2: return GoLog2(v);
    case FunctionId::kLog10: return GoLog10(v);
    case FunctionId::kSgn: return Sgn(v);
    case FunctionId::kSin: return std::sin(v);
    case FunctionId::kCos: return std::cos(v);
    case FunctionId::kTan: return std::tan(v);
    case FunctionId::kAsin: return std::asin(v);
    case FunctionId::kAcos: return std::acos(v);
    case FunctionId::kAtan: return std::atan(v);
    case FunctionId::kSinh: return std::sinh(v);
    case FunctionId::kCosh: return std::cosh(v);
    case FunctionId::kTanh: return std::tanh(v);
    case FunctionId::kAsinh: return std::asinh(v);
    case FunctionId::kAcosh: return std::acosh(v);
    case FunctionId::kAtanh: return std::atanh(v);
    case FunctionId::kDeg: return v * 180 / std::numbers::pi;
    case FunctionId::kRad: return v * std::numbers::pi / 180;
    default: return v;
  }
}

bool IsDateFunction(FunctionId id) {
  switch (id) {
    case FunctionId::kDayOfMonth: case FunctionId::kDayOfWeek: case FunctionId::kDayOfYear:
    case FunctionId::kDaysInMonth: case FunctionId::kHour: case FunctionId::kMinute:
    case FunctionId::kMonth: case FunctionId::kYear:
      return true;
    default:
      return false;
  }
}

// Prometheus compat: date functions take time.Unix(int64(v), 0).UTC().
double DateField(FunctionId id, double seconds) {
  const absl::CivilSecond cs = absl::ToCivilSecond(
      absl::FromUnixSeconds(static_cast<int64_t>(seconds)), absl::UTCTimeZone());
  switch (id) {
    case FunctionId::kDayOfMonth: return cs.day();
    case FunctionId::kDayOfWeek: {
      absl::Weekday wd = absl::GetWeekday(cs);  // Monday = 0 in Abseil
      return static_cast<double>((static_cast<int>(wd) + 1) % 7);
    }
    case FunctionId::kDayOfYear: return absl::GetYearDay(cs);
    case FunctionId::kDaysInMonth: {
      absl::CivilMonth m(cs);
      return static_cast<double>(absl::CivilDay(m + 1) - absl::CivilDay(m));
    }
    case FunctionId::kHour: return cs.hour();
    case FunctionId::kMinute: return cs.minute();
    case FunctionId::kMonth: return cs.month();
    case FunctionId::kYear: return static_cast<double>(cs.year());
    default: return 0;
  }
}

}  // namespace

// Prometheus compat (createLabelsForAbsentFunction): the equality matchers of a selector
// argument, minus names that also appear in another matcher; {} for anything else.
storage::Labels AbsentLabels(const Expr& arg) {
  const VectorSelector* vs = nullptr;
  if (arg.kind == NodeKind::kVectorSelector) vs = &arg.As<VectorSelector>();
  if (arg.kind == NodeKind::kMatrixSelector) vs = arg.As<MatrixSelector>().selector.get();
  if (vs == nullptr) return {};
  storage::LabelsBuilder b;
  std::vector<std::string> drop;
  std::vector<std::string> seen;
  for (const storage::Matcher& m : vs->matchers) {
    if (m.name() == storage::kMetricNameLabel) continue;
    bool has = std::find(seen.begin(), seen.end(), m.name()) != seen.end();
    if (m.type() == storage::MatchType::kEqual && !has) {
      b.Set(m.name(), m.value());
      if (!m.value().empty()) seen.push_back(m.name());
    } else {
      drop.push_back(m.name());
    }
  }
  for (const std::string& d : drop) b.Del(d);
  return b.Build();
}

absl::StatusOr<Evaluated> Evaluator::EvalCall(const Call& call) {
  const FunctionId id = call.func->id;
  const int n = steps_.n;
  if (IsRangeFunction(id)) return EvalRangeFunction(this, call);
  switch (id) {
    case FunctionId::kHistogramQuantile: return EvalHistogramQuantile(this, call);
    case FunctionId::kLabelReplace: return EvalLabelReplace(this, call);
    case FunctionId::kLabelJoin: return EvalLabelJoin(this, call);
    case FunctionId::kTime: {
      ASSIGN_OR_RETURN(SampleReservation held, Reserve(n));
      std::vector<double> v(n);
      for (int k = 0; k < n; ++k) v[k] = static_cast<double>(steps_.T(k)) / 1000;
      return MakeScalar(std::move(v));
    }
    case FunctionId::kPi: {
      ASSIGN_OR_RETURN(SampleReservation held, Reserve(n));
      return MakeScalar(std::vector<double>(n, std::numbers::pi));
    }
    case FunctionId::kVector: {
      ASSIGN_OR_RETURN(std::vector<double> s, EvalScalarArg(*call.args[0]));
      Rows rows;
      rows.push_back(Row{storage::Labels(), std::move(s)});
      return MakeVector(std::move(rows));
    }
    case FunctionId::kScalar: {
      ASSIGN_OR_RETURN(Rows rows, EvalVectorArg(*call.args[0]));
      ASSIGN_OR_RETURN(SampleReservation held, Reserve(n));
      std::vector<double> out(n, std::numeric_limits<double>::quiet_NaN());
      for (int k = 0; k < n; ++k) {
        int count = 0;
        double v = 0;
        for (const Row& r : rows) {
          if (!IsAbsent(r.v[k])) {
            ++count;
            v = r.v[k];
          }
        }
        if (count == 1) out[k] = v;
      }
      return MakeScalar(std::move(out));
    }
    case FunctionId::kAbsent: {
      ASSIGN_OR_RETURN(Rows rows, EvalVectorArg(*call.args[0]));
      ASSIGN_OR_RETURN(SampleReservation held, Reserve(n));
      Row row{AbsentLabels(UnwrapParens(*call.args[0])), std::vector<double>(n, 1.0)};
      for (const Row& r : rows) {
        for (int k = 0; k < n; ++k) {
          if (!IsAbsent(r.v[k])) row.v[k] = Absent();
        }
      }
      Rows out;
      out.push_back(std::move(row));
      DropEmptyRows(&out);
      return MakeVector(std::move(out));
    }
    case FunctionId::kTimestamp: {
      const Expr& arg = UnwrapParens(*call.args[0]);
      Rows rows;
      if (arg.kind == NodeKind::kVectorSelector) {
        // Prometheus compat: timestamp() of a selector returns the sample's own time.
        ASSIGN_OR_RETURN(Evaluated sel, EvalVectorSelector(arg.As<VectorSelector>(), true));
        rows = std::move(sel.rows);
        Pin(std::move(sel.held));
      } else {
        ASSIGN_OR_RETURN(rows, EvalVectorArg(arg));
        for (Row& r : rows) {
          for (int k = 0; k < n; ++k) {
            if (!IsAbsent(r.v[k])) r.v[k] = static_cast<double>(steps_.T(k)) / 1000;
          }
        }
      }
      for (Row& r : rows) r.labels = DropMetricName(r.labels);
      RETURN_IF_ERROR(MergeDuplicateRows(&rows));
      return MakeVector(std::move(rows));
    }
    case FunctionId::kSort:
    case FunctionId::kSortDesc: {
      ASSIGN_OR_RETURN(Rows rows, EvalVectorArg(*call.args[0]));
      // Only instant queries have an observable order (range results are label-sorted).
      if (n == 1) {
        const bool desc = id == FunctionId::kSortDesc;
        // Prometheus compat (funcSort/funcSortDesc, 2.42): sort.Sort(sort.Reverse(h)) with
        // the NaN-first heap orders, so NaN ends last; Go's unstable sort is reproduced
        // (promql/go_sort.h) so equal values come out in Prometheus's order.
        GoSort(&rows, [desc](const Row& a, const Row& b) {
          double x = a.v[0], y = b.v[0];
          return desc ? (std::isnan(y) || y < x) : (std::isnan(y) || y > x);
        });
      }
      return MakeVector(std::move(rows));
    }
    case FunctionId::kHistogramCount:
    case FunctionId::kHistogramSum:
    case FunctionId::kHistogramFraction: {
      // Native-histogram functions ignore float samples: with float-only storage the
      // result is always empty (docs/compatibility.md).
      for (const ExprPtr& a : call.args) RETURN_IF_ERROR(Eval(*a).status());
      return MakeVector(Rows());
    }
    default:
      break;
  }

  if (IsDateFunction(id) && call.args.empty()) {
    ASSIGN_OR_RETURN(SampleReservation held, Reserve(n));
    std::vector<double> v(n);
    for (int k = 0; k < n; ++k) {
      v[k] = DateField(id, static_cast<double>(steps_.T(k) / 1000));
    }
    Rows rows;
    rows.push_back(Row{storage::Labels(), std::move(v)});
    return MakeVector(std::move(rows));
  }

  // Element-wise functions over the first (vector) argument with optional scalars.
  ASSIGN_OR_RETURN(Rows rows, EvalVectorArg(*call.args[0]));
  std::vector<std::vector<double>> sargs;
  for (size_t i = 1; i < call.args.size(); ++i) {
    ASSIGN_OR_RETURN(std::vector<double> s, EvalScalarArg(*call.args[i]));
    sargs.push_back(std::move(s));
  }
  for (Row& r : rows) {
    r.labels = DropMetricName(r.labels);
    for (int k = 0; k < n; ++k) {
      double& x = r.v[k];
      if (IsAbsent(x)) continue;
      switch (id) {
        case FunctionId::kRound: {
          double to_nearest = sargs.empty() ? 1.0 : sargs[0][k];
          double inv = 1.0 / to_nearest;
          x = std::floor(x * inv + 0.5) / inv;
          break;
        }
        case FunctionId::kClamp: {
          double lo = sargs[0][k], hi = sargs[1][k];
          // Prometheus compat: clamp with min > max returns nothing.
          x = hi < lo ? Absent() : GoMax(lo, GoMin(hi, x));
          break;
        }
        case FunctionId::kClampMax: x = GoMin(sargs[0][k], x); break;
        case FunctionId::kClampMin: x = GoMax(sargs[0][k], x); break;
        default:
          x = IsDateFunction(id) ? DateField(id, x) : ElementWise(id, x);
          break;
      }
    }
  }
  DropEmptyRows(&rows);
  RETURN_IF_ERROR(MergeDuplicateRows(&rows));
  return MakeVector(std::move(rows));
}

}  // namespace tally::promql::internal
