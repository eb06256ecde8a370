// Server: `tally serve` as a library. Owns the HTTP server, the router with the API, the
// self-metrics registry and the current configuration; borrows the DB (the caller opens it
// and flushes/closes it after Shutdown()).
//
//   ASSIGN_OR_RETURN(auto srv, Server::Start(options, db.get()));
//   ... SIGHUP -> srv->Reload(); SIGTERM -> srv->Shutdown(); db->Flush();
//
// Thread-safety: Reload() and config() may be called from any thread (also concurrently
// with requests); Start/Shutdown from one controlling thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/api/http_api.h"
#include "server/config/config.h"
#include "server/http/http_server.h"
#include "server/http/router.h"
#include "server/self_metrics.h"
#include "storage/db.h"

namespace tally::server {

struct ServerOptions {
  std::string config_file;  // "" = no file: defaults only, reload is a no-op
  http::HttpServerOptions http;
  api::ApiOptions api;
  // POST /-/quit (with api.enable_lifecycle): asks the owner to shut down. Called on an HTTP
  // worker thread; it must not call Shutdown() itself (that waits for the calling request).
  std::function<void()> on_quit;
};

class Server {
 public:
  // Loads the config (its error is returned as is, worded like Prometheus), then binds and
  // serves. InvalidArgument for an api.cors_origin that does not compile. REQUIRES: db
  // outlives the Server.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options, storage::DB* db);
  ~Server();

  // Re-reads the config file; on error (unreadable, a directory, invalid) keeps the old
  // config, sets last_reload_successful to 0 and returns the error, worded as Prometheus's
  // "couldn't load configuration (--config.file=\"f\"): <why>".
  absl::Status Reload();
  std::shared_ptr<const config::Config> config() const;
  int port() const { return http_->port(); }
  SelfMetrics* metrics() { return &metrics_; }
  // Stops accepting, finishes in-flight requests (up to `grace`). Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(30));

 private:
  Server(ServerOptions options, storage::DB* db);

  ServerOptions options_;
  storage::DB* db_;
  SelfMetrics metrics_;
  http::Router router_;
  std::unique_ptr<api::HttpApi> api_;
  std::unique_ptr<http::HttpServer> http_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const config::Config> config_ ABSL_GUARDED_BY(mu_);
  absl::Time config_time_ ABSL_GUARDED_BY(mu_);
  bool last_reload_ok_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace tally::server
