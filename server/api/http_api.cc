#include "server/api/http_api.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "promql/parser/parser.h"
#include "server/api/json_builder.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

void HttpApi::Success(HttpResponse* resp, absl::string_view data_json) {
  resp->status = 200;
  resp->content_type = "application/json";
  resp->body.clear();
  resp->body.reserve(data_json.size() + 32);
  absl::StrAppend(&resp->body, "{\"status\":\"success\",\"data\":", data_json, "}");
}

void HttpApi::Error(HttpResponse* resp, ErrorType type, absl::string_view msg, int http_status) {
  resp->status = http_status != 0 ? http_status : DefaultHttpStatus(type);
  resp->content_type = "application/json";
  resp->body = ErrorBody(type, msg);
}

void HttpApi::StatusError(HttpResponse* resp, const absl::Status& s) {
  ApiErrorInfo info = ClassifyStatus(s);
  Error(resp, info.type, s.message(), info.http_status);
}

absl::StatusOr<std::vector<storage::Matchers>> HttpApi::ParseMatches(
    const std::vector<std::string>& values, bool wrap) {
  std::vector<storage::Matchers> out;
  for (const std::string& v : values) {
    absl::StatusOr<storage::Matchers> m = promql::ParseMetricSelector(v);
    if (!m.ok()) {
      std::string msg(m.status().message());
      // Prometheus compat: api.go words an all-empty selector in match[] its own way.
      if (absl::StrContains(msg, "at least one non-empty matcher")) {
        msg = "match[] must contain at least one non-empty matcher";
      }
      return absl::InvalidArgumentError(
          wrap ? absl::StrCat("invalid parameter \"match[]\": ", msg) : msg);
    }
    // Prometheus compat: api.go parseMatchersParam rejects a set whose matchers all match
    // the empty string, with its own wording.
    bool non_empty = false;
    for (const storage::Matcher& x : *m) non_empty = non_empty || !x.MatchesEmpty();
    if (!non_empty) {
      const char* msg = "match[] must contain at least one non-empty matcher";
      return absl::InvalidArgumentError(
          wrap ? absl::StrCat("invalid parameter \"match[]\": ", msg) : msg);
    }
    out.push_back(*std::move(m));
  }
  return out;
}

absl::Status HttpApi::ParseRange(const RequestParams& p, int64_t* start_ms, int64_t* end_ms) {
  *start_ms = kApiMinTimeMs;
  *end_ms = kApiMaxTimeMs;
  for (const char* name : {"start", "end"}) {
    std::optional<std::string> v = p.Get(name);
    if (!v || v->empty()) continue;
    absl::StatusOr<int64_t> t = ParseTimeMs(*v);
    if (!t.ok()) {
      // Prometheus compat: api.go parseTimeParam adds "Invalid time value for '<name>': ".
      return absl::InvalidArgumentError(absl::StrCat("invalid parameter \"", name,
                                                     "\": Invalid time value for '", name,
                                                     "': ", t.status().message()));
    }
    (std::string(name) == "start" ? *start_ms : *end_ms) = *t;
  }
  return absl::OkStatus();
}

