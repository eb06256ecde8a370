// HttpServer: an asynchronous HTTP/1.1 server on Boost.Beast (Asio). One listener, a pool of
// I/O threads (sized to the cores) running one io_context, one strand per connection.
// Handlers run on a separate worker pool and may block (queries do): a slow query occupies
// a worker, never an I/O thread, so other connections keep being read and written.
//
// Defences against slow or malicious clients: a header-size limit (431), a body-size limit
// (413), a header read timeout (also the keep-alive idle timeout), a body read timeout and a
// write timeout; a timed-out connection is closed without a response. Connections beyond
// max_connections are closed right after accept.
//
// Responses are gzip-compressed when the request's Accept-Encoding allows gzip and the
// response allows it (HttpResponse::allow_gzip).
//
// Lifecycle: Start() binds and spawns the threads; Shutdown() stops accepting, closes idle
// keep-alive connections, lets in-flight requests finish (up to `grace`), then joins. The
// destructor calls Shutdown(). Start/Shutdown are called from one controlling thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/http/http_types.h"

namespace tally::server::http {

struct HttpServerOptions {
  // host:port; port 0 picks an ephemeral port (see port()).
  std::string listen_address = "127.0.0.1:9090";
  int threads = 0;                                // I/O threads; 0: max(2, hardware threads)
  int worker_threads = 0;                         // handler threads; 0: max(4, 2 x hardware)
  size_t max_header_bytes = 64 * 1024;            // Go's net/http default is 1 MiB
  size_t max_body_bytes = 64 * 1024 * 1024;       // remote-write batches stay far below
  absl::Duration header_timeout = absl::Minutes(5);  // also keep-alive idle; Prometheus web.read-timeout
  absl::Duration body_timeout = absl::Minutes(5);
  absl::Duration write_timeout = absl::Minutes(5);
  int max_connections = 4096;                     // Prometheus --web.max-connections is 512
  int gzip_level = 1;                             // fastest: query JSON compresses well anyway
  // --web.config.file (web_config_source.h): TLS, basic auth and response headers, re-read
  // as Prometheus re-reads it. "": plain HTTP, no auth.
  std::string web_config_file;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // InvalidArgument for a malformed listen address or an invalid web config file (its reason
  // as the message); Unavailable when binding fails.
  absl::Status Start();
  // The bound port (after Start()).
  int port() const { return port_; }
  // Idempotent. Returns once every connection is closed or `grace` passed.
  void Shutdown(absl::Duration grace = absl::Seconds(30));

  int64_t open_connections() const;

  struct State;  // shared with connections; defined in the .cc

 private:
  HttpServerOptions options_;
  std::unique_ptr<State> state_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

// Splits "host:port" (IPv6 as "[::1]:9090"). InvalidArgument when malformed.
absl::Status SplitHostPort(const std::string& addr, std::string* host, int* port);

// True when an Accept-Encoding header value admits gzip (token present, q not 0).
bool AcceptsGzip(absl::string_view accept_encoding);
// Gzip-compresses `in` (RFC 1952 framing). Internal error only on zlib failure.
absl::Status GzipCompress(absl::string_view in, int level, std::string* out);

}  // namespace tally::server::http
