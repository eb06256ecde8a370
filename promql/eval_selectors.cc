// Instant and range selectors and subqueries: lookback, stale markers, offset and @.
// Each storage series is read once over the span all steps need and swept step by step.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "promql/evaluator.h"
#include "promql/range_window.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {
namespace {

// Storage NaNs that happen to carry our "absent" payload become the default NaN.
inline double Canonical(double v) {
  return IsAbsent(v) ? std::numeric_limits<double>::quiet_NaN() : v;
}

// Runs fn(begin, end) over [0, n), in parallel when the work is large enough to pay.
template <typename Fn>
absl::Status ForEachSeries(const EvalContext& ctx, size_t n, int64_t work_per_item, Fn fn) {
  const bool parallel =
      ctx.options->parallel && n >= 64 && static_cast<int64_t>(n) * work_per_item >= 200'000;
  if (!parallel) return fn(size_t{0}, n);
  absl::Status first;
  absl::Mutex mu;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 32),
                    [&](const tbb::blocked_range<size_t>& r) {
                      absl::Status s = fn(r.begin(), r.end());
                      if (!s.ok()) {
                        absl::MutexLock l(&mu);
                        if (first.ok()) first = s;
                      }
                    });
  return first;
}

}  // namespace

std::optional<int64_t> Evaluator::ResolveAt(const AtModifier& at) const {
  switch (at.kind) {
    case AtModifier::Kind::kNone: return std::nullopt;
    case AtModifier::Kind::kTimestamp: return at.t_ms;
    case AtModifier::Kind::kStart: return ctx_->query_start_ms;
    case AtModifier::Kind::kEnd: return ctx_->query_end_ms;
  }
  return std::nullopt;
}

absl::StatusOr<Evaluated> Evaluator::EvalVectorSelector(const VectorSelector& vs,
                                                        bool want_timestamps) {
  const std::optional<int64_t> at = ResolveAt(vs.at);
  const int64_t lookback = absl::ToInt64Milliseconds(ctx_->options->lookback_delta);
  auto ref_time = [&](int k) { return (at ? *at : steps_.T(k)) - vs.offset_ms; };
  const int64_t maxt = ref_time(steps_.n - 1);
  const int64_t mint = ref_time(0) - lookback;
  std::unique_ptr<storage::Querier> q = ctx_->db->NewQuerier(mint, maxt);
  ASSIGN_OR_RETURN(auto series, q->Select(vs.matchers));
  ASSIGN_OR_RETURN(SampleReservation held, ReserveDense(series.size()));

  Rows rows(series.size());
  const int n = steps_.n;
  RETURN_IF_ERROR(ForEachSeries(
      *ctx_, series.size(), n, [&](size_t begin, size_t end) -> absl::Status {
        std::vector<storage::Sample> buf;
        SampleReservation buf_held(ctx_->samples);
        for (size_t i = begin; i < end; ++i) {
          RETURN_IF_ERROR(ctx_->CheckInterrupt());
          buf.clear();
          RETURN_IF_ERROR(series[i]->Samples(mint, maxt, &buf));
          RETURN_IF_ERROR(buf_held.Resize(static_cast<int64_t>(buf.size())));
          Row& row = rows[i];
          row.labels = series[i]->labels();
          row.v.assign(n, Absent());
          size_t j = 0;  // first sample with t > ref
          for (int k = 0; k < n; ++k) {
            const int64_t ref = ref_time(k);
            while (j < buf.size() && buf[j].t_ms <= ref) ++j;
            if (j == 0) continue;
            const storage::Sample& s = buf[j - 1];
            // Prometheus compat: the lookback window is closed, [ref - lookback, ref].
            if (s.t_ms < ref - lookback || storage::IsStaleNaN(s.v)) continue;
            row.v[k] = want_timestamps ? static_cast<double>(s.t_ms) / 1000.0 : Canonical(s.v);
          }
        }
        return absl::OkStatus();
      }));
  DropEmptyRows(&rows);
  Evaluated r = MakeVector(std::move(rows));
  r.held = std::move(held);
  return r;
}

absl::StatusOr<absl::Span<const storage::Sample>> MatrixOperand::Load(
    size_t i, std::vector<storage::Sample>* buf, SampleReservation* buf_held) const {
  if (series.empty()) {
    // Subquery points: already materialised (and reserved); only the range is cut out.
    const std::vector<storage::Sample>& p = points[i];
    auto lo = std::lower_bound(p.begin(), p.end(), mint_ms,
                               [](const storage::Sample& s, int64_t t) { return s.t_ms < t; });
    auto hi = std::upper_bound(lo, p.end(), maxt_ms,
                               [](int64_t t, const storage::Sample& s) { return t < s.t_ms; });
    return absl::Span<const storage::Sample>(p.data() + (lo - p.begin()), hi - lo);
  }
  buf->clear();
  RETURN_IF_ERROR(series[i]->Samples(mint_ms, maxt_ms, buf));
  // The decoded samples count against the budget while they are swept. Storage reads a
  // series in one call, so this is settled right after the read: a single series larger
  // than the whole budget is read before it is refused (docs/promql.md).
  RETURN_IF_ERROR(buf_held->Resize(static_cast<int64_t>(buf->size())));
  // Prometheus compat: range selectors skip stale markers.
  size_t out = 0;
  for (size_t k = 0; k < buf->size(); ++k) {
    storage::Sample s = (*buf)[k];
    if (storage::IsStaleNaN(s.v)) continue;
    s.v = Canonical(s.v);
    (*buf)[out++] = s;
  }
  buf->resize(out);
  return absl::Span<const storage::Sample>(*buf);
}

