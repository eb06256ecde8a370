// /api/v1/query, /api/v1/query_range, /api/v1/format_query: parameter validation with
// Prometheus's exact wording (HTTP_API.md §1-§3), then the PromQL engine.
#include "absl/strings/str_cat.h"
#include "promql/engine.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"
#include "server/api/http_api.h"
#include "server/api/json_builder.h"
#include "server/api/json_writer.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

struct HttpApi::QueryState {
  promql::QueryOptions base;
};

HttpApi::HttpApi(storage::DB* db, SelfMetrics* metrics, ApiOptions options, ApiHooks hooks)
    : db_(db),
      metrics_(metrics),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      start_time_(absl::Now()) {}

HttpApi::~HttpApi() = default;

namespace {

// `timeout` parameter: InvalidArgument wrapped as Prometheus words it.
absl::Status ParseTimeoutParam(const RequestParams& p, absl::Duration* timeout) {
  std::optional<std::string> t = p.Get("timeout");
  if (!t || t->empty()) return absl::OkStatus();
  absl::StatusOr<absl::Duration> d = ParseDurationParam(*t);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid parameter \"timeout\": ", d.status().message()));
  }
  *timeout = std::min(*timeout, *d);
  return absl::OkStatus();
}

}  // namespace

void HttpApi::RegisterQueryRoutes(http::Router* r) {
  query_ = std::make_unique<QueryState>();
  query_gate_ = std::make_unique<QueryGate>(options_.max_concurrency);
  query_->base.lookback_delta = absl::Milliseconds(options_.lookback_delta_ms);
  query_->base.timeout = options_.query_timeout;
  query_->base.max_samples = options_.max_samples;
  for (const char* m : {"GET", "POST"}) {
    r->Handle(m, "/api/v1/query", [this](const HttpRequest& req, HttpResponse* resp) {
      cors_.Apply(req, resp);
      Query(req, resp);
    });
    r->Handle(m, "/api/v1/query_range", [this](const HttpRequest& req, HttpResponse* resp) {
      cors_.Apply(req, resp);
      QueryRange(req, resp);
    });
    r->Handle(m, "/api/v1/format_query", [this](const HttpRequest& req, HttpResponse* resp) {
      cors_.Apply(req, resp);
      FormatQuery(req, resp);
    });
  }
}

void HttpApi::FormatQuery(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(p.GetOr("query"));
  if (!e.ok()) {
    return Error(resp, ErrorType::kBadData,
                 absl::StrCat("invalid parameter \"query\": ", e.status().message()));
  }
  JsonBuilder j;
  j.String(promql::ToString(**e));
  Success(resp, j.str());
}

void HttpApi::Query(const HttpRequest& req, HttpResponse* resp) {
  const absl::Time started = absl::Now();
  RequestParams p(req);
  int64_t t_ms = absl::ToUnixMillis(started);
  if (std::optional<std::string> t = p.Get("time"); t && !t->empty()) {
    absl::StatusOr<int64_t> v = ParseTimeMs(*t);
    if (!v.ok()) {
      return Error(resp, ErrorType::kBadData,
                   absl::StrCat("invalid parameter \"time\": Invalid time value for 'time': ",
                                v.status().message()));
    }
    t_ms = *v;
  }
  absl::Duration timeout = options_.query_timeout;
  if (absl::Status s = ParseTimeoutParam(p, &timeout); !s.ok()) return StatusError(resp, s);
  absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(p.GetOr("query"));
  if (!e.ok()) {
    return Error(resp, ErrorType::kBadData,
                 absl::StrCat("invalid parameter \"query\": ", e.status().message()));
  }
  promql::QueryOptions opts = query_->base;
  opts.timeout = timeout;
  absl::StatusOr<std::unique_ptr<promql::Query>> q =
      promql::Engine(opts).NewInstantQuery(db_, *std::move(e), t_ms);
  if (!q.ok()) return StatusError(resp, q.status());
  RunQuery(req, q->get(), started, timeout, resp);
}

