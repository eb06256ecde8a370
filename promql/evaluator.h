// Evaluator: walks a PromQL AST over all steps of a query at once. Internal to the engine
// (engine.cc is the only user besides tests).
//
// Representation: every instant-vector expression evaluates to Rows, one Row per output
// series with a dense value per step (kAbsent where the series has no sample at that step);
// scalars to one value per step. Instant queries are the 1-step case. Labels are therefore
// computed once per series, not once per step, and each storage series is read once for
// the whole query range and swept with a sliding window (range_window.h), never decoded per
// step. Range-vector expressions exist only as function arguments (MatrixOperand) or as the
// top-level result of an instant query.
//
// An Evaluator is used by one thread; it may fan work out to oneTBB internally. The
// EvalContext it points to is shared with nested (subquery) evaluators.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "promql/engine.h"
#include "promql/parser/ast.h"
#include "promql/sample_budget.h"
#include "promql/value.h"
#include "storage/db.h"

namespace tally::promql::internal {

// "No sample at this step": a quiet NaN with a payload no arithmetic produces. Samples read
// from storage carrying this exact bit pattern are canonicalised to the default NaN.
inline constexpr uint64_t kAbsentBits = 0x7ff8dead0000beefULL;
inline double Absent() { return std::bit_cast<double>(kAbsentBits); }
inline bool IsAbsent(double v) { return std::bit_cast<uint64_t>(v) == kAbsentBits; }

struct StepRange {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 1;
  int n = 1;
  int64_t T(int k) const { return start_ms + k * step_ms; }
  static StepRange Make(int64_t start_ms, int64_t end_ms, int64_t step_ms) {
    StepRange r{start_ms, end_ms, step_ms <= 0 ? 1 : step_ms, 1};
    r.n = static_cast<int>((end_ms - start_ms) / r.step_ms) + 1;
    return r;
  }
};

struct Row {
  storage::Labels labels;
  std::vector<double> v;  // StepRange::n values, kAbsent where missing
};
using Rows = std::vector<Row>;

// Shared by an evaluator and its subquery evaluators.
struct EvalContext {
  const QueryOptions* options = nullptr;
  storage::DB* db = nullptr;
  int64_t query_start_ms = 0;  // @ start()
  int64_t query_end_ms = 0;    // @ end()
  absl::Time deadline = absl::InfiniteFuture();
  const std::atomic<bool>* cancelled = nullptr;
  // --query.max-samples of this query (owned by Query::Exec, outlives every evaluator).
  SampleBudget* samples = nullptr;

  // Cancelled / DeadlineExceeded when the query must stop. Cheap (one relaxed load and a
  // clock read): loops over series, steps or rows call it every iteration or every 1024,
  // loops over window samples every kInterruptEvery samples.
  absl::Status CheckInterrupt() const;
};

// Window samples swept between two interrupt checks: about a millisecond of kernel work,
// so a cancel or timeout is honoured far below 100 ms.
inline constexpr int64_t kInterruptEvery = 1 << 18;

// Evaluation result of one node.
struct Evaluated {
  ValueType type = ValueType::kNone;
  std::vector<double> scalar;  // kScalar: one per step
  Rows rows;                   // kVector
  std::string str;             // kString
  Matrix matrix;               // kMatrix (top-level instant query only)
  // The budget this value's buffers hold: a cell per step for a scalar and for each row,
  // a sample per point of a matrix. Released when the value is destroyed.
  SampleReservation held;
};

// A range-vector argument: the selected series, read once each over the whole span the
// query's windows need, and the window geometry. Built from a matrix selector (storage) or
// a subquery (materialised points).
struct MatrixOperand {
  std::vector<storage::Labels> labels;
  std::unique_ptr<storage::Querier> querier;                   // keeps `series` valid
  std::vector<std::unique_ptr<storage::Series>> series;        // from storage, or
  std::vector<std::vector<storage::Sample>> points;            // from a subquery
  SampleReservation held;                                      // what `points` hold
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  std::optional<int64_t> at_ms;
  int64_t mint_ms = 0, maxt_ms = 0;  // union of all windows

