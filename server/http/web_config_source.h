// WebConfigSource: the --web.config.file as the HTTP server uses it, re-read as
// exporter-toolkit (Prometheus 2.42) re-reads it: the TLS settings and certificate files at
// every new connection (so a renewed certificate is served without a restart) and the users
// and headers at every request. Tally re-parses only when the config file or one of the
// files it names changed (device, inode, size, mtime), which is what re-reading every time
// observes. SIGHUP is not needed and does not matter (Prometheus's SIGHUP does not touch it
// either).
//
// Whether the listener speaks TLS is fixed at Open(), as in exporter-toolkit: a file that
// later drops its tls_server_config (or becomes invalid) fails new TLS handshakes and
// answers requests 500 until it is fixed; it never downgrades to plain HTTP.
//
// Thread-safe: Current() and Authorize() are called from any I/O or worker thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "server/http/basic_auth.h"
#include "server/http/http_types.h"
#include "server/http/web_config.h"

namespace tally::server::http {

// Full validation as Prometheus does at start-up (users, headers, TLS files and settings).
// OK for "" (no file). The error is the bare reason ("missing key_file").
absl::Status ValidateWebConfigFile(const std::string& path);

class WebConfigSource {
 public:
  struct Snapshot {
    WebConfig config;
    std::shared_ptr<boost::asio::ssl::context> ssl;  // null when TLS is off
  };

  // Loads and validates `path`; the error as ValidateWebConfigFile's.
  static absl::StatusOr<std::unique_ptr<WebConfigSource>> Open(const std::string& path);

  bool tls() const { return tls_; }
  // The current config, re-read when a file changed; the error when it no longer loads.
  absl::StatusOr<std::shared_ptr<const Snapshot>> Current();

  // Runs `handler` if the request may pass: adds the configured headers, answers 500 when
  // the file does not load, and 401 with "WWW-Authenticate: Basic" when users are configured
  // and the credentials are missing or wrong (body and headers as 2.42's).
  void Serve(const HttpRequest& req, HttpResponse* resp, const Handler& handler);

 private:
  explicit WebConfigSource(std::string path) : path_(std::move(path)) {}
  // A fingerprint of the config file and the files it names.
  std::string Fingerprint(const WebConfig* cfg) const;

  const std::string path_;
  bool tls_ = false;
  BasicAuthenticator auth_;
  std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;  // guarded by mu_
  std::string fingerprint_;                  // guarded by mu_
  absl::Status last_error_;                  // guarded by mu_; when current_ is null
};

}  // namespace tally::server::http
