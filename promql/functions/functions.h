// Internal entry points of the function implementations (promql/functions/*.cc), called by
// Evaluator::EvalCall (functions/call.cc). Not part of the public API.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "promql/evaluator.h"
#include "promql/parser/function_table.h"
#include "promql/sorted_window.h"
#include "promql/window_index.h"

namespace tally::promql::internal {

// True for functions that take a range vector (rate, *_over_time, ...).
bool IsRangeFunction(FunctionId id);
// rate(), increase(), ..., *_over_time(): sweeps each series of the range-vector argument
// once with a sliding window.
absl::StatusOr<Evaluated> EvalRangeFunction(Evaluator* ev, const Call& call);

// Per-thread buffers of RangeSweep::Sweep, reused across series.
struct SweepScratch {
  std::vector<storage::Sample> buf;
  SampleReservation buf_held;  // bound to the query's budget on first use
  std::vector<double> scratch;
  WindowIndex index;
  SortedWindow sorted;  // quantile_over_time
  int64_t work = 0;  // window samples swept since the last interrupt check
};

// A range function with its arguments evaluated and its series selected, computing one
// output row per input series on demand: what EvalRangeFunction runs for every series, and
// what an aggregation over a range function streams through without keeping the rows
// (eval_aggregate.cc). Sweep() may be called from several threads at once, each with its
// own SweepScratch; the RangeSweep must outlive the calls.
class RangeSweep {
 public:
  size_t size() const { return op_.size(); }
  // Series i's output label set (the metric name dropped except for last_over_time).
  storage::Labels OutputLabels(size_t i) const;
  // Writes series i's value at each step (kAbsent where none) to out[0 .. steps.n).
  // Errors: budget (ResourceExhausted), interrupt, storage.
  absl::Status Sweep(size_t i, SweepScratch* scratch, double* out) const;

  // Set by PrepareRangeSweep.
  EvalContext* ctx_ = nullptr;
  StepRange steps_;
  FunctionId id_{};
  std::vector<double> a0_, a1_;
  MatrixOperand op_;
};

// Evaluates call's scalar arguments and range-vector operand (and holt_winters' factor
// checks) for a sweep. Not for absent_over_time (InternalError).
absl::StatusOr<std::unique_ptr<RangeSweep>> PrepareRangeSweep(Evaluator* ev, const Call& call);
// histogram_quantile(phi, buckets) over classic `le` buckets.
absl::StatusOr<Evaluated> EvalHistogramQuantile(Evaluator* ev, const Call& call);
// label_replace() and label_join().
absl::StatusOr<Evaluated> EvalLabelReplace(Evaluator* ev, const Call& call);
absl::StatusOr<Evaluated> EvalLabelJoin(Evaluator* ev, const Call& call);

// Prometheus's aggregation quantile(): sorts *values (NaN first), interpolates.
double QuantileOf(double q, std::vector<double>* values);
// The same on values already sorted that way.
double QuantileOfSorted(double q, const std::vector<double>& values);

}  // namespace tally::promql::internal
