// SelfMetrics: Tally's own metrics registry, rendered by GET /metrics in the Prometheus text
// format (0.0.4). Counters and histograms are updated lock-free on hot paths (atomics); the
// per-(handler, code) HTTP counters take a short mutex once per request. Render() adds gauges
// read at scrape time: storage statistics from DB::Stats() and process figures from /proc.
// Thread-safe; one instance per server, owned by the Server.
//
// Exposed families:
//   tally_ingested_samples_total{source}          samples stored (remote_write, scrape, ...)
//   tally_rejected_samples_total{reason}          out_of_order, duplicate, too_old, invalid
//   tally_remote_write_requests_total{code}       remote-write requests by HTTP code
//   tally_active_series / tally_series / tally_head_chunks / tally_storage_bytes /
//   tally_head_memory_bytes / tally_head_min_time_ms / tally_head_max_time_ms
//   tally_queries_total, tally_query_duration_seconds (histogram)
//   tally_http_requests_total{handler,code}, tally_http_request_duration_seconds{handler}
//   tally_config_last_reload_successful, tally_config_last_reload_success_timestamp_seconds
//   tally_build_info{version,revision,branch}
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_start_time_seconds
//   + whatever AddCollector()s add (the rule manager: prometheus_rule_*, rules/rule_metrics.h)
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/db.h"

namespace tally::server {

// A cumulative histogram with fixed upper bounds (seconds).
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,     2.5,  5,     10,   30,  120};
  void Observe(double seconds);
  // Appends `name_bucket{<labels>le="..."}` lines, _sum and _count. `labels` is either
  // empty or ends with ','.
  void Render(absl::string_view name, absl::string_view labels, std::string* out) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kBounds.size()> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_micros_{0};
};

class SelfMetrics {
 public:
  SelfMetrics();

  void AddIngested(absl::string_view source, int64_t n);
  void AddRejected(storage::RejectReason reason, int64_t n);
  void AddRemoteWriteRequest(int code);
  void ObserveQuery(absl::Duration d);
  void ObserveHttp(absl::string_view handler, int code, absl::Duration d);
  void SetConfigReload(bool ok, absl::Time when);

  uint64_t queries() const { return query_latency_.count(); }
  int64_t ingested(absl::string_view source) const;
  int64_t rejected(storage::RejectReason reason) const;

  // Appends `fn`'s output to every Render() (other modules' families, e.g. the rule
  // manager's prometheus_rule_*). `fn` must be thread-safe and outlive this registry, or be
  // removed with ClearCollectors() first.
  void AddCollector(std::function<void(std::string*)> fn);
  void ClearCollectors();

  // The full exposition. `db` may be null (storage gauges are then omitted).
  std::string Render(storage::DB* db) const;

 private:
  static int ReasonIndex(storage::RejectReason r);

  std::atomic<int64_t> ingested_remote_write_{0};
  std::atomic<int64_t> ingested_other_{0};
  std::array<std::atomic<int64_t>, 4> rejected_{};
  LatencyHistogram query_latency_;
  std::atomic<bool> reload_ok_{true};
  std::atomic<int64_t> reload_time_s_{0};
  absl::Time start_time_;

  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> http_requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<LatencyHistogram>> http_latency_ ABSL_GUARDED_BY(mu_);
  std::map<int, int64_t> remote_write_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(std::string*)>> collectors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tally::server
