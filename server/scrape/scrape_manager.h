// ScrapeManager: Prometheus's scrape manager and scrape pools in one. It takes the
// config's scrape_configs (ApplyConfig, at start and on every reload) and the target groups
// discovery reports per job (UpdateGroups), derives each job's targets (PopulateTargets
// with the job's relabel_configs) and keeps one ScrapeLoop per target on a shared
// ScrapeScheduler.
//
// Target lifecycle (Prometheus 2.42 semantics):
//  - A target is identified by Target::Hash() (labels, URL, interval, timeout). A target
//    that is still there after a sync or a reload keeps its loop, its scrape cache and its
//    staleness state; a changed job config applies to it from its next scrape.
//  - Its scrapes run at offset + k * interval, the offset spread across the interval by a
//    hash of the target and a per-server seed (Prometheus's Target.offset).
//  - A target that disappears (discovery, relabeling, or its job removed by a reload)
//    stops scraping; one interval later (after the slot it would have used, plus 10% of
//    the interval) stale markers are written for its series and report series, stamped
//    at that slot (Prometheus's endOfRunStaleness). A target that came back meanwhile
//    makes them out of order, and they are dropped.
//  - Stop() (server shutdown) writes no stale markers, as Prometheus.
//
// Threads: ApplyConfig/Stop from the controlling thread; UpdateGroups from the discovery
// thread; ActiveTargets/DroppedTargets/RenderMetrics from HTTP handlers; scrapes on the
// scheduler's workers. One mutex guards the pools; scrapes never take it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/config/config.h"
#include "server/scrape/discovery.h"
#include "server/scrape/relabel.h"
#include "server/scrape/scrape_fetch.h"
#include "server/scrape/scrape_loop.h"
#include "server/scrape/scrape_scheduler.h"
#include "server/scrape/target.h"
#include "storage/db.h"

namespace tally::server::scrape {

struct ScrapeManagerOptions {
  // Scrape workers (concurrent scrapes); 0 = max(4, 2 x hardware threads), at most 64.
  int workers = 0;
  // Mixed into every target's offset (Prometheus: a hash of hostname and external labels)
  // so that two servers scraping the same targets do not hit them at the same instant.
  uint64_t jitter_seed = 0;
  // For globalUrl: this server's own port and the host of its external URL.
  int listen_port = 0;
  std::string external_host;
  // Test hook: start discovery (file SD polling) at this period instead of 5s. 0 = default.
  int64_t discovery_poll_ms = 0;
};

// One active target as /api/v1/targets shows it.
struct ActiveTargetInfo {
  std::string pool;
  storage::Labels discovered_labels;
  storage::Labels labels;
  std::string scrape_url;
  std::string global_url;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  TargetStatus status;
  std::shared_ptr<const ScrapeLoop> loop;  // for its metadata
};

struct DroppedTargetInfo {
  std::string pool;
  storage::Labels discovered_labels;
};

class ScrapeManager {
 public:
  // REQUIRES: db outlives the manager. Starts the workers and discovery (idle until
  // ApplyConfig).
  ScrapeManager(storage::DB* db, ScrapeManagerOptions options);
  ~ScrapeManager();  // Stop()

  // Replaces the set of jobs. Validates first: InvalidArgument (Prometheus's wording) for
  // a relabel rule that does not compile, and then nothing changes. A job whose TLS files
  // do not load is, as in 2.42: left out (logged) when it is new; when it is already
  // running, the whole call fails and nothing changes.
  absl::Status ApplyConfig(const config::Config& cfg);
  // The current target groups of `job` (from discovery; public for tests).
  void UpdateGroups(const std::string& job, std::vector<TargetGroup> groups);
  // Stops discovery and scraping; no stale markers. Idempotent.
  void Stop();

  // Sorted by pool, then by labels.
  std::vector<ActiveTargetInfo> ActiveTargets() const;
  std::vector<DroppedTargetInfo> DroppedTargets() const;
  // prometheus_target_* families in the text format (SelfMetrics::AddCollector).
  void RenderMetrics(std::string* out) const;
  const ScrapeCounters& counters() const { return counters_; }

 private:
  struct LoopEntry {
    Target target;
    std::shared_ptr<ScrapeLoop> loop;
    uint64_t task = 0;
    int64_t offset_ns = 0;
  };
  struct Pool {
    config::ScrapeConfig cfg;
    std::shared_ptr<const Relabeler> relabel;         // relabel_configs
    std::shared_ptr<const Relabeler> metric_relabel;  // metric_relabel_configs
    // The job's HTTP client (tls_config, credentials); replaced when they change.
    std::shared_ptr<ScrapeFetcher> fetcher;
    std::vector<TargetGroup> groups;
    std::map<uint64_t, LoopEntry> loops;  // by Target::Hash()
    std::vector<storage::Labels> dropped;
  };

  void SyncLocked(Pool& pool, bool labels_changed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<const LoopOptions> OptionsFor(const Pool& pool, const Target& t) const;
  void StartLoop(const Pool& pool, LoopEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stops scraping `e` and schedules its end-of-run stale markers.
  void EndLoop(LoopEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string GlobalUrl(const std::string& url) const;

  storage::DB* const db_;
  const ScrapeManagerOptions options_;
  ScrapeCounters counters_;
  ScrapeFetcher fetcher_;
  ScrapeScheduler scheduler_;
  std::unique_ptr<DiscoveryManager> discovery_;

  mutable absl::Mutex mu_;
  std::map<std::string, Pool> pools_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

// The next slot after `now` of a loop with this interval and offset (both in ns): the
// smallest offset + k * interval > now (Prometheus's Target.offset aligns to absolute time).
absl::Time NextSlot(absl::Time now, absl::Duration interval, int64_t offset_ns);

}  // namespace tally::server::scrape
