// HttpRequest / HttpResponse: the plain value types handlers see. They carry no Beast types so
// handlers, the router and tests stay independent of the transport. A request is owned by the
// connection and valid for the duration of one handler call; handlers fill the response.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tally::server::http {

// Tells a running handler that its client went away: the server watches the connection
// while the handler runs and fires this when the peer closes it (EOF, also a half-close, or
// a reset), as Go's net/http cancels a request's context. Thread-safe.
class ClientDisconnect {
 public:
  bool fired() const {
    std::lock_guard<std::mutex> l(mu_);
    return fired_;
  }
  // Runs fn once when the client disconnects, on the firing thread, or at once on this
  // thread when it already has. Replaces an earlier callback.
  void OnFire(std::function<void()> fn) {
    std::unique_lock<std::mutex> l(mu_);
    if (fired_) {
      l.unlock();
      fn();
      return;
    }
    fn_ = std::move(fn);
  }
  // Removes the callback; once Clear() returns it is not running and will not run, so
  // what it refers to may be destroyed.
  void Clear() {
    std::lock_guard<std::mutex> l(mu_);
    fn_ = nullptr;
  }
  // Server side: marks the client gone and runs the callback (under the lock, which is
  // what lets Clear() promise the above; callbacks must be short, e.g. Query::Cancel()).
  void Fire() {
    std::lock_guard<std::mutex> l(mu_);
    if (fired_) return;
    fired_ = true;
    if (fn_) fn_();
  }

 private:
  mutable std::mutex mu_;
  bool fired_ = false;
  std::function<void()> fn_;
};

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
  // Set by HttpServer (null for requests built elsewhere, e.g. in tests).
  std::shared_ptr<ClientDisconnect> disconnect;

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
  // For large answers, instead of `body`: the server calls it once, on the handler's thread
  // after the handler returned, and sends what it writes as it comes (HTTP/1.1 chunked,
  // gzip applied incrementally), so the body never exists whole in memory, nor a gzip copy
  // of it. Answers that end within the first 64 KiB go out as a plain body (Content-Length).
  // status, content_type and headers must be final when the handler returns.
  using BodyWrite = std::function<void(absl::string_view)>;
  std::function<void(const BodyWrite& write)> body_writer;
};

using Handler = std::function<void(const HttpRequest&, HttpResponse*)>;

}  // namespace tally::server::http
