// Engine: evaluates PromQL expressions against a storage::DB with Prometheus 2.42's
// semantics for float samples. An Engine holds only options and is thread-safe; each Query
// is used by one thread at a time, except Cancel(), which any thread may call.
//
//   promql::Engine engine(promql::QueryOptions{});
//   ASSIGN_OR_RETURN(auto q, engine.NewRangeQuery(db, "sum(rate(x[5m]))", start, end, step));
//   ASSIGN_OR_RETURN(promql::Value v, q->Exec());
//
// Error codes (server/api/api_error.h maps them to Prometheus's errorType):
//   InvalidArgument    parse/type errors, bad range-query parameters (bad_data)
//   FailedPrecondition evaluation errors: duplicate label sets, many-to-many matching,
//                      invalid label_replace regex, bad topk parameter, ... (execution)
//   ResourceExhausted  "query processing would load too many samples into memory in query
//                      execution" (execution)
//   DeadlineExceeded   "query timed out in query execution" (timeout)
//   Cancelled          "query was canceled in query execution" (canceled)
//   DataLoss/Internal  storage failures (internal)
// Messages use Prometheus's wording, without position prefixes for evaluation errors.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "promql/parser/ast.h"
#include "promql/value.h"
#include "storage/db.h"

namespace tally::promql {

struct QueryOptions {
  // --query.lookback-delta: how far back an instant selector looks for a sample.
  absl::Duration lookback_delta = absl::Minutes(5);
  // --query.timeout: wall-clock limit of one Exec(); checked between steps and series.
  absl::Duration timeout = absl::Minutes(2);
  // --query.max-samples: samples one query may hold in memory at once.
  int64_t max_samples = 50'000'000;
  // Step of subqueries written without one (`x[1h:]`); Prometheus uses the global
  // evaluation_interval (default 1m).
  int64_t default_subquery_step_ms = 60'000;
  // Evaluate independent series in parallel (oneTBB) when the work is large enough.
  bool parallel = true;
};

// Prometheus compat: /api/v1/query_range rejects more than 11,000 points per series.
inline constexpr int64_t kMaxPointsPerSeries = 11'000;

class Query {
 public:
  Query(const QueryOptions& options, storage::DB* db, ExprPtr expr, int64_t start_ms,
        int64_t end_ms, int64_t step_ms, bool is_range);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // Runs the query. Instant query: the expression's own type (a range-vector expression
  // gives a Matrix of raw samples). Range query: a Matrix sorted by labels, one point per
  // step where the series has a value (a scalar expression becomes one series `{}`).
  absl::StatusOr<Value> Exec();
  // Makes a running or future Exec() fail with Cancelled. Thread-safe.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }

  const Expr& expr() const { return *expr_; }

 private:
  QueryOptions options_;
  storage::DB* db_;
  ExprPtr expr_;
  int64_t start_ms_, end_ms_, step_ms_;
  bool is_range_;
  std::atomic<bool> cancelled_{false};
};

class Engine {
 public:
  explicit Engine(QueryOptions options = {}) : options_(options) {}

  const QueryOptions& options() const { return options_; }

  // Parses `query` (InvalidArgument with the parser's positioned message on failure).
  // `db` must outlive the Query.
  absl::StatusOr<std::unique_ptr<Query>> NewInstantQuery(storage::DB* db,
                                                         absl::string_view query,
                                                         int64_t t_ms) const;
  // InvalidArgument when step_ms <= 0, end < start, more than kMaxPointsPerSeries steps
  // (Prometheus's "exceeded maximum resolution of 11,000 points per timeseries. Try
  // decreasing the query resolution (?step=XX)") or the expression is not a scalar or
  // instant vector ("invalid expression type \"range vector\" for range query, must be
  // Scalar or instant Vector").
  absl::StatusOr<std::unique_ptr<Query>> NewRangeQuery(storage::DB* db, absl::string_view query,
                                                       int64_t start_ms, int64_t end_ms,
                                                       int64_t step_ms) const;

  // The same for an already parsed (and type-checked) expression; takes ownership.
  absl::StatusOr<std::unique_ptr<Query>> NewInstantQuery(storage::DB* db, ExprPtr expr,
                                                         int64_t t_ms) const;
  absl::StatusOr<std::unique_ptr<Query>> NewRangeQuery(storage::DB* db, ExprPtr expr,
                                                       int64_t start_ms, int64_t end_ms,
                                                       int64_t step_ms) const;

 private:
  QueryOptions options_;
};

}  // namespace tally::promql
