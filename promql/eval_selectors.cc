// Instant and range selectors and subqueries: lookback, stale markers, offset and @.
// Each storage series is read once over the span all steps need and swept step by step.
#include <algorithm>
#include <cmath>
#include "absl/synchronization/mutex.h"
#include <limits>

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

absl::StatusOr<Rows> Evaluator::EvalVectorSelector(const VectorSelector& vs,
                                                   bool want_timestamps) {
  const std::optional<int64_t> at = ResolveAt(vs.at);
  const int64_t lookback = absl::ToInt64Milliseconds(ctx_->options->lookback_delta);
  auto ref_time = [&](int k) { return (at ? *at : steps_.T(k)) - vs.offset_ms; };
  const int64_t maxt = ref_time(steps_.n - 1);
  const int64_t mint = ref_time(0) - lookback;
  std::unique_ptr<storage::Querier> q = ctx_->db->NewQuerier(mint, maxt);
  ASSIGN_OR_RETURN(auto series, q->Select(vs.matchers));
  RETURN_IF_ERROR(CheckDenseRows(series.size()));

  Rows rows(series.size());
  const int n = steps_.n;
  std::atomic<int64_t> total{0};
  RETURN_IF_ERROR(ForEachSeries(
      *ctx_, series.size(), n, [&](size_t begin, size_t end) -> absl::Status {
        std::vector<storage::Sample> buf;
        int64_t present = 0;
        for (size_t i = begin; i < end; ++i) {
          if ((i & 255) == 0) RETURN_IF_ERROR(ctx_->CheckInterrupt());
          buf.clear();
          RETURN_IF_ERROR(series[i]->Samples(mint, maxt, &buf));
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
            ++present;
          }
        }
        total.fetch_add(present, std::memory_order_relaxed);
        return absl::OkStatus();
      }));
  RETURN_IF_ERROR(ctx_->AddSamples(total.load()));
  DropEmptyRows(&rows);
  return rows;
}

absl::Status MatrixOperand::Load(size_t i, std::vector<storage::Sample>* buf) const {
  buf->clear();
  if (!series.empty()) {
    RETURN_IF_ERROR(series[i]->Samples(mint_ms, maxt_ms, buf));
    // Prometheus compat: range selectors skip stale markers.
    size_t out = 0;
    for (size_t k = 0; k < buf->size(); ++k) {
      storage::Sample s = (*buf)[k];
      if (storage::IsStaleNaN(s.v)) continue;
      s.v = Canonical(s.v);
      (*buf)[out++] = s;
    }
    buf->resize(out);
    return absl::OkStatus();
  }
  for (const storage::Sample& s : points[i]) {
    if (s.t_ms >= mint_ms && s.t_ms <= maxt_ms) buf->push_back(s);
  }
  return absl::OkStatus();
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
  Evaluator inner(ctx_, StepRange::Make(inner_start, op.maxt_ms, step));
  ASSIGN_OR_RETURN(Rows rows, inner.EvalVectorArg(*sq.expr));
  op.labels.reserve(rows.size());
  op.points.reserve(rows.size());
  for (Row& row : rows) {
    std::vector<storage::Sample> pts;
    for (int k = 0; k < inner.steps().n; ++k) {
      if (!IsAbsent(row.v[k])) pts.push_back({inner.steps().T(k), row.v[k]});
    }
    if (pts.empty()) continue;
    op.labels.push_back(std::move(row.labels));
    op.points.push_back(std::move(pts));
  }
  return op;
}

absl::StatusOr<Matrix> Evaluator::EvalMatrixForOutput(const Expr& e) {
  ASSIGN_OR_RETURN(MatrixOperand op, EvalMatrixOperand(e));
  Matrix out;
  std::vector<storage::Sample> buf;
  const int64_t end = op.WindowEnd(steps_.T(0));
  for (size_t i = 0; i < op.size(); ++i) {
    RETURN_IF_ERROR(op.Load(i, &buf));
    RangeWindow w(buf);
    absl::Span<const storage::Sample> win = w.Advance(end - op.range_ms, end);
    if (win.empty()) continue;
    RETURN_IF_ERROR(ctx_->AddSamples(static_cast<int64_t>(win.size())));
    out.push_back({op.labels[i], std::vector<storage::Sample>(win.begin(), win.end())});
  }
  return out;
}

}  // namespace tally::promql::internal
