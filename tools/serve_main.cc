// `tally serve`: the Prometheus-compatible server. Parses flags, opens the DB, starts
// server::Server, then waits for signals on the main thread: SIGHUP reloads the config,
// SIGTERM/SIGINT (and POST /-/quit, which raises SIGTERM) stop accepting, let in-flight
// requests finish, and persist the head.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/http/route_prefix.h"
#include "server/http/web_config_source.h"
#include "server/api/cors.h"
#include "server/http/fd_limit.h"
#include "server/server.h"
#include "storage/db.h"
#include "storage/ingest/remote_write.h"
#include "storage/util/byte_size.h"
#include "storage/util/duration.h"
#include "storage/util/log.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"
#include "tools/cli/malloc_tuning.h"

namespace tally::tools {
namespace {

// --enable-feature: Prometheus 2.42's feature names. Tally has some always on, lacks others;
// either way a unit file that names them keeps working (docs/cli.md).
void LogFeatures(const std::vector<std::string>& values) {
  static const char* const kAlwaysOn[] = {"promql-at-modifier", "promql-negative-offset",
                                          "remote-write-receiver", "expand-external-labels",
                                          "memory-snapshot-on-shutdown", "auto-gomaxprocs"};
  static const char* const kUnsupported[] = {"agent", "exemplar-storage",
                                             "promql-per-step-stats", "extra-scrape-metrics",
                                             "new-service-discovery-manager",
                                             "no-default-scrape-port", "native-histograms"};
  for (const std::string& v : values) {
    for (absl::string_view f : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
      f = absl::StripAsciiWhitespace(f);
      bool done = false;
      for (const char* k : kAlwaysOn) {
        if (f == k) {
          TALLY_LOG(kInfo, "This feature is always enabled in Tally; the option is a no-op.",
                    {{"option", f}});
          done = true;
        }
      }
      for (const char* k : kUnsupported) {
        if (f == k) {
          TALLY_LOG(kWarn, "This option for --enable-feature is not supported by Tally; ignored.",
                    {{"option", f}});
          done = true;
        }
      }
      // Prometheus compat: main.go warns and carries on.
      if (!done) TALLY_LOG(kWarn, "Unknown option for --enable-feature", {{"option", f}});
    }
  }
}

int RunServe(std::vector<std::string> args) {
  TuneMallocForServer();  // before any thread starts (tools/cli/malloc_tuning.h)
  std::string config_file;
  std::string path = "data/";
  std::string listen = "127.0.0.1:9090";
  absl::Duration retention = absl::Hours(24 * 15);
  absl::Duration lookback = absl::Minutes(5);
  absl::Duration timeout = absl::Minutes(2);
  absl::Duration ooo_window = absl::ZeroDuration();
  absl::Duration max_future = absl::Hours(2);
  int64_t max_samples = 50'000'000;
  int64_t threads = 0;
  int64_t max_connections = 4096;
  absl::Duration read_timeout = absl::Minutes(5);
  server::RulesOptions rules_opts;
  bool enable_lifecycle = false;
  const storage::RemoteWriteLimits rw_default;
  int64_t rw_max_bytes = static_cast<int64_t>(rw_default.max_decoded_bytes);
  int64_t rw_max_series = static_cast<int64_t>(rw_default.max_series);
  int64_t rw_max_samples = static_cast<int64_t>(rw_default.max_samples);
  int64_t rw_max_labels = static_cast<int64_t>(rw_default.max_labels);
  int64_t rw_label_limit = static_cast<int64_t>(rw_default.series.label_limit);
  int64_t rw_name_limit = static_cast<int64_t>(rw_default.series.label_name_length_limit);
  int64_t rw_value_limit = static_cast<int64_t>(rw_default.series.label_value_length_limit);
  std::string cors_origin = ".*";
  std::string dashboards_dir;
  std::string web_config_file;
  bool enable_admin_api = false;
  bool remote_write_receiver = false;  // accepted: Tally always receives remote write
  std::string route_prefix;
  std::string page_title = "Tally Time Series Collection and Processing Server";
  int64_t max_concurrency = 20;
  std::vector<std::string> features;
  FlagSet flags("tally serve --config.file=FILE [<flags>]",
                "Serve the Prometheus HTTP API, remote write and federation on a data dir.\n"
                "SIGHUP (or POST /-/reload with --web.enable-lifecycle) reloads the config;\n"
                "SIGTERM (or POST /-/quit) shuts down cleanly.");
  flags.String("config.file", &config_file, "Prometheus configuration file path.");
  flags.String("storage.tsdb.path", &path, "Base path for metrics storage.");
  flags.String("web.listen-address", &listen, "Address to listen on for UI, API, and telemetry.");
  flags.Duration("storage.tsdb.retention.time", &retention,
                 "How long to retain samples in storage.");
  std::string retention_size = "0B";
  flags.String("storage.tsdb.retention.size", &retention_size,
               "Maximum number of bytes that can be stored for blocks. A unit is required, "
               "supported units: B, KB, MB, GB, TB, PB, EB. Ex: \"512MB\". 0 disables.");
  flags.Duration("storage.tsdb.out-of-order-time-window", &ooo_window,
                 "Accept samples up to this much older than a series' newest sample.");
  flags.Duration("storage.tsdb.max-future", &max_future,
                 "Reject samples more than this far ahead of the current time (0 disables).");
  flags.Duration("query.lookback-delta", &lookback,
                 "The maximum lookback duration for retrieving metrics during expression "
                 "evaluations and federation.");
  flags.Duration("query.timeout", &timeout, "Maximum time a query may take before being aborted.");
  flags.Int("query.max-samples", &max_samples,
            "Maximum number of samples a single query can load into memory.");
  flags.Int("web.max-connections", &max_connections, "Maximum number of simultaneous connections.");
  flags.Duration("web.read-timeout", &read_timeout,
                 "Maximum duration before timing out read of the request, and closing idle "
                 "connections.");
  flags.Duration("rules.alert.for-outage-tolerance", &rules_opts.outage_tolerance,
                 "Max time to tolerate prometheus outage for restoring \"for\" state of alert.");
  flags.Duration("rules.alert.for-grace-period", &rules_opts.for_grace_period,
                 "Minimum duration between alert and restored \"for\" state. This is maintained "
                 "only for alerts with configured \"for\" time greater than grace period.");
  flags.Duration("rules.alert.resend-delay", &rules_opts.resend_delay,
                 "Minimum amount of time to wait before resending an alert to Alertmanager.");
  flags.String("web.external-url", &rules_opts.external_url,
               "The URL under which Prometheus is externally reachable (for example, if "
               "Prometheus is served via a reverse proxy). Used for generating relative and "
               "absolute links back to Prometheus itself. If the URL has a path portion, it "
               "will be used to prefix all HTTP endpoints served by Prometheus. If omitted, "
               "relevant URL components will be derived automatically.");
  flags.String("web.route-prefix", &route_prefix,
               "Prefix for the internal routes of web endpoints. Defaults to path of "
               "--web.external-url.");
  flags.String("web.config.file", &web_config_file,
               "[EXPERIMENTAL] Path to configuration file that can enable TLS or "
               "authentication.");
  flags.Bool("web.enable-admin-api", &enable_admin_api,
             "Enable API endpoints for admin control actions.");
  flags.Bool("web.enable-remote-write-receiver", &remote_write_receiver,
             "Enable API endpoint accepting remote write requests. (Accepted for "
             "compatibility: Tally always accepts remote write.)");
  flags.String("web.page-title", &page_title, "Document title of Prometheus instance.");
  flags.Int("query.max-concurrency", &max_concurrency,
            "Maximum number of queries executed concurrently. Use with server mode only.");
  flags.StringList("enable-feature", &features,
                   "Comma separated feature names to enable. Tally accepts Prometheus's "
                   "feature names (see docs/cli.md); unknown ones are warned about, not "
                   "fatal.");
  flags.Int("web.threads", &threads, "HTTP worker threads (0: one per core, at least 2).");
  flags.Bool("web.enable-lifecycle", &enable_lifecycle,
             "Enable shutdown and reload via HTTP request.");
  flags.String("web.cors.origin", &cors_origin,
               "Regex for CORS origin. It is fully anchored. Example: "
               "'https?://(domain1|domain2)\\.com'");
  flags.String("web.dashboards-dir", &dashboards_dir,
               "Folder of Grafana-style dashboard JSON files shown at /dashboards/<name> "
               "(<name>.json; overrides the built-in llm-cost).");
  flags.Int("remote-write.max-decoded-bytes", &rw_max_bytes,
            "Largest remote-write request after snappy decompression; larger ones get 413.");
  flags.Int("remote-write.max-series-per-request", &rw_max_series,
            "Most series in one remote-write request; more get 413.");
  flags.Int("remote-write.max-samples-per-request", &rw_max_samples,
            "Most samples in one remote-write request; more get 413.");
  flags.Int("remote-write.max-labels-per-request", &rw_max_labels,
            "Most labels (all series together) in one remote-write request; more get 413.");
  flags.Int("remote-write.label-limit", &rw_label_limit,
            "Most labels a remote-written series may have, __name__ included (0: no limit).");
  flags.Int("remote-write.label-name-length-limit", &rw_name_limit,
            "Longest label name of a remote-written series, in bytes (0: no limit).");
  flags.Int("remote-write.label-value-length-limit", &rw_value_limit,
            "Longest label value of a remote-written series, in bytes (0: no limit).");
  server::api::ApiOptions rr_default;  // remote read limits (server/api/remote_read_handler.cc)
  int64_t rr_sample_limit = rr_default.remote_read_sample_limit;
  int64_t rr_concurrent = rr_default.remote_read_concurrent_limit;
  int64_t rr_frame_bytes = rr_default.remote_read_max_bytes_in_frame;
  flags.Int("storage.remote.read-sample-limit", &rr_sample_limit,
            "Maximum overall number of samples to return via the remote read interface, in a "
            "single query. 0 means no limit.");
  flags.Int("storage.remote.read-concurrent-limit", &rr_concurrent,
            "Maximum number of concurrent remote read calls. 0 means no limit.");
  flags.Int("storage.remote.read-max-bytes-in-frame", &rr_frame_bytes,
            "Maximum number of bytes in a single frame for streaming remote read response "
            "types (accepted; Tally answers with the sampled type, which has no frames).");
  std::vector<std::string> pos;
  if (int rc = ParseFlagsOrExit(flags, args, &pos); rc >= 0) return rc;
  for (int64_t v : {rw_max_bytes, rw_max_series, rw_max_samples, rw_max_labels}) {
    if (v <= 0) {
      std::fprintf(stderr, "tally: error: --remote-write.max-* limits must be > 0\n");
      return kExitUsage;
    }
  }
  if (rw_label_limit < 0 || rw_name_limit < 0 || rw_value_limit < 0) {
    std::fprintf(stderr, "tally: error: --remote-write.label-* limits must be >= 0\n");
    return kExitUsage;
  }
  if (!pos.empty()) {
    std::fprintf(stderr, "tally: error: unexpected argument %s, try --help\n", pos[0].c_str());
    return kExitUsage;
  }
  if (max_concurrency <= 0) {
    std::fprintf(stderr, "tally: error: --query.max-concurrency must be > 0\n");
    return kExitUsage;
  }
  absl::StatusOr<std::string> prefix = server::http::RoutePrefix(route_prefix, rules_opts.external_url);
  if (!prefix.ok()) {
    TALLY_LOG(kError, "failed to determine external URL", {{"err", prefix.status().message()}});
    return kExitUsage;
  }
  LogFeatures(features);
  // Prometheus compat: main.go validates the web config before opening anything (exit 1).
  if (absl::Status st = server::http::ValidateWebConfigFile(web_config_file); !st.ok()) {
    TALLY_LOG(kError, "Unable to validate web configuration file", {{"err", st.message()}});
    return kExitFailure;
  }

  // Prometheus compat: a bad CORS regex is a usage error (exit 2), before anything opens.
  if (absl::Status st = server::api::CorsPolicy::Make(cors_origin).status(); !st.ok()) {
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return kExitUsage;
  }

  // Prometheus compat: Go raises the descriptor soft limit to the hard one at start-up.
  const int64_t fd_limit = server::http::RaiseOpenFileLimit();
  TALLY_LOG(kDebug, "open file limit", {{"limit", fd_limit}});

  // Block the signals before any thread starts so only the sigwait loop below sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  storage::DBOptions dbo;
  dbo.path = path;
  dbo.retention_ms = absl::ToInt64Milliseconds(retention);
  if (absl::StatusOr<int64_t> bytes = storage::ParseByteSize(retention_size); bytes.ok()) {
    dbo.retention_size_bytes = *bytes;
  } else {
    std::fprintf(stderr, "tally: error: invalid value \"%s\" for flag '--%s': %s, try --help\n",
                 retention_size.c_str(), "storage.tsdb.retention.size",
                 std::string(bytes.status().message()).c_str());
    return kExitUsage;
  }
  dbo.out_of_order_window_ms = absl::ToInt64Milliseconds(ooo_window);
  dbo.max_future_ms = absl::ToInt64Milliseconds(max_future);
  absl::StatusOr<std::unique_ptr<storage::DB>> db = storage::DB::Open(dbo);
  if (!db.ok()) {
    TALLY_LOG(kError, "Opening storage failed", {{"err", db.status().message()}});
    return kExitFailure;
  }

  server::ServerOptions so;
  so.config_file = config_file;
  so.remote_write_dir = path + "/remote_write";  // remote_write's durable queue
  so.http.listen_address = listen;
  so.http.threads = static_cast<int>(threads);
  so.http.max_connections = static_cast<int>(max_connections);
  so.http.header_timeout = read_timeout;
  so.http.body_timeout = read_timeout;
  so.http.web_config_file = web_config_file;
  so.route_prefix = *prefix;
  so.rules = rules_opts;
  so.api.lookback_delta_ms = absl::ToInt64Milliseconds(lookback);
  so.api.query_timeout = timeout;
  so.api.max_samples = max_samples;
  so.api.remote_read_sample_limit = rr_sample_limit;
  so.api.remote_read_concurrent_limit = rr_concurrent;
  so.api.remote_read_max_bytes_in_frame = rr_frame_bytes;
  so.api.retention = storage::FormatDurationMs(absl::ToInt64Milliseconds(retention));
  so.api.enable_lifecycle = enable_lifecycle;
  so.api.remote_write_limits.max_decoded_bytes = static_cast<size_t>(rw_max_bytes);
  so.api.remote_write_limits.max_series = static_cast<size_t>(rw_max_series);
  so.api.remote_write_limits.max_samples = static_cast<size_t>(rw_max_samples);
  so.api.remote_write_limits.max_labels = static_cast<size_t>(rw_max_labels);
  so.api.remote_write_limits.series = {
      .label_limit = static_cast<uint64_t>(rw_label_limit),
      .label_name_length_limit = static_cast<uint64_t>(rw_name_limit),
      .label_value_length_limit = static_cast<uint64_t>(rw_value_limit)};
  so.api.cors_origin = cors_origin;
  so.ui.dashboards_dir = dashboards_dir;
  so.api.enable_admin_api = enable_admin_api;
  so.api.max_concurrency = static_cast<int>(max_concurrency);
  so.api.data_dir = path;
  // POST /-/quit: wake the sigwait loop below with the signal it already handles.
  static std::atomic<bool> quit_requested{false};
  so.on_quit = [] {
    quit_requested = true;
    kill(getpid(), SIGTERM);
  };
  so.api.flags = {
      {"config.file", config_file},
      {"storage.tsdb.path", path},
      {"web.listen-address", listen},
      {"storage.tsdb.retention.time", so.api.retention},
      {"storage.tsdb.retention.size", retention_size},
      {"storage.tsdb.out-of-order-time-window",
       storage::FormatDurationMs(absl::ToInt64Milliseconds(ooo_window))},
      {"storage.tsdb.max-future", storage::FormatDurationMs(dbo.max_future_ms)},
      {"query.lookback-delta", storage::FormatDurationMs(so.api.lookback_delta_ms)},
      {"query.timeout", storage::FormatDurationMs(absl::ToInt64Milliseconds(timeout))},
      {"query.max-samples", absl::StrCat(max_samples)},
      {"web.max-connections", absl::StrCat(max_connections)},
      {"web.read-timeout", storage::FormatDurationMs(absl::ToInt64Milliseconds(read_timeout))},
      {"web.enable-remote-write-receiver", "true"},
      {"web.external-url", rules_opts.external_url},
      {"rules.alert.for-outage-tolerance",
       storage::FormatDurationMs(absl::ToInt64Milliseconds(rules_opts.outage_tolerance))},
      {"rules.alert.for-grace-period",
       storage::FormatDurationMs(absl::ToInt64Milliseconds(rules_opts.for_grace_period))},
      {"rules.alert.resend-delay",
       storage::FormatDurationMs(absl::ToInt64Milliseconds(rules_opts.resend_delay))},
      {"web.enable-lifecycle", enable_lifecycle ? "true" : "false"},
      {"web.cors.origin", cors_origin},
      {"web.dashboards-dir", dashboards_dir},
      {"web.config.file", web_config_file},
      {"web.enable-admin-api", enable_admin_api ? "true" : "false"},
      {"web.route-prefix", *prefix},
      {"web.page-title", page_title},
      {"query.max-concurrency", absl::StrCat(max_concurrency)},
      {"enable-feature", absl::StrJoin(features, ",")},
      {"remote-write.max-decoded-bytes", absl::StrCat(rw_max_bytes)},
      {"remote-write.max-series-per-request", absl::StrCat(rw_max_series)},
      {"remote-write.max-samples-per-request", absl::StrCat(rw_max_samples)},
      {"remote-write.max-labels-per-request", absl::StrCat(rw_max_labels)},
      {"remote-write.label-limit", absl::StrCat(rw_label_limit)},
      {"remote-write.label-name-length-limit", absl::StrCat(rw_name_limit)},
      {"remote-write.label-value-length-limit", absl::StrCat(rw_value_limit)},
      {"log.level", log::LevelString(log::GetLevel())},
  };
  absl::StatusOr<std::unique_ptr<server::Server>> srv = server::Server::Start(so, db->get());
  if (!srv.ok()) {
    TALLY_LOG(kError, "Error starting server",
              {{"file", config_file}, {"err", srv.status().message()}});
    (*db)->Flush().IgnoreError();
    return kExitFailure;
  }
  TALLY_LOG(kInfo, "Server is ready to receive web requests.",
            {{"address", listen}, {"port", (*srv)->port()}, {"storage", path}});

  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      (*srv)->Reload().IgnoreError();  // logged by Reload
      continue;
    }
    if (quit_requested) {
      TALLY_LOG(kWarn, "Received termination request via web service, exiting gracefully...");
    } else {
      TALLY_LOG(kWarn, "Received termination signal, exiting gracefully...",
                {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    }
    break;
  }
  (*srv)->Shutdown(absl::Seconds(30));
  srv->reset();
  absl::Status fs = (*db)->Flush();
  if (!fs.ok()) {
    TALLY_LOG(kError, "Flushing the head failed", {{"err", fs.message()}});
    return kExitFailure;
  }
  db->reset();
  TALLY_LOG(kInfo, "See you next time!");
  return kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("serve", "Serve the Prometheus-compatible HTTP API and remote write.",
                       RunServe);

}  // namespace tally::tools
