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
  absl::StatusOr<CorsPolicy> cors = CorsPolicy::Make(options_.cors_origin);
  // Unreachable when Server::Start validated the flag; fail closed (an empty Origin never
  // gets CORS headers, so "^(?:)$" allows nothing).
  cors_ = cors.ok() ? *std::move(cors) : *CorsPolicy::Make("");
  auto api = [this](void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
    return [this, fn](const HttpRequest& req, HttpResponse* resp) {
      cors_.Apply(req, resp);
      (this->*fn)(req, resp);
    };
  };
  auto plain = [this](void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
    return [this, fn](const HttpRequest& req, HttpResponse* resp) { (this->*fn)(req, resp); };
  };
  auto get_post = [&](const char* path, void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
    r->Handle("GET", path, api(fn));
    r->Handle("POST", path, api(fn));
  };
  auto get = [&](const char* path, void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
    r->Handle("GET", path, api(fn));
  };
  auto get_const = [&](const char* path, const char* data) {
    r->Handle("GET", path, [this, data](const HttpRequest& req, HttpResponse* resp) {
      cors_.Apply(req, resp);
      Success(resp, data);
    });
  };

  RegisterAdminRoutes(r);
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
  get("/api/v1/alerts", &HttpApi::Alerts);
  get("/api/v1/targets", &HttpApi::Targets);
  get("/api/v1/targets/metadata", &HttpApi::TargetsMetadata);
  r->Handle("GET", "/api/v1/alertmanagers", [this](const HttpRequest& req, HttpResponse* resp) {
    cors_.Apply(req, resp);
    JsonBuilder j;
    j.Raw("{\"activeAlertmanagers\":[");
    bool first = true;
    for (const std::string& u : hooks_.alertmanagers ? hooks_.alertmanagers()
                                                     : std::vector<std::string>{}) {
      j.Raw(first ? "{\"url\":" : ",{\"url\":").String(u).Raw("}");
      first = false;
    }
    j.Raw("],\"droppedAlertmanagers\":[]}");
    Success(resp, j.str());
  });
  get_const("/api/v1/status/walreplay", "{\"min\":0,\"max\":0,\"current\":0}");
  // Prometheus compat: the remote-write receiver, /federate and /metrics are not API
  // functions in Prometheus and carry no CORS headers.
  r->Handle("POST", "/api/v1/write", plain(&HttpApi::RemoteWrite));
  r->Handle("POST", "/api/v1/read", plain(&HttpApi::RemoteRead));
  r->Handle("GET", "/federate", plain(&HttpApi::Federate));
  r->Handle("GET", "/metrics", plain(&HttpApi::Metrics));
  RegisterQueryRoutes(r);  // applies cors_ too

  // Prometheus compat: OPTIONS on any /api/v1/ path (the router's /*path), known or not,
  // answers 204 with no body and the CORS headers.
  r->HandlePrefix("OPTIONS", "/api/v1/", [this](const HttpRequest& req, HttpResponse* resp) {
    cors_.Apply(req, resp);
    resp->status = 204;
    resp->content_type.clear();
    resp->allow_gzip = false;
  });

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
  RegisterLifecycle(r, "/-/reload", &HttpApi::Reload);
  RegisterLifecycle(r, "/-/quit", &HttpApi::Quit);
}

void HttpApi::RegisterLifecycle(http::Router* r, const char* path,
                                void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
  // Prometheus compat (web.go, checked against 2.42): POST and PUT only, else 405 "Only
  // POST or PUT requests allowed"; without --web.enable-lifecycle 403 "Lifecycle API is not
  // enabled." (neither body ends in a newline).
  for (const char* m : {"POST", "PUT"}) {
    r->Handle(m, path, [this, fn](const HttpRequest& req, HttpResponse* resp) {
      resp->content_type = "text/plain; charset=utf-8";
      if (!options_.enable_lifecycle) {
        resp->status = 403;
        resp->body = "Lifecycle API is not enabled.";
        return;
      }
      (this->*fn)(req, resp);
    });
  }
  for (const char* m : {"GET", "HEAD", "DELETE", "PATCH", "OPTIONS"}) {
    r->Handle(m, path, [](const HttpRequest&, HttpResponse* resp) {
      resp->status = 405;
      resp->content_type = "text/plain; charset=utf-8";
      resp->body = "Only POST or PUT requests allowed";
    });
  }
}

}  // namespace tally::server::api