absl::StatusOr<MatrixOperand> Evaluator::EvalMatrixOperand(const Expr& expr) {
  const Expr& e = UnwrapParens(expr);
  MatrixOperand op;
  if (e.kind == NodeKind::kMatrixSelector) {
    const auto& ms = e.As<MatrixSelector>();
    const VectorSelector& vs = *ms.selector;
    op.range_ms = ms.range_ms;
    op.offset_ms = vs.offset_ms;
    op.at_ms = ResolveAt(vs.at);
    op.maxt_ms = op.WindowEnd(steps_.T(steps_.n - 1));
    op.mint_ms = op.WindowEnd(steps_.T(0)) - op.range_ms;
    op.querier = ctx_->db->NewQuerier(op.mint_ms, op.maxt_ms);
    ASSIGN_OR_RETURN(op.series, op.querier->Select(vs.matchers));
    op.labels.reserve(op.series.size());
    for (const auto& s : op.series) op.labels.push_back(s->labels());
    return op;
  }
  if (e.kind != NodeKind::kSubquery) {
    return absl::InternalError("range vector operand must be a matrix selector or subquery");
  }
  const auto& sq = e.As<SubqueryExpr>();
  op.range_ms = sq.range_ms;
  op.offset_ms = sq.offset_ms;
  op.at_ms = ResolveAt(sq.at);
  op.maxt_ms = op.WindowEnd(steps_.T(steps_.n - 1));
  op.mint_ms = op.WindowEnd(steps_.T(0)) - op.range_ms;
  const int64_t step = sq.step_ms > 0 ? sq.step_ms : ctx_->options->default_subquery_step_ms;
  // Prometheus compat (engine.go, SubqueryExpr): the first inner step is the first multiple
  // of the subquery step at or after the window start (Go's truncating division).
  int64_t inner_start = step * (op.mint_ms / step);
  if (inner_start < op.mint_ms) inner_start += step;
  if (inner_start > op.maxt_ms) return op;  // no inner step falls into any window
  // Every value the inner expression produces (a scalar, each row) is a dense row of the
  // inner steps: a grid with more steps than the whole budget can never be held, so it is
  // refused here, before anything of it is built (`x[1y:1ms]` has 3.2e10 steps).
  const int64_t inner_steps = (op.maxt_ms - inner_start) / step + 1;
  if (inner_steps > ctx_->samples->limit() || inner_steps > std::numeric_limits<int>::max()) {
    return SampleBudget::TooManySamples();
  }
  Evaluator inner(ctx_, StepRange::Make(inner_start, op.maxt_ms, step));
  ASSIGN_OR_RETURN(Evaluated r, inner.Eval(*sq.expr));
  if (r.type != ValueType::kVector) {
    return absl::InternalError("subquery expression must be an instant vector");
  }
  // Rows become point lists one at a time: each row's points are reserved before they are
  // built and its dense cells are released right after, so the conversion needs one row
  // more than the rows themselves, not twice as much.
  op.held = SampleReservation(ctx_->samples);
  op.labels.reserve(r.rows.size());
  op.points.reserve(r.rows.size());
  const int n = inner.steps().n;
  for (Row& row : r.rows) {
    RETURN_IF_ERROR(ctx_->CheckInterrupt());
    int64_t present = 0;
    for (double x : row.v) present += IsAbsent(x) ? 0 : 1;
    if (present > 0) {
      RETURN_IF_ERROR(op.held.Grow(present));
      std::vector<storage::Sample> pts;
      pts.reserve(static_cast<size_t>(present));
      for (int k = 0; k < n; ++k) {
        if (!IsAbsent(row.v[k])) pts.push_back({inner.steps().T(k), row.v[k]});
      }
      op.labels.push_back(std::move(row.labels));
      op.points.push_back(std::move(pts));
    }
    std::vector<double>().swap(row.v);
    RETURN_IF_ERROR(r.held.Resize(r.held.held() - n));
  }
  return op;
}

absl::StatusOr<Evaluated> Evaluator::EvalMatrixForOutput(const Expr& e) {
  ASSIGN_OR_RETURN(MatrixOperand op, EvalMatrixOperand(e));
  Evaluated r;
  r.type = ValueType::kMatrix;
  r.held = SampleReservation(ctx_->samples);
  std::vector<storage::Sample> buf;
  SampleReservation buf_held(ctx_->samples);
  const int64_t end = op.WindowEnd(steps_.T(0));
  for (size_t i = 0; i < op.size(); ++i) {
    RETURN_IF_ERROR(ctx_->CheckInterrupt());
    ASSIGN_OR_RETURN(absl::Span<const storage::Sample> samples, op.Load(i, &buf, &buf_held));
    RangeWindow w(samples);
    absl::Span<const storage::Sample> win = w.Advance(end - op.range_ms, end);
    if (win.empty()) continue;
    RETURN_IF_ERROR(r.held.Grow(static_cast<int64_t>(win.size())));
    r.matrix.push_back({op.labels[i], std::vector<storage::Sample>(win.begin(), win.end())});
  }
  return r;
}

}  // namespace tally::promql::internal
