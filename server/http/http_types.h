// HttpRequest / HttpResponse: the plain value types handlers see. They carry no Beast types so
// handlers, the router and tests stay independent of the transport. A request is owned by the
// connection and valid for the duration of one handler call; handlers fill the response.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tally::server::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // raw request target: "/api/v1/query?query=up"
  std::string path;    // target up to '?', not percent-decoded
  std::string query;   // raw query string after '?', "" when absent
  // Header names lowercased; in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Filled by the router for pattern segments such as /api/v1/label/{name}/values.
  std::vector<std::pair<std::string, std::string>> path_params;
  std::string remote_address;

  // First header with that (lowercase) name; "" when absent.
  absl::string_view Header(absl::string_view lower_name) const;
  absl::string_view PathParam(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";  // "": no Content-Type header
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Set for bodies that must not be compressed (already compressed payloads, 204s).
  bool allow_gzip = true;
  // The handler name for request metrics ("/api/v1/query"); the router sets it to the
  // matched pattern.
  std::string handler_name;
};

using Handler = std::function<void(const HttpRequest&, HttpResponse*)>;

}  // namespace tally::server::http
