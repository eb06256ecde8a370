// HttpApi: the Prometheus-compatible HTTP API (/api/v1/*, /federate, /metrics, /-/*) on top
// of a storage::DB. Register() installs every route on a Router; each handler parses its
// parameters (params.h), calls storage or the PromQL engine, and answers with Prometheus's
// JSON envelope, errorType and status code (api_error.h, HTTP_API.md).
//
// Threading: handlers run concurrently on the HTTP server's threads; HttpApi holds no mutable
// state of its own (metrics and config live behind thread-safe hooks). The DB, metrics and
// hooks must outlive the HttpApi.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/api/api_error.h"
#include "server/api/cors.h"
#include "server/api/params.h"
#include "server/api/query_gate.h"
#include "server/config/config.h"
#include "server/http/router.h"
#include "server/self_metrics.h"
#include "storage/db.h"
#include "storage/ingest/remote_write.h"
#include "storage/model/matcher.h"

namespace tally::promql {
class Query;
}
namespace tally::rules {
class RuleManager;
}
namespace tally::server::scrape {
class ScrapeManager;
}

namespace tally::server::api {

struct ApiOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;   // --query.lookback-delta
  absl::Duration query_timeout = absl::Minutes(2);  // --query.timeout
  int64_t max_samples = 50'000'000;            // --query.max-samples
  // Prometheus compat: at most 11,000 points per series in a range query (api.go).
  int64_t max_points_per_series = 11'000;
  std::string retention = "15d";               // shown by status/runtimeinfo
  // --web.enable-lifecycle: POST/PUT /-/reload and /-/quit answer 403 without it, as in
  // Prometheus (SIGHUP reloads either way).
  bool enable_lifecycle = false;
  // --remote-write.* flags: request size and count limits, per-series label limits.
  storage::RemoteWriteLimits remote_write_limits;
  // --storage.remote.read-sample-limit (0: none), --storage.remote.read-concurrent-limit
  // (0: none), --storage.remote.read-max-bytes-in-frame (accepted; Tally answers remote read
  // with the SAMPLES type only, which has no frames): server/api/remote_read_handler.cc.
  int64_t remote_read_sample_limit = 50'000'000;
  int64_t remote_read_concurrent_limit = 10;
  int64_t remote_read_max_bytes_in_frame = 1'048'576;
  // --web.cors.origin (cors.h). REQUIRES: compiles (CorsPolicy::Make); Server::Start checks.
  std::string cors_origin = ".*";
  // --web.enable-admin-api: /api/v1/admin/tsdb/* act only with it (admin_handlers.cc).
  bool enable_admin_api = false;
  // --storage.tsdb.path: snapshots go to <data_dir>/snapshots/.
  std::string data_dir = "data/";
  // --query.max-concurrency: queries beyond it wait for a slot, up to their timeout.
  int max_concurrency = 20;
  // Every command-line flag and its value (status/flags), name without dashes.
  std::vector<std::pair<std::string, std::string>> flags;
};

// What the API needs from the owning server. All callbacks are thread-safe.
struct ApiHooks {
  std::function<std::shared_ptr<const config::Config>()> config;
  std::function<absl::Status()> reload;          // POST /-/reload
  std::function<void()> quit;                    // POST /-/quit, after the answer is built
  std::function<bool()> ready;                   // /-/ready
  std::function<absl::Time()> last_config_time;  // status/runtimeinfo
  std::function<bool()> last_reload_ok;
  // The rule manager behind /api/v1/rules and /api/v1/alerts; unset or null: no rules.
  std::function<rules::RuleManager*()> rules;
  // Alertmanager endpoints alerts are posted to (/api/v1/alertmanagers); unset: none.
  std::function<std::vector<std::string>()> alertmanagers;
  // The scrape manager behind /api/v1/targets*, and the scraped part of /api/v1/metadata;
  // unset or null: no targets.
  std::function<scrape::ScrapeManager*()> scrape;
};

class HttpApi {
 public:
  HttpApi(storage::DB* db, SelfMetrics* metrics, ApiOptions options, ApiHooks hooks);
  ~HttpApi();
  // REQUIRES: called once, before the router serves.
  void Register(http::Router* router);

  // Helpers shared by the handler files.
  static void Success(http::HttpResponse* resp, absl::string_view data_json);
  static void Error(http::HttpResponse* resp, ErrorType type, absl::string_view msg,
                    int http_status = 0);
  static void StatusError(http::HttpResponse* resp, const absl::Status& s);

