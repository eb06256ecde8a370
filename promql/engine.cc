// Engine and Query: validation, the evaluation context (limits, cancellation) and the
// conversion of the evaluator's dense rows into the API's result values.
#include "promql/engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "promql/evaluator.h"
#include "promql/parser/parser.h"
#include "storage/util/status_macros.h"

namespace tally::promql {

Query::Query(const QueryOptions& options, storage::DB* db, ExprPtr expr, int64_t start_ms,
             int64_t end_ms, int64_t step_ms, bool is_range)
    : options_(options),
      db_(db),
      expr_(std::move(expr)),
      start_ms_(start_ms),
      end_ms_(end_ms),
      step_ms_(step_ms),
      is_range_(is_range) {}

Query::~Query() = default;

absl::StatusOr<Value> Query::Exec() {
  // Declared first: every reservation of this query (held by the values below) is
  // released before the budget goes away.
  SampleBudget budget(options_.max_samples);
  internal::EvalContext ctx;
  ctx.samples = &budget;
  ctx.options = &options_;
  ctx.db = db_;
  ctx.query_start_ms = start_ms_;
  ctx.query_end_ms = end_ms_;
  ctx.deadline = absl::Now() + options_.timeout;
  ctx.cancelled = &cancelled_;
  const internal::StepRange steps =
      is_range_ ? internal::StepRange::Make(start_ms_, end_ms_, step_ms_)
                : internal::StepRange::Make(start_ms_, start_ms_, 1);
  internal::Evaluator ev(&ctx, steps);
  ASSIGN_OR_RETURN(internal::Evaluated r, ev.Eval(*expr_));

  if (!is_range_) {
    switch (r.type) {
      case ValueType::kScalar:
        return Value(Scalar{start_ms_, r.scalar[0]});
      case ValueType::kString:
        return Value(String{start_ms_, std::move(r.str)});
      case ValueType::kMatrix:
        return Value(std::move(r.matrix));
      case ValueType::kVector: {
        // The Vector's elements are counted like points while the rows still exist.
        SampleReservation held(&budget);
        RETURN_IF_ERROR(held.Resize(static_cast<int64_t>(r.rows.size())));
        Vector out;
        out.reserve(r.rows.size());
        for (internal::Row& row : r.rows) {
          if (internal::IsAbsent(row.v[0])) continue;
          out.push_back(VectorSample{std::move(row.labels), start_ms_, row.v[0]});
        }
        return Value(std::move(out));
      }
      default:
        return absl::InternalError("expression evaluated to no value");
    }
  }

  // Dense rows become point lists one row at a time: a row's points are reserved before
  // they are built and its cells released right after (a point is one sample, 16 B).
  Matrix out;
  SampleReservation points_held(&budget);
  auto to_points = [&](std::vector<double>* v) -> absl::StatusOr<std::vector<storage::Sample>> {
    std::vector<storage::Sample> pts;
    int64_t present = 0;
    for (double x : *v) present += internal::IsAbsent(x) ? 0 : 1;
    RETURN_IF_ERROR(points_held.Grow(present));
    pts.reserve(static_cast<size_t>(present));
    for (int k = 0; k < steps.n; ++k) {
      if (!internal::IsAbsent((*v)[k])) pts.push_back({steps.T(k), (*v)[k]});
    }
    std::vector<double>().swap(*v);
    RETURN_IF_ERROR(r.held.Resize(r.held.held() - steps.n));
    return pts;
  };
  if (r.type == ValueType::kScalar) {
    ASSIGN_OR_RETURN(std::vector<storage::Sample> pts, to_points(&r.scalar));
    out.push_back(MatrixSeries{storage::Labels(), std::move(pts)});
    return Value(std::move(out));
  }
  if (r.type != ValueType::kVector) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid expression type \"", ValueTypeName(r.type),
                     "\" for range query, must be Scalar or instant Vector"));
  }
  out.reserve(r.rows.size());
  for (internal::Row& row : r.rows) {
    RETURN_IF_ERROR(ctx.CheckInterrupt());
    ASSIGN_OR_RETURN(std::vector<storage::Sample> pts, to_points(&row.v));
    if (pts.empty()) continue;
    out.push_back(MatrixSeries{std::move(row.labels), std::move(pts)});
  }
  std::sort(out.begin(), out.end(), [](const MatrixSeries& a, const MatrixSeries& b) {
    return a.metric < b.metric;
  });
  return Value(std::move(out));
}

absl::StatusOr<std::unique_ptr<Query>> Engine::NewInstantQuery(storage::DB* db,
                                                               absl::string_view query,
                                                               int64_t t_ms) const {
  ASSIGN_OR_RETURN(ExprPtr e, ParseExpr(query));
  return NewInstantQuery(db, std::move(e), t_ms);
}

absl::StatusOr<std::unique_ptr<Query>> Engine::NewRangeQuery(storage::DB* db,
                                                             absl::string_view query,
                                                             int64_t start_ms, int64_t end_ms,
                                                             int64_t step_ms) const {
  ASSIGN_OR_RETURN(ExprPtr e, ParseExpr(query));
  return NewRangeQuery(db, std::move(e), start_ms, end_ms, step_ms);
}

absl::StatusOr<std::unique_ptr<Query>> Engine::NewInstantQuery(storage::DB* db, ExprPtr expr,
                                                               int64_t t_ms) const {
  return std::make_unique<Query>(options_, db, std::move(expr), t_ms, t_ms, 0, false);
}

absl::StatusOr<std::unique_ptr<Query>> Engine::NewRangeQuery(storage::DB* db, ExprPtr expr,
                                                             int64_t start_ms, int64_t end_ms,
                                                             int64_t step_ms) const {
  if (step_ms <= 0) {
    return absl::InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted. Try a positive "
        "integer");
  }
  if (end_ms < start_ms) {
    return absl::InvalidArgumentError("end timestamp must not be before start time");
  }
  // Prometheus compat (api.go queryRange): more than 11,000 steps is rejected.
  if ((end_ms - start_ms) / step_ms > kMaxPointsPerSeries) {
    return absl::InvalidArgumentError(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
        "query resolution (?step=XX)");
  }
  const ValueType t = expr->type();
  if (t != ValueType::kScalar && t != ValueType::kVector) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid expression type \"", ValueTypeName(t),
                     "\" for range query, must be Scalar or instant Vector"));
  }
  return std::make_unique<Query>(options_, db, std::move(expr), start_ms, end_ms, step_ms,
                                 true);
}

}  // namespace tally::promql