void HttpApi::RunQuery(const HttpRequest& req, promql::Query* q, absl::Time started,
                       absl::Duration timeout, HttpResponse* resp) {
  // Prometheus compat: the engine's query tracker queues queries past
  // --query.max-concurrency until the query's own timeout.
  if (absl::Status st = query_gate_->Acquire(started + timeout, req.disconnect.get()); !st.ok()) {
    return StatusError(resp, st);
  }
  QueryGateSlot slot(query_gate_.get());
  // A client that hangs up no longer holds a worker: its query is cancelled (Prometheus
  // 2.42 evaluates it to the end; docs/compatibility.md).
  if (req.disconnect) req.disconnect->OnFire([q] { q->Cancel(); });
  absl::StatusOr<promql::Value> v = q->Exec();
  if (req.disconnect) req.disconnect->Clear();
  metrics_->ObserveQuery(absl::Now() - started);
  if (!v.ok()) return StatusError(resp, v.status());
  resp->status = 200;
  resp->content_type = "application/json";
  resp->body.clear();
  // Streamed to the socket by the server (chunked, gzip on the fly): a large matrix is never
  // held as JSON text, let alone twice (text + gzip copy).
  auto value = std::make_shared<promql::Value>(*std::move(v));
  resp->body_writer = [value](const HttpResponse::BodyWrite& write) {
    QueryResultWriter w(write);
    w.WriteSuccess(*value);
  };
}

void HttpApi::QueryRange(const HttpRequest& req, HttpResponse* resp) {
  const absl::Time started = absl::Now();
  RequestParams p(req);
  int64_t start_ms = 0, end_ms = 0;
  for (const char* name : {"start", "end"}) {
    absl::StatusOr<int64_t> v = ParseTimeMs(p.GetOr(name));
    if (!v.ok()) {
      return Error(resp, ErrorType::kBadData,
                   absl::StrCat("invalid parameter \"", name, "\": ", v.status().message()));
    }
    (std::string(name) == "start" ? start_ms : end_ms) = *v;
  }
  if (end_ms < start_ms) {
    return Error(resp, ErrorType::kBadData,
                 "invalid parameter \"end\": end timestamp must not be before start time");
  }
  absl::StatusOr<absl::Duration> step = ParseDurationParam(p.GetOr("step"));
  if (!step.ok()) {
    return Error(resp, ErrorType::kBadData,
                 absl::StrCat("invalid parameter \"step\": ", step.status().message()));
  }
  // A step below 1 ms would divide by zero in ms arithmetic; Prometheus 2.42 fails with 422
  // there (HTTP_API.md §2 quirk). Tally rejects it up front with the 400 below instead.
  if (*step < absl::Milliseconds(1)) {
    return Error(resp, ErrorType::kBadData,
                 "invalid parameter \"step\": zero or negative query resolution step widths are "
                 "not accepted. Try a positive integer");
  }
  // Prometheus compat: integer division of nanosecond durations, > 11000 fails (api.go).
  const int64_t span_ns = (end_ms - start_ms) * 1'000'000;
  if (span_ns / absl::ToInt64Nanoseconds(*step) > options_.max_points_per_series) {
    return Error(resp, ErrorType::kBadData,
                 "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing "
                 "the query resolution (?step=XX)");
  }
  absl::Duration timeout = options_.query_timeout;
  if (absl::Status s = ParseTimeoutParam(p, &timeout); !s.ok()) return StatusError(resp, s);
  absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(p.GetOr("query"));
  if (!e.ok()) return Error(resp, ErrorType::kBadData, e.status().message());
  promql::ValueType vt = (*e)->type();
  if (vt != promql::ValueType::kScalar && vt != promql::ValueType::kVector) {
    return Error(resp, ErrorType::kBadData,
                 absl::StrCat("invalid expression type \"", promql::ValueTypeName(vt),
                              "\" for range query, must be Scalar or instant Vector"));
  }
  promql::QueryOptions opts = query_->base;
  opts.timeout = timeout;
  absl::StatusOr<std::unique_ptr<promql::Query>> q = promql::Engine(opts).NewRangeQuery(
      db_, *std::move(e), start_ms, end_ms, absl::ToInt64Milliseconds(*step));
  if (!q.ok()) return StatusError(resp, q.status());
  RunQuery(req, q->get(), started, timeout, resp);
}

}  // namespace tally::server::api
