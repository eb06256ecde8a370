// Router: method + path pattern -> handler. Patterns are '/'-separated; a segment written
// "{name}" matches any one non-empty segment and is exposed via HttpRequest::PathParam.
// Register all routes before serving; Dispatch() is then thread-safe (read-only).
//
// Prometheus compat (HTTP_API.md §0): an unknown path answers 404 text/plain
// "404 page not found"; a known path with another method answers 405 "Method Not Allowed".
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/http/http_types.h"

namespace tally::server::http {

class Router {
 public:
  // REQUIRES: not called concurrently with Dispatch().
  void Handle(absl::string_view method, absl::string_view pattern, Handler handler);
  // A handler for every path under `prefix` (e.g. "/api/v1/") with that method, consulted
  // only when no Handle() route matches path and method; it does not make a path "known"
  // for the 404/405 choice. REQUIRES: not called concurrently with Dispatch().
  void HandlePrefix(absl::string_view method, absl::string_view prefix, Handler handler);
  // Finds the route, fills req->path_params and resp->handler_name, and runs the handler.
  void Dispatch(HttpRequest* req, HttpResponse* resp) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  static bool Match(const Route& r, const std::vector<absl::string_view>& segs,
                    std::vector<std::pair<std::string, std::string>>* params);
  std::vector<Route> routes_;
  std::vector<Route> prefix_routes_;  // pattern = the prefix
};

}  // namespace tally::server::http
