// DiscoveryManager: turns each scrape job's static_configs and file_sd_configs into target
// groups and reports a job's full current set of groups whenever it changes.
//
// File SD (Prometheus 2.42 discovery/file semantics): each `files` entry is a path whose last
// element may hold a `*` glob; files are JSON (.json) or YAML (.yml/.yaml) lists of
// {targets: [...], labels: {...}}; each group gets __meta_filepath and the source
// "<file>:<index>". Changes are detected by polling: every min(refresh_interval, 5s) the
// globs are re-expanded and each file's (mtime, size, inode) compared with the last read
// (Prometheus uses inotify plus the refresh_interval re-read; polling is documented in
// docs/configuration.md). A file that fails to read or parse is logged and counted
// (prometheus_sd_file_read_errors_total) and its last good groups are kept, as Prometheus
// does; a file that disappears drops its groups. Files over 64 MiB are an error.
//
// Threads: the callback runs on the manager's own thread (never two at once, never after
// Stop() returns). ApplyConfig and Stop may be called from any thread; the callback must not
// call them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/config/config.h"
#include "server/scrape/target.h"

namespace tally::server::scrape {

class DiscoveryManager {
 public:
  using UpdateFn = std::function<void(const std::string& job, std::vector<TargetGroup> groups)>;

  explicit DiscoveryManager(UpdateFn on_update);
  ~DiscoveryManager();  // stops
  DiscoveryManager(const DiscoveryManager&) = delete;
  DiscoveryManager& operator=(const DiscoveryManager&) = delete;

  // On start and on every config reload: replaces the set of jobs; calls on_update for
  // every job at least once (also for jobs with only static_configs), from the manager's
  // thread, soon after this returns. Jobs no longer present get no further updates.
  // InvalidArgument for an invalid file_sd path pattern (Prometheus's message).
  absl::Status ApplyConfig(const std::vector<config::ScrapeConfig>& jobs);
  // Stops the thread; idempotent.
  void Stop();

  // prometheus_sd_file_read_errors_total, prometheus_sd_file_scan_duration_seconds
  // (summary: _sum and _count, no quantiles), prometheus_sd_file_mtime_seconds{filename} and
  // prometheus_sd_discovered_targets{config,name="scrape"} in the text format, for
  // SelfMetrics::AddCollector (the caller wires it; thread-safe).
  void RenderMetrics(std::string* out) const;
  uint64_t file_read_errors() const { return file_read_errors_.load(); }

  // Test hook: the poll period (default 5s, capped by each job's refresh_interval).
  void SetPollIntervalForTesting(int64_t ms);

  struct State;  // discovery.cc

 private:
  void Run();

  UpdateFn on_update_;
  std::unique_ptr<State> state_;
  std::thread thread_;
  std::atomic<uint64_t> file_read_errors_{0};
  std::atomic<uint64_t> scans_{0};
  std::atomic<int64_t> scan_micros_{0};
};

}  // namespace tally::server::scrape
