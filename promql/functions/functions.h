// Internal entry points of the function implementations (promql/functions/*.cc), called by
// Evaluator::EvalCall (functions/call.cc). Not part of the public API.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "promql/evaluator.h"
#include "promql/parser/function_table.h"

namespace tally::promql::internal {

// True for functions that take a range vector (rate, *_over_time, ...).
bool IsRangeFunction(FunctionId id);
// rate(), increase(), ..., *_over_time(): sweeps each series of the range-vector argument
// once with a sliding window.
absl::StatusOr<Evaluated> EvalRangeFunction(Evaluator* ev, const Call& call);
// histogram_quantile(phi, buckets) over classic `le` buckets.
absl::StatusOr<Evaluated> EvalHistogramQuantile(Evaluator* ev, const Call& call);
// label_replace() and label_join().
absl::StatusOr<Evaluated> EvalLabelReplace(Evaluator* ev, const Call& call);
absl::StatusOr<Evaluated> EvalLabelJoin(Evaluator* ev, const Call& call);

// Prometheus's aggregation quantile(): sorts *values (NaN first), interpolates.
double QuantileOf(double q, std::vector<double>* values);

}  // namespace tally::promql::internal
