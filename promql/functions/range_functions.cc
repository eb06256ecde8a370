// Functions over range vectors: rate/increase/delta (with Prometheus's extrapolation),
// irate/idelta, resets/changes, deriv/predict_linear, holt_winters and *_over_time.
// Each series is loaded once for the whole query span and swept with a RangeWindow; the
// per-window kernels below work on a span of samples and never allocate.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "promql/functions/functions.h"
#include "promql/functions/window_lanes.h"
#include "promql/range_window.h"
#include "promql/window_index.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {
namespace {

using Window = absl::Span<const storage::Sample>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct StepArgs {
  int64_t t_ms;         // evaluation time of the step
  int64_t start_ms;     // window start (closed)
  int64_t end_ms;       // window end (closed)
  int64_t range_ms;
  double a0 = 0, a1 = 0;  // scalar arguments of this step
};

// Prometheus compat (functions.go extrapolatedRate, 2.42): counter resets add the value
// before the reset; the result is extrapolated to the window edges unless the gap to an
// edge exceeds 1.1x the average sample interval (then by half an interval); counters are
// not extrapolated below zero.
// `result` is (last - first) plus, for counters, the value before each reset in the window
// (RawDelta, or WindowIndex::CounterDelta in O(resets)).
bool Extrapolate(Window w, double result, const StepArgs& a, bool is_counter, bool is_rate,
                 double* out) {
  const storage::Sample& first = w.front();
  const storage::Sample& last = w.back();
  double to_start = static_cast<double>(first.t_ms - a.start_ms) / 1000;
  double to_end = static_cast<double>(a.end_ms - last.t_ms) / 1000;
  double sampled = static_cast<double>(last.t_ms - first.t_ms) / 1000;
  double avg_step = sampled / static_cast<double>(w.size() - 1);
  if (is_counter && result > 0 && first.v >= 0) {
    double to_zero = sampled * (first.v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg_step * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_step / 2;
  interval += to_end < threshold ? to_end : avg_step / 2;
  // Prometheus compat: the factor is computed first, then applied once (bit-identical
  // results matter for topk ties).
  double factor = interval / sampled;
  if (is_rate) factor /= static_cast<double>(a.range_ms) / 1000;
  *out = result * factor;
  return true;
}

double RawDelta(Window w, bool is_counter) {
  double result = w.back().v - w.front().v;
  if (is_counter) {
    double prev = 0;
    for (const storage::Sample& s : w) {
      if (s.v < prev) result += prev;
      prev = s.v;
    }
  }
  return result;
}

bool ExtrapolatedRate(Window w, const StepArgs& a, bool is_counter, bool is_rate, double* out) {
  if (w.size() < 2) return false;
  return Extrapolate(w, RawDelta(w, is_counter), a, is_counter, is_rate, out);
}

// The WindowIndex table that answers `id` without rescanning windows (kNone: per window).
WindowIndex::Kind IndexKind(FunctionId id) {
  switch (id) {
    case FunctionId::kRate: case FunctionId::kIncrease: case FunctionId::kResets:
      return WindowIndex::Kind::kResets;
    case FunctionId::kChanges: return WindowIndex::Kind::kChanges;
    case FunctionId::kMaxOverTime: return WindowIndex::Kind::kMax;
    case FunctionId::kMinOverTime: return WindowIndex::Kind::kMin;
    case FunctionId::kSumOverTime: return WindowIndex::Kind::kIntSum;
    default: return WindowIndex::Kind::kNone;
  }
}

// One step through the index: the same answer as Kernel() for the window [lo, hi) of s.
bool IndexedKernel(FunctionId id, WindowIndex& ix, Window s, size_t lo, size_t hi,
                   const StepArgs& a, double* out) {
  switch (id) {
    case FunctionId::kRate:
    case FunctionId::kIncrease:
      if (hi - lo < 2) return false;
      return Extrapolate(s.subspan(lo, hi - lo), ix.CounterDelta(lo, hi), a, true,
                         id == FunctionId::kRate, out);
    case FunctionId::kResets: *out = static_cast<double>(ix.ResetCount(lo, hi)); return true;
    case FunctionId::kChanges: *out = static_cast<double>(ix.ChangeCount(lo, hi)); return true;
    case FunctionId::kMaxOverTime:
    case FunctionId::kMinOverTime: *out = ix.Extreme(lo, hi); return true;
    case FunctionId::kSumOverTime: *out = ix.IntSum(lo, hi); return true;
    default: return false;
  }
}

bool InstantValue(Window w, bool is_rate, double* out) {
  if (w.size() < 2) return false;
  const storage::Sample& last = w[w.size() - 1];
  const storage::Sample& prev = w[w.size() - 2];
  double r = (is_rate && last.v < prev.v) ? last.v : last.v - prev.v;
  int64_t dt = last.t_ms - prev.t_ms;
  if (dt == 0) return false;
  if (is_rate) r /= static_cast<double>(dt) / 1000;
  *out = r;
  return true;
}

// Prometheus compat (linearRegression): least squares with x relative to intercept_ms,
// compensated sums; a constant series gives slope 0 (NaN if it is infinite).
void LinearRegression(Window w, int64_t intercept_ms, double* slope, double* intercept) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  const double init_y = w[0].v;
  bool const_y = true;
  for (size_t i = 0; i < w.size(); ++i) {
    const storage::Sample& s = w[i];
    if (const_y && i > 0 && s.v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(s.t_ms - intercept_ms) / 1e3;
    KahanInc(x, &sx, &cx);
    KahanInc(s.v, &sy, &cy);
    KahanInc(x * s.v, &sxy, &cxy);
    KahanInc(x * x, &sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = kNaN;
      *intercept = kNaN;
    } else {
      *slope = 0;
      *intercept = init_y;
    }
    return;
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  double cov = sxy - sx * sy / n;
  double var = sx2 - sx * sx / n;
  *slope = cov / var;
  *intercept = sy / n - *slope * sx / n;
}

double HoltWinters(Window w, double sf, double tf) {
  double s0 = 0, s1 = w[0].v, b = w[1].v - w[0].v;
  for (size_t i = 1; i < w.size(); ++i) {
    double x = sf * w[i].v;
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

// One kernel call: returns false when the function yields no sample for this window.
bool Kernel(FunctionId id, Window w, const StepArgs& a, double* out,
            std::vector<double>* scratch) {
  switch (id) {
    case FunctionId::kRate: return ExtrapolatedRate(w, a, true, true, out);
    case FunctionId::kIncrease: return ExtrapolatedRate(w, a, true, false, out);
    case FunctionId::kDelta: return ExtrapolatedRate(w, a, false, false, out);
    case FunctionId::kIrate: return InstantValue(w, true, out);
    case FunctionId::kIdelta: return InstantValue(w, false, out);
    case FunctionId::kResets: {
      double r = 0;
      for (size_t i = 1; i < w.size(); ++i) r += w[i].v < w[i - 1].v ? 1 : 0;
      *out = r;
      return true;
    }
    case FunctionId::kChanges: {
      double r = 0;
      for (size_t i = 1; i < w.size(); ++i) {
        double c = w[i].v, p = w[i - 1].v;
        if (c != p && !(std::isnan(c) && std::isnan(p))) r += 1;
      }
      *out = r;
      return true;
    }
    case FunctionId::kDeriv: {
      if (w.size() < 2) return false;
      double slope, icpt;
      LinearRegression(w, w[0].t_ms, &slope, &icpt);
      *out = slope;
      return true;
    }
    case FunctionId::kPredictLinear: {
      if (w.size() < 2) return false;
      double slope, icpt;
      LinearRegression(w, a.t_ms, &slope, &icpt);
      *out = slope * a.a0 + icpt;
      return true;
    }
    case FunctionId::kHoltWinters:
      if (w.size() < 2) return false;
      *out = HoltWinters(w, a.a0, a.a1);
      return true;
    case FunctionId::kAvgOverTime: {
      AvgLane lane;
      for (const storage::Sample& s : w) lane.Add(s.v);
      *out = lane.Result();
      return true;
    }
    case FunctionId::kSumOverTime: {
      // Prometheus compat (2.42 funcSumOverTime): compensated, the compensation added last
      // unless the sum is infinite.
      double sum = 0, c = 0;
      for (const storage::Sample& s : w) KahanInc(s.v, &sum, &c);
      *out = std::isinf(sum) ? sum : sum + c;
      return true;
    }
    case FunctionId::kCountOverTime: *out = static_cast<double>(w.size()); return true;
    case FunctionId::kMinOverTime: {
      double m = w[0].v;
      for (const storage::Sample& s : w) {
        if (s.v < m || std::isnan(m)) m = s.v;
      }
      *out = m;
      return true;
    }
    case FunctionId::kMaxOverTime: {
      double m = w[0].v;
      for (const storage::Sample& s : w) {
        if (s.v > m || std::isnan(m)) m = s.v;
      }
      *out = m;
      return true;
    }
    case FunctionId::kLastOverTime: *out = w.back().v; return true;
    case FunctionId::kPresentOverTime: *out = 1; return true;
    case FunctionId::kQuantileOverTime:
      scratch->clear();
      for (const storage::Sample& s : w) scratch->push_back(s.v);
      *out = QuantileOf(a.a0, scratch);
      return true;
    case FunctionId::kStddevOverTime:
    case FunctionId::kStdvarOverTime: {
      VarLane lane;
      for (const storage::Sample& s : w) lane.Add(s.v);
      const double var = lane.Variance();
      *out = id == FunctionId::kStddevOverTime ? std::sqrt(var) : var;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

bool IsRangeFunction(FunctionId id) {
  switch (id) {
    case FunctionId::kRate: case FunctionId::kIncrease: case FunctionId::kDelta:
    case FunctionId::kIrate: case FunctionId::kIdelta: case FunctionId::kResets:
    case FunctionId::kChanges: case FunctionId::kDeriv: case FunctionId::kPredictLinear:
    case FunctionId::kHoltWinters: case FunctionId::kAvgOverTime:
    case FunctionId::kSumOverTime: case FunctionId::kCountOverTime:
    case FunctionId::kMinOverTime: case FunctionId::kMaxOverTime:
    case FunctionId::kLastOverTime: case FunctionId::kPresentOverTime:
    case FunctionId::kQuantileOverTime: case FunctionId::kStddevOverTime:
    case FunctionId::kStdvarOverTime: case FunctionId::kAbsentOverTime:
      return true;
    default:
      return false;
  }
}

storage::Labels AbsentLabels(const Expr& arg);  // functions/call.cc

namespace {

// Evaluates the scalar arguments and the range-vector operand and runs the argument checks
// (holt_winters factors); *absent_result is set instead for absent_over_time.
absl::StatusOr<std::unique_ptr<RangeSweep>> Prepare(Evaluator* ev, const Call& call,
                                                    std::optional<Evaluated>* absent_result) {
  const FunctionId id = call.func->id;
  const StepRange& steps = ev->steps();
  const int n = steps.n;
  // Scalar arguments and the index of the range-vector argument.
  size_t matrix_idx = 0;
  std::vector<double> a0, a1;
  if (id == FunctionId::kQuantileOverTime) {
    ASSIGN_OR_RETURN(a0, ev->EvalScalarArg(*call.args[0]));
    matrix_idx = 1;
  } else if (id == FunctionId::kPredictLinear) {
    ASSIGN_OR_RETURN(a0, ev->EvalScalarArg(*call.args[1]));
  } else if (id == FunctionId::kHoltWinters) {
    ASSIGN_OR_RETURN(a0, ev->EvalScalarArg(*call.args[1]));
    ASSIGN_OR_RETURN(a1, ev->EvalScalarArg(*call.args[2]));
  }
  EvalContext* ctx = ev->ctx();
  ASSIGN_OR_RETURN(MatrixOperand op, ev->EvalMatrixOperand(*call.args[matrix_idx]));

  if (id == FunctionId::kAbsentOverTime) {
    ASSIGN_OR_RETURN(SampleReservation held, ev->Reserve(n));
    std::vector<uint8_t> any(n, 0);
    std::vector<storage::Sample> buf;
    SampleReservation buf_held(ctx->samples);
    for (size_t i = 0; i < op.size(); ++i) {
      RETURN_IF_ERROR(ctx->CheckInterrupt());
      ASSIGN_OR_RETURN(absl::Span<const storage::Sample> samples, op.Load(i, &buf, &buf_held));
      RangeWindow w(samples);
      for (int k = 0; k < n; ++k) {
        int64_t end = op.WindowEnd(steps.T(k));
        if (!w.Advance(end - op.range_ms, end).empty()) any[k] = 1;
      }
    }
    Row row{AbsentLabels(UnwrapParens(*call.args[0])), std::vector<double>(n, Absent())};
    for (int k = 0; k < n; ++k) {
      if (!any[k]) row.v[k] = 1;
    }
    Rows rows;
    rows.push_back(std::move(row));
    Evaluator::DropEmptyRows(&rows);
    Evaluated r = ev->MakeVector(std::move(rows));
    r.held = std::move(held);
    *absent_result = std::move(r);
    return nullptr;
  }

  // Prometheus compat (functions.go funcHoltWinters): factors outside (0, 1) are an error
  // at the first step that has samples to smooth.
  if (id == FunctionId::kHoltWinters) {
    for (int k = 0; k < n; ++k) {
      if (!(a0[k] > 0 && a0[k] < 1) || !(a1[k] > 0 && a1[k] < 1)) {
        bool has_samples = false;
        std::vector<storage::Sample> buf;
        SampleReservation buf_held(ctx->samples);
        for (size_t i = 0; i < op.size() && !has_samples; ++i) {
          RETURN_IF_ERROR(ctx->CheckInterrupt());
          ASSIGN_OR_RETURN(absl::Span<const storage::Sample> samples,
                           op.Load(i, &buf, &buf_held));
          RangeWindow w(samples);
          int64_t end = op.WindowEnd(steps.T(k));
          has_samples = !w.Advance(end - op.range_ms, end).empty();
        }
        if (!has_samples) continue;
        if (!(a0[k] > 0 && a0[k] < 1)) {
          return absl::FailedPreconditionError(absl::StrFormat(
              "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", a0[k]));
        }
        return absl::FailedPreconditionError(
            absl::StrFormat("invalid trend factor. Expected: 0 < tf < 1, got: %f", a1[k]));
      }
    }
  }

  auto sweep = std::make_unique<RangeSweep>();
  sweep->ctx_ = ctx;
  sweep->steps_ = steps;
  sweep->id_ = id;
  sweep->a0_ = std::move(a0);
  sweep->a1_ = std::move(a1);
  sweep->op_ = std::move(op);
  return sweep;
}

}  // namespace

storage::Labels RangeSweep::OutputLabels(size_t i) const {
  // Prometheus compat: every range function drops the metric name except last_over_time.
  return id_ == FunctionId::kLastOverTime ? op_.labels[i] : DropMetricName(op_.labels[i]);
}

absl::Status RangeSweep::Sweep(size_t i, SweepScratch* sc, double* out) const {
  const int n = steps_.n;
  if (sc->buf_held.budget() == nullptr) sc->buf_held = SampleReservation(ctx_->samples);
  ASSIGN_OR_RETURN(absl::Span<const storage::Sample> samples,
                   op_.Load(i, &sc->buf, &sc->buf_held));
  std::fill(out, out + n, Absent());
  // O(samples) once per series, then O(1) per step; false: this series needs the
  // per-window loop (sum_over_time on non-integer values).
  const WindowIndex::Kind index_kind = IndexKind(id_);
  const bool indexed =
      index_kind != WindowIndex::Kind::kNone && sc->index.Reset(index_kind, samples);
  // quantile_over_time keeps the window sorted as it slides (promql/sorted_window.h).
  const bool sliding_sort =
      id_ == FunctionId::kQuantileOverTime && sc->sorted.Reset(samples);
  // avg/stddev/stdvar_over_time: kLanes windows at a time (functions/window_lanes.h).
  const bool laned = id_ == FunctionId::kAvgOverTime || id_ == FunctionId::kStddevOverTime ||
                     id_ == FunctionId::kStdvarOverTime;
  int pending = 0;
  int pending_k[kLanes];
  size_t pending_lo[kLanes], pending_len[kLanes];
  auto flush_lanes = [&] {
    if (id_ == FunctionId::kAvgOverTime) {
      AvgLane lanes[kLanes];
      RunLanes(samples.data(), pending_lo, pending_len, lanes);
      for (int l = 0; l < kLanes; ++l) out[pending_k[l]] = lanes[l].Result();
    } else {
      VarLane lanes[kLanes];
      RunLanes(samples.data(), pending_lo, pending_len, lanes);
      for (int l = 0; l < kLanes; ++l) {
        const double var = lanes[l].Variance();
        out[pending_k[l]] = id_ == FunctionId::kStddevOverTime ? std::sqrt(var) : var;
      }
    }
    pending = 0;
  };
  sc->work += static_cast<int64_t>(samples.size());
  RangeWindow w(samples);
  for (int k = 0; k < n; ++k) {
    StepArgs a;
    a.t_ms = steps_.T(k);
    a.end_ms = op_.WindowEnd(a.t_ms);
    a.start_ms = a.end_ms - op_.range_ms;
    a.range_ms = op_.range_ms;
    Window win = w.Advance(a.start_ms, a.end_ms);
    if (win.empty()) continue;
    if (!a0_.empty()) a.a0 = a0_[k];
    if (!a1_.empty()) a.a1 = a1_[k];
    double v;
    const size_t lo = static_cast<size_t>(win.data() - samples.data());
    if (indexed) {
      if (IndexedKernel(id_, sc->index, samples, lo, lo + win.size(), a, &v)) out[k] = v;
      continue;
    }
    if (sliding_sort) {
      out[k] = QuantileOfSorted(a.a0, sc->sorted.Advance(lo, lo + win.size()));
      // A step can re-sort or move the whole window: count it whole, as the loop below.
      sc->work += static_cast<int64_t>(win.size()) + 1;
      if (sc->work >= kInterruptEvery) {
        RETURN_IF_ERROR(ctx_->CheckInterrupt());
        sc->work = 0;
      }
      continue;
    }
    // Prometheus compat (rangeEval counts a window's samples while it is evaluated): the
    // window is a view into the series' samples, which are already reserved (buf_held or
    // the subquery's points), so it is not counted twice. Big windows
    // (quantile_over_time over a long range, many steps) take time too.
    sc->work += static_cast<int64_t>(win.size()) + 1;
    if (sc->work >= kInterruptEvery) {
      RETURN_IF_ERROR(ctx_->CheckInterrupt());
      sc->work = 0;
    }
    if (laned) {
      pending_k[pending] = k;
      pending_lo[pending] = lo;
      pending_len[pending] = win.size();
      if (++pending == kLanes) flush_lanes();
      continue;
    }
    if (Kernel(id_, win, a, &v, &sc->scratch)) out[k] = v;
  }
  // The last windows, fewer than kLanes, one at a time.
  for (int l = 0; l < pending; ++l) {
    Window win = samples.subspan(pending_lo[l], pending_len[l]);
    StepArgs a;
    double v;
    if (Kernel(id_, win, a, &v, &sc->scratch)) out[pending_k[l]] = v;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RangeSweep>> PrepareRangeSweep(Evaluator* ev, const Call& call) {
  if (call.func->id == FunctionId::kAbsentOverTime) {
    return absl::InternalError("absent_over_time has no per-series sweep");
  }
  std::optional<Evaluated> unused;
  return Prepare(ev, call, &unused);
}

absl::StatusOr<Evaluated> EvalRangeFunction(Evaluator* ev, const Call& call) {
  std::optional<Evaluated> absent_result;
  ASSIGN_OR_RETURN(std::unique_ptr<RangeSweep> sweep, Prepare(ev, call, &absent_result));
  if (absent_result) return std::move(*absent_result);
  EvalContext* ctx = ev->ctx();
  const int n = ev->steps().n;
  const size_t count = sweep->size();
  ASSIGN_OR_RETURN(SampleReservation held, ev->ReserveDense(count));
  Rows rows(count);
  auto run = [&](size_t begin, size_t end) -> absl::Status {
    SweepScratch sc;
    for (size_t i = begin; i < end; ++i) {
      RETURN_IF_ERROR(ctx->CheckInterrupt());
      rows[i].labels = sweep->OutputLabels(i);
      rows[i].v.resize(n);
      RETURN_IF_ERROR(sweep->Sweep(i, &sc, rows[i].v.data()));
    }
    return absl::OkStatus();
  };
  const bool parallel = ctx->options->parallel && count >= 64 &&
                        static_cast<int64_t>(count) * n >= 200'000;
  if (parallel) {
    absl::Mutex mu;
    absl::Status first;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, count, 16),
                      [&](const tbb::blocked_range<size_t>& r) {
                        absl::Status s = run(r.begin(), r.end());
                        if (!s.ok()) {
                          absl::MutexLock l(&mu);
                          if (first.ok()) first = s;
                        }
                      });
    RETURN_IF_ERROR(first);
  } else {
    RETURN_IF_ERROR(run(0, count));
  }
  Evaluator::DropEmptyRows(&rows);
  RETURN_IF_ERROR(ev->MergeDuplicateRows(&rows));
  Evaluated r = ev->MakeVector(std::move(rows));
  r.held = std::move(held);
  return r;
}

}  // namespace tally::promql::internal
