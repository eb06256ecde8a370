// Server: `tally serve` as a library. Owns the HTTP server, the router with the API, the
// self-metrics registry, the scrape manager (scrape_configs), the rule manager (recording and alerting rules of the config's
// rule_files, evaluated against the DB) and the current configuration; borrows the DB (the caller opens it
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
#include "rules/local_backend.h"
#include "rules/notifier/notifier.h"
#include "rules/rule_manager.h"
#include "server/api/http_api.h"
#include "server/config/config.h"
#include "server/http/http_server.h"
#include "server/http/router.h"
#include "server/remote/remote_write_manager.h"
#include "server/scrape/scrape_manager.h"
#include "server/self_metrics.h"
#include "server/ui/ui_handler.h"
#include "storage/db.h"

namespace tally::server {

// Rule evaluation settings (Prometheus's --rules.alert.* and --web.external-url flags).
struct RulesOptions {
  absl::Duration resend_delay = absl::Minutes(1);
  absl::Duration outage_tolerance = absl::Hours(1);
  absl::Duration for_grace_period = absl::Minutes(10);
  // $externalURL and the base of generatorURL; "" = http://<hostname>:<listen port>.
  std::string external_url;
};

struct ServerOptions {
  std::string config_file;  // "" = no file: defaults only, reload is a no-op
  http::HttpServerOptions http;
  api::ApiOptions api;
  RulesOptions rules;
  ui::UiOptions ui;  // the web UI's routes (server/ui/ui_handler.h)
  // Where remote_write's durable queue lives (serve: <storage.tsdb.path>/remote_write);
  // "": remote_write of the config is not acted on (a warning is logged).
  std::string remote_write_dir;
  // Scrape workers and test hooks (scrape_manager.h); the ports/seed are filled in by Start.
  scrape::ScrapeManagerOptions scrape;
  // --web.route-prefix as computed by http::RoutePrefix ("/" = none).
  std::string route_prefix = "/";
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

  // Re-reads the config file and reloads the rule files it names (rule_files globs are
  // relative to the config file's directory). On error (unreadable, a directory, invalid
  // config or rules) keeps the old config and rules, sets last_reload_successful to 0 and
  // returns the error, worded as Prometheus's
  // "couldn't load configuration (--config.file=\"f\"): <why>".
  absl::Status Reload();
  std::shared_ptr<const config::Config> config() const;
  int port() const { return http_->port(); }
  SelfMetrics* metrics() { return &metrics_; }
  rules::RuleManager* rule_manager() { return rules_.get(); }
  scrape::ScrapeManager* scrape_manager() { return scrape_.get(); }
  // Stops accepting, finishes in-flight requests (up to `grace`). Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(30));

 private:
  Server(ServerOptions options, storage::DB* db);
  // Loads cfg's rule files into the rule manager (reload keeps unchanged groups' state).
  absl::Status ApplyRules(const config::Config& cfg);
  // Starts/updates remote-write-out (creates the manager on first use).
  absl::Status ApplyRemoteWrite(const config::Config& cfg);

  ServerOptions options_;
  storage::DB* db_;
  SelfMetrics metrics_;
  http::Router router_;
  std::unique_ptr<api::HttpApi> api_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<rules::LocalBackend> rule_backend_;
  std::unique_ptr<rules::RuleManager> rules_;
  std::unique_ptr<rules::Notifier> notifier_;  // alerting.alertmanagers of the config
  std::unique_ptr<remote::RemoteWriteManager> remote_write_;  // remote_write of the config
  std::unique_ptr<scrape::ScrapeManager> scrape_;  // scrape_configs of the config
  std::string external_url_;

  absl::Mutex reload_mu_;  // serialises Reload() (SIGHUP and /-/reload may race)
  mutable absl::Mutex mu_;
  std::shared_ptr<const config::Config> config_ ABSL_GUARDED_BY(mu_);
  absl::Time config_time_ ABSL_GUARDED_BY(mu_);
  bool last_reload_ok_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace tally::server
