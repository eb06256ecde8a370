// HttpClient: a small synchronous HTTP/1.1 client on Boost.Beast for Tally's outgoing
// requests: the Alertmanager notifier, the remote evaluation backend (query API + remote
// write), remote write out and scraping. http:// and https:// (OpenSSL through Asio), with
// Prometheus's tls_config, basic_auth and authorization options (HttpClientOptions).
//
// Every call is bounded: name resolution + connect (+ TLS handshake) by
// min(connect_timeout, the call's deadline), and the whole exchange (connect, write, read)
// by the call's timeout, so a peer that accepts and then stalls costs at most `timeout`.
// Response headers are limited to max_header_bytes and bodies to max_response_bytes; a
// larger response fails with ResourceExhausted and its connection is closed.
//
// Keep-alive: after a complete response whose connection may be reused, the connection
// goes back to a per-host pool (at most max_idle_per_host, idle at most idle_timeout).
// A pooled connection can have been closed by the server meanwhile; when a request on a
// reused connection fails before any response byte arrives, it is sent once more on a fresh
// connection (as Go's net/http does). The callers here only send requests that are safe to
// repeat (queries; alert posts and remote-write batches, which the receivers deduplicate).
//
// Results: any complete HTTP response is OK, whatever its status (callers decide what a
// 4xx/5xx means). Failures: DeadlineExceeded when the deadline passed, Unavailable for
// resolution/connect/TLS/reset/EOF errors, ResourceExhausted for an oversized response,
// InvalidArgument for a malformed URL or unusable TLS files, FailedPrecondition when a
// credentials file cannot be read.
//
// Thread-safety: Do/Get/Post may be called from any number of threads at once; each
// call uses its own connection (taken from the pool or new). Destruction while a call is
// in flight is not allowed.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rules/client/http_url.h"

namespace tally::rules {

// Prometheus's tls_config for https:// requests (prometheus/common config.TLSConfig).
struct TlsClientOptions {
  std::string ca_file;               // PEM CAs to trust; "" = the system's
  std::string cert_file, key_file;   // client certificate: both or neither
  std::string server_name;           // SNI and the name verified; "" = the URL's host
  bool insecure_skip_verify = false;
  // "TLS10" .. "TLS13"; "" = TLS 1.2, Go's client default.
  std::string min_version;
  friend bool operator==(const TlsClientOptions&, const TlsClientOptions&) = default;
};

// Credentials sent with every request (basic_auth, or authorization / bearer_token). The
// files are read at each request, trimmed of surrounding whitespace, as Prometheus does, so
// a rotated secret applies without a reload. A request that carries its own Authorization
// header keeps it.
struct HttpAuthOptions {
  bool basic = false;
  std::string username, password, password_file;
  std::string type;  // authorization type, "Bearer"; "" = no authorization header
  std::string credentials, credentials_file;
  friend bool operator==(const HttpAuthOptions&, const HttpAuthOptions&) = default;
};

// Checks that the TLS files load (CA bundle, certificate and key match) and the version is
// known; InvalidArgument worded as Prometheus 2.42 (`unable to load specified CA cert
// /x: ...`). HttpClient runs the same checks at its first https request.
absl::Status ValidateTlsClientOptions(const TlsClientOptions& tls);

struct HttpClientOptions {
  TlsClientOptions tls;
  HttpAuthOptions auth;
  absl::Duration connect_timeout = absl::Seconds(10);
  // Default deadline of a whole call, when the request gives none.
  absl::Duration timeout = absl::Seconds(30);
  size_t max_header_bytes = 64 * 1024;
  // Query results and Alertmanager replies are small; a runaway peer must not OOM us.
  size_t max_response_bytes = 64 * 1024 * 1024;
  // 0 disables keep-alive reuse (every call opens and closes its connection).
  size_t max_idle_per_host = 4;
  // Prometheus's HTTP clients keep idle connections for 5 minutes (common/config).
  absl::Duration idle_timeout = absl::Minutes(5);
  std::string user_agent = "Tally";
};

struct HttpClientRequest {
  std::string method = "GET";
  // Extra headers; Host, User-Agent and Content-Length are set by the client.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Deadline of this call; InfiniteFuture means now + options.timeout.
  absl::Time deadline = absl::InfiniteFuture();
};

struct HttpClientResponse {
  int status = 0;
  std::string reason;  // "Internal Server Error"
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  // First header with that lowercase name; "" when absent.
  absl::string_view Header(absl::string_view lower_name) const;
  // "500 Internal Server Error", as Go's resp.Status prints it.
  std::string StatusText() const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  absl::StatusOr<HttpClientResponse> Do(const HttpUrl& url, const HttpClientRequest& request);

  // Conveniences: parse `url`, then Do().
  absl::StatusOr<HttpClientResponse> Get(absl::string_view url,
                                         absl::Time deadline = absl::InfiniteFuture());
  absl::StatusOr<HttpClientResponse> Post(absl::string_view url, absl::string_view content_type,
                                          std::string body,
                                          absl::Time deadline = absl::InfiniteFuture());

  const HttpClientOptions& options() const { return options_; }
  // Connections opened so far (for tests of keep-alive reuse).
  int64_t connections_opened() const;

 private:
  struct Pool;
  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

// Backoff for retry loops of the callers: min(max, initial * 2^attempt), attempt from 0.
absl::Duration RetryBackoff(int attempt, absl::Duration initial = absl::Milliseconds(100),
                            absl::Duration max = absl::Seconds(2));

}  // namespace tally::rules
