// --web.route-prefix: every route is served under the prefix, as Prometheus 2.42 does (its
// default is the path of --web.external-url). Outside the prefix: "/" redirects (302) to
// the prefix, the prefix itself redirects (301) to "<prefix>/", anything else is 404.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "server/http/http_types.h"

namespace tally::server::http {

// Prometheus compat: main.go computeExternalURL and the route prefix defaulting:
// "/" + the prefix (or the external URL's path) without surrounding slashes; "/" when both
// are empty. InvalidArgument for an external URL that is not http(s)://host[/path].
absl::StatusOr<std::string> RoutePrefix(const std::string& route_prefix,
                                        const std::string& external_url);

// For prefix != "/": strips the prefix from req->path and req->target and returns true, or
// fills `resp` (redirect or 404) and returns false.
bool StripRoutePrefix(const std::string& prefix, HttpRequest* req, HttpResponse* resp);

}  // namespace tally::server::http