 private:
  // metadata_handlers.cc
  void Series(const http::HttpRequest& req, http::HttpResponse* resp);
  void Labels(const http::HttpRequest& req, http::HttpResponse* resp);
  void LabelValues(const http::HttpRequest& req, http::HttpResponse* resp);
  void QueryExemplars(const http::HttpRequest& req, http::HttpResponse* resp);
  // targets_handlers.cc
  void Targets(const http::HttpRequest& req, http::HttpResponse* resp);
  void TargetsMetadata(const http::HttpRequest& req, http::HttpResponse* resp);
  void Metadata(const http::HttpRequest& req, http::HttpResponse* resp);
  // status_handlers.cc
  void BuildInfo(const http::HttpRequest& req, http::HttpResponse* resp);
  void StatusConfig(const http::HttpRequest& req, http::HttpResponse* resp);
  void StatusFlags(const http::HttpRequest& req, http::HttpResponse* resp);
  void RuntimeInfo(const http::HttpRequest& req, http::HttpResponse* resp);
  void TsdbStatus(const http::HttpRequest& req, http::HttpResponse* resp);
  void Metrics(const http::HttpRequest& req, http::HttpResponse* resp);
  void Reload(const http::HttpRequest& req, http::HttpResponse* resp);
  // rules_handlers.cc
  void Rules(const http::HttpRequest& req, http::HttpResponse* resp);
  void Alerts(const http::HttpRequest& req, http::HttpResponse* resp);
  void Quit(const http::HttpRequest& req, http::HttpResponse* resp);
  // Registers a lifecycle endpoint (/-/reload, /-/quit) with Prometheus's gate and methods.
  void RegisterLifecycle(http::Router* r, const char* path,
                         void (HttpApi::*fn)(const http::HttpRequest&, http::HttpResponse*));
  // admin_handlers.cc
  void RegisterAdminRoutes(http::Router* r);
  void AdminSnapshot(const http::HttpRequest& req, http::HttpResponse* resp);
  void AdminDeleteSeries(const http::HttpRequest& req, http::HttpResponse* resp);
  void AdminCleanTombstones(const http::HttpRequest& req, http::HttpResponse* resp);
  // remote_write_handler.cc
  void RemoteWrite(const http::HttpRequest& req, http::HttpResponse* resp);
  void RemoteRead(const http::HttpRequest& req, http::HttpResponse* resp);
  bool ReadGateOpen() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_gate_mu_) {
    return read_in_flight_ < options_.remote_read_concurrent_limit;
  }
  // federate_handler.cc
  void Federate(const http::HttpRequest& req, http::HttpResponse* resp);
  // query_handlers.cc
  void Query(const http::HttpRequest& req, http::HttpResponse* resp);
  void QueryRange(const http::HttpRequest& req, http::HttpResponse* resp);
  void FormatQuery(const http::HttpRequest& req, http::HttpResponse* resp);
  void RegisterQueryRoutes(http::Router* router);
  // Runs q, cancelling it when the request's client disconnects.
  // Waits for a --query.max-concurrency slot until started + timeout.
  void RunQuery(const http::HttpRequest& req, promql::Query* q, absl::Time started,
                absl::Duration timeout, http::HttpResponse* resp);

  // Parses every match[] value; `wrap` adds the `invalid parameter "match[]": ` prefix
  // (Prometheus wraps it for /series, not for /labels and /label/../values).
  static absl::StatusOr<std::vector<storage::Matchers>> ParseMatches(
      const std::vector<std::string>& values, bool wrap);
  // start/end with defaults; errors already wrapped as Prometheus words them.
  static absl::Status ParseRange(const RequestParams& p, int64_t* start_ms, int64_t* end_ms);

  storage::DB* db_;
  SelfMetrics* metrics_;
  ApiOptions options_;
  ApiHooks hooks_;
  CorsPolicy cors_;  // set by Register()
  absl::Mutex read_gate_mu_;  // remote read's concurrency gate
  int64_t read_in_flight_ ABSL_GUARDED_BY(read_gate_mu_) = 0;
  absl::Time start_time_;
  struct QueryState;                      // query_handlers.cc: engine and its options
  std::unique_ptr<QueryState> query_;
  std::unique_ptr<QueryGate> query_gate_;
};

}  // namespace tally::server::api