  size_t size() const { return labels.size(); }
  // Window end for step time t.
  int64_t WindowEnd(int64_t t) const { return (at_ms ? *at_ms : t) - offset_ms; }
  // Series i's samples in [mint_ms, maxt_ms], stale markers dropped: read from storage
  // into *buf (whose size *buf_held is resized to, ResourceExhausted when it does not fit
  // the budget), or a view of `points` (no copy). Valid until the next Load with `buf`.
  absl::StatusOr<absl::Span<const storage::Sample>> Load(size_t i,
                                                         std::vector<storage::Sample>* buf,
                                                         SampleReservation* buf_held) const;
};

class Evaluator {
 public:
  Evaluator(EvalContext* ctx, StepRange steps) : ctx_(ctx), steps_(steps) {}

  // Evaluates `e` over all steps. Once it returns, the sample budget holds exactly the
  // result's buffers (Evaluated::held) for this node: its children's and temporaries'
  // reservations are released with them.
  absl::StatusOr<Evaluated> Eval(const Expr& e);
  const StepRange& steps() const { return steps_; }
  EvalContext* ctx() const { return ctx_; }

  // --- pieces, each in its own .cc ---
  // eval_selectors.cc
  absl::StatusOr<Evaluated> EvalVectorSelector(const VectorSelector& vs, bool want_timestamps);
  absl::StatusOr<MatrixOperand> EvalMatrixOperand(const Expr& e);  // selector or subquery
  absl::StatusOr<Evaluated> EvalMatrixForOutput(const Expr& e);    // instant query, range type
  std::optional<int64_t> ResolveAt(const AtModifier& at) const;
  // eval_binary.cc
  absl::StatusOr<Evaluated> EvalBinary(const BinaryExpr& e);
  // eval_aggregate.cc
  absl::StatusOr<Evaluated> EvalAggregate(const AggregateExpr& e);
  // eval_aggregate_stream.cc: a streaming aggregation (GroupAccumulator::Supports) whose
  // argument is a range function, without materialising the function's rows; nullopt when
  // it does not apply (then EvalAggregate materialises).
  absl::StatusOr<std::optional<Evaluated>> EvalAggregateStreamed(const AggregateExpr& e);
  // functions/*.cc
  absl::StatusOr<Evaluated> EvalCall(const Call& e);

  // Helpers shared by the pieces. The argument's reservation stays held until the node
  // being evaluated (the enclosing Eval call) returns, or the Evaluator is destroyed.
  absl::StatusOr<std::vector<double>> EvalScalarArg(const Expr& e);
  absl::StatusOr<Rows> EvalVectorArg(const Expr& e);
  Evaluated MakeScalar(std::vector<double> v) const;
  Evaluated MakeVector(Rows rows) const;
  // Prometheus compat (engine.go rangeEval: "vector cannot contain metrics with the same
  // labelset"): rows with equal label sets are merged when they never overlap in a step,
  // and the whole evaluation fails when they do.
  absl::Status MergeDuplicateRows(Rows* rows) const;
  // Drops rows that have no value at any step.
  static void DropEmptyRows(Rows* rows);
  // Reserve before allocating: n samples, or `rows` dense rows of this evaluator's steps
  // (ResourceExhausted, Prometheus's too-many-samples text, when they do not fit). Every
  // buffer proportional to the steps, series or points is allocated only after this.
  absl::StatusOr<SampleReservation> Reserve(int64_t n) const;
  absl::StatusOr<SampleReservation> ReserveDense(size_t rows) const;
  // Keeps a reservation alive until the node being evaluated returns (see EvalVectorArg).
  void Pin(SampleReservation r) { pinned_.push_back(std::move(r)); }

 private:
  absl::StatusOr<Evaluated> EvalNode(const Expr& e);

  EvalContext* ctx_;
  StepRange steps_;
  // Reservations of arguments returned as bare vectors by EvalScalarArg/EvalVectorArg;
  // each Eval() call releases the ones pinned while it ran.
  std::vector<SampleReservation> pinned_;
};

// Removes __name__ (Prometheus's dropMetricName).
storage::Labels DropMetricName(const storage::Labels& l);

// Go's math.Max / math.Min semantics (NaN wins, +-0 ordered), unlike std::fmax.
double GoMax(double a, double b);
double GoMin(double a, double b);

// Go's strconv.FormatFloat(v, 'f', -1, 64).
std::string FormatFloatF(double v);

}  // namespace tally::promql::internal
