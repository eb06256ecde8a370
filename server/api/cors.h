// CorsPolicy: the Access-Control-* headers of Prometheus's API (--web.cors.origin).
//
// Prometheus compat (util/httputil/cors.go, checked against 2.42 on loopback): only requests
// that carry an Origin header get CORS headers; they always get Allow-Headers, Allow-Methods,
// Expose-Headers and Vary; Access-Control-Allow-Origin is "*" when the pattern is the
// default ".*", the request's own Origin when it matches the fully anchored pattern, and
// absent otherwise. The API routes (/api/v1/* except the remote-write receiver) apply it;
// /metrics, /federate, /api/v1/write and /-/* do not, as in Prometheus.
//
// Immutable after Make(); Apply() is thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/http/http_types.h"

namespace re2 {
class RE2;
}

namespace tally::server::api {

inline constexpr char kDefaultCorsOrigin[] = ".*";

class CorsPolicy {
 public:
  CorsPolicy() = default;  // the default pattern: any origin, answered with "*"
  // `origin_regex` is anchored as ^(?:regex)$. InvalidArgument, worded as Prometheus's
  // start-up error, when it does not compile.
  static absl::StatusOr<CorsPolicy> Make(const std::string& origin_regex);
  // Adds the headers to `resp` when `req` has an Origin header.
  void Apply(const http::HttpRequest& req, http::HttpResponse* resp) const;

 private:
  std::shared_ptr<const re2::RE2> re_;  // null: the default, any origin ("*")
};

}  // namespace tally::server::api
