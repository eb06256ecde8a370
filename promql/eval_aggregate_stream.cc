// sum/avg/count/group/min/max/stddev/stdvar over a range function
// (`sum by (model) (rate(x[5m]))`) without keeping one dense row per input series: the
// function's rows are computed in chunks of series by oneTBB workers (both cores) and added
// to the group accumulators by one stage that takes the chunks strictly in series order, so
// the float operations happen in exactly the order of the materialising path (and of
// Prometheus 2.42, which aggregates a range function's output in series order). Memory is
// the accumulators plus the chunks in flight, not series x steps.
#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/parallel_pipeline.h"
#include "oneapi/tbb/task_arena.h"
#include "promql/evaluator.h"
#include "promql/functions/functions.h"
#include "promql/group_accumulator.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {
namespace {

constexpr size_t kChunkSeries = 16;

struct Chunk {
  size_t begin = 0, end = 0;
  std::vector<double> cells;                 // (end - begin) x steps
  std::vector<std::optional<storage::Labels>> groups;  // group labels of rows with a value
  SampleReservation held;
  absl::Status status;
};

}  // namespace

absl::StatusOr<std::optional<Evaluated>> Evaluator::EvalAggregateStreamed(const AggregateExpr& e) {
  const Expr& arg = UnwrapParens(*e.expr);
  if (arg.kind != NodeKind::kCall) return std::nullopt;
  const Call& call = arg.As<Call>();
  if (!IsRangeFunction(call.func->id) || call.func->id == FunctionId::kAbsentOverTime) {
    return std::nullopt;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RangeSweep> sweep, PrepareRangeSweep(this, call));
  const size_t count = sweep->size();
  const int n = steps_.n;
  // Output rows with equal label sets are merged (or rejected) by the materialising path
  // (MergeDuplicateRows); that changes the input order, so such inputs are not streamed.
  // Checked on labels alone, before any sample is read.
  std::vector<storage::Labels> labels(count);
  {
    absl::flat_hash_set<storage::Labels> seen;
    seen.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      labels[i] = sweep->OutputLabels(i);
      if (!seen.insert(labels[i]).second) {
        // Fall back: evaluate the function's rows as EvalRangeFunction would, then
        // aggregate them (the operand is already loaded, so rebuild through Eval).
        return std::nullopt;
      }
    }
  }

  GroupAccumulator acc(e.op, n);
  SampleReservation acc_held(ctx_->samples);
  std::vector<storage::Labels> group_labels;
  absl::flat_hash_map<storage::Labels, size_t> group_index;
  absl::Status first_error;

  tbb::enumerable_thread_specific<SweepScratch> scratch;
  auto compute = [&](Chunk* c) {
    SweepScratch& sc = scratch.local();
    const size_t rows = c->end - c->begin;
    c->held = SampleReservation(ctx_->samples);
    c->status = c->held.Resize(static_cast<int64_t>(rows) * n);
    if (!c->status.ok()) return;
    c->cells.resize(rows * n);
    c->groups.resize(rows);
    for (size_t i = c->begin; i < c->end && c->status.ok(); ++i) {
      c->status = ctx_->CheckInterrupt();
      if (!c->status.ok()) break;
      double* row = c->cells.data() + (i - c->begin) * n;
      c->status = sweep->Sweep(i, &sc, row);
      if (!c->status.ok()) break;
      if (std::any_of(row, row + n, [](double x) { return !IsAbsent(x); })) {
        c->groups[i - c->begin] = AggregateGroupLabels(labels[i], e);
      }
    }
  };
  // In series order: new groups in order of first appearance, as the materialising path.
  auto accumulate = [&](Chunk* c) {
    if (!first_error.ok()) return;
    if (!c->status.ok()) {
      first_error = c->status;
      return;
    }
    for (size_t r = 0; r < c->groups.size(); ++r) {
      if (!c->groups[r]) continue;
      auto [it, inserted] = group_index.try_emplace(*c->groups[r], acc.groups());
      if (inserted) {
        first_error = acc_held.Grow(4 * static_cast<int64_t>(n));
        if (!first_error.ok()) return;
        group_labels.push_back(it->first);
        acc.AddGroup();
      }
      acc.Add(it->second, c->cells.data() + r * n);
    }
  };

  const bool parallel = ctx_->options->parallel && count >= 64 &&
                        static_cast<int64_t>(count) * n >= 200'000;
  if (parallel) {
    size_t next = 0;
    std::atomic<bool> stop{false};
    const size_t tokens = 2 * static_cast<size_t>(tbb::this_task_arena::max_concurrency());
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, Chunk*>(
            tbb::filter_mode::serial_in_order,
            [&](tbb::flow_control& fc) -> Chunk* {
              if (next >= count || stop.load(std::memory_order_relaxed)) {
                fc.stop();
                return nullptr;
              }
              auto* c = new Chunk;
              c->begin = next;
              c->end = std::min(count, next + kChunkSeries);
              next = c->end;
              return c;
            }) &
            tbb::make_filter<Chunk*, Chunk*>(tbb::filter_mode::parallel,
                                             [&](Chunk* c) {
                                               if (!stop.load(std::memory_order_relaxed)) {
                                                 compute(c);
                                               }
                                               return c;
                                             }) &
            tbb::make_filter<Chunk*, void>(tbb::filter_mode::serial_in_order, [&](Chunk* c) {
              std::unique_ptr<Chunk> own(c);
              accumulate(c);
              if (!first_error.ok()) stop.store(true, std::memory_order_relaxed);
            }));
  } else {
    Chunk c;
    for (size_t b = 0; b < count && first_error.ok(); b += kChunkSeries) {
      c.begin = b;
      c.end = std::min(count, b + kChunkSeries);
      c.groups.clear();
      compute(&c);
      accumulate(&c);
    }
  }
  RETURN_IF_ERROR(first_error);

  const size_t ng = acc.groups();
  Rows out(ng);
  for (size_t g = 0; g < ng; ++g) {
    out[g].labels = std::move(group_labels[g]);
    acc.Output(g, &out[g].v);
  }
  DropEmptyRows(&out);
  Evaluated r = MakeVector(std::move(out));
  r.held = std::move(acc_held);
  return std::optional<Evaluated>(std::move(r));
}

}  // namespace tally::promql::internal