void HttpApi::Register(http::Router* r) {
  auto bind = [this](void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
    return [this, fn](const HttpRequest& req, HttpResponse* resp) {
      // Prometheus compat: CORS headers when the request carries an Origin (api.go).
      if (!req.Header("origin").empty()) {
        resp->headers.emplace_back("Access-Control-Allow-Origin", "*");
        resp->headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        resp->headers.emplace_back("Access-Control-Allow-Headers",
                                   "Accept, Authorization, Content-Type, Origin");
        resp->headers.emplace_back("Access-Control-Expose-Headers", "Date");
        resp->headers.emplace_back("Vary", "Origin");
      }
      (this->*fn)(req, resp);
    };
  };
  auto get_post = [&](const char* path, void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
    r->Handle("GET", path, bind(fn));
    r->Handle("POST", path, bind(fn));
  };
  auto get = [&](const char* path, void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
    r->Handle("GET", path, bind(fn));
  };

  get_post("/api/v1/series", &HttpApi::Series);
  get_post("/api/v1/labels", &HttpApi::Labels);
  get("/api/v1/label/{name}/values", &HttpApi::LabelValues);
  get("/api/v1/metadata", &HttpApi::Metadata);
  get_post("/api/v1/query_exemplars", &HttpApi::QueryExemplars);
  get("/api/v1/status/buildinfo", &HttpApi::BuildInfo);
  get("/api/v1/status/config", &HttpApi::StatusConfig);
  get("/api/v1/status/flags", &HttpApi::StatusFlags);
  get("/api/v1/status/runtimeinfo", &HttpApi::RuntimeInfo);
  get("/api/v1/status/tsdb", &HttpApi::TsdbStatus);
  get("/api/v1/rules", &HttpApi::Rules);
  r->Handle("GET", "/api/v1/alerts", [](const HttpRequest&, HttpResponse* resp) {
    Success(resp, "{\"alerts\":[]}");  // empty until alerting rules exist (a later issue)
  });
  r->Handle("GET", "/api/v1/targets", [](const HttpRequest&, HttpResponse* resp) {
    Success(resp, "{\"activeTargets\":[],\"droppedTargets\":[]}");
  });
  r->Handle("GET", "/api/v1/targets/metadata",
            [](const HttpRequest&, HttpResponse* resp) { Success(resp, "[]"); });
  r->Handle("GET", "/api/v1/alertmanagers", [](const HttpRequest&, HttpResponse* resp) {
    Success(resp, "{\"activeAlertmanagers\":[],\"droppedAlertmanagers\":[]}");
  });
  r->Handle("GET", "/api/v1/status/walreplay", [](const HttpRequest&, HttpResponse* resp) {
    Success(resp, "{\"min\":0,\"max\":0,\"current\":0}");
  });
  r->Handle("POST", "/api/v1/write", bind(&HttpApi::RemoteWrite));
  r->Handle("GET", "/federate", bind(&HttpApi::Federate));
  r->Handle("GET", "/metrics", bind(&HttpApi::Metrics));
  RegisterQueryRoutes(r);

  // Prometheus compat: OPTIONS on any API path answers 204 with no body.
  for (const char* p :
       {"/api/v1/query", "/api/v1/query_range", "/api/v1/format_query", "/api/v1/series",
        "/api/v1/labels", "/api/v1/label/{name}/values", "/api/v1/metadata",
        "/api/v1/query_exemplars", "/api/v1/rules", "/api/v1/alerts"}) {
    r->Handle("OPTIONS", p, [](const HttpRequest& req, HttpResponse* resp) {
      resp->status = 204;
      if (!req.Header("origin").empty()) {
        resp->headers.emplace_back("Access-Control-Allow-Origin", "*");
        resp->headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      }
    });
  }

  auto text = [](int code, std::string body) {
    return [code, body](const HttpRequest&, HttpResponse* resp) {
      resp->status = code;
      resp->content_type = "text/plain; charset=utf-8";
      resp->body = body;
    };
  };
  for (const char* m : {"GET", "HEAD"}) {
    r->Handle(m, "/-/healthy", text(200, "Tally Server is Healthy.\n"));
    r->Handle(m, "/-/ready", [this](const HttpRequest&, HttpResponse* resp) {
      resp->content_type = "text/plain; charset=utf-8";
      if (!hooks_.ready || hooks_.ready()) {
        resp->body = "Tally Server is Ready.\n";
        // Still ready: queries work. The body and tally_storage_read_only say why writes
        // are refused (503) until the storage recovers.
        if (const storage::WriteHealth h =
                db_ != nullptr ? db_->GetWriteHealth() : storage::WriteHealth{};
            !h.writable) {
          absl::StrAppend(&resp->body, "Storage is read-only: ", h.reason,
                          "\nWrites are refused with 503 until it recovers.\n");
        }
      } else {
        resp->status = 503;
        resp->body = "Service Unavailable\n";
      }
    });
  }
  r->Handle("POST", "/-/reload", bind(&HttpApi::Reload));
  r->Handle("PUT", "/-/reload", bind(&HttpApi::Reload));
}

}  // namespace tally::server::api
