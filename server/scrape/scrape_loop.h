// ScrapeLoop: the state of one target's scraping and one scrape, start to commit:
// fetch (ScrapeFetcher), parse (storage::TextParser, by Content-Type), append through one
// DB appender, report series, stale markers, one Commit() per scrape. Scheduling is not
// here: the ScrapeManager runs ScrapeOnce() on its shared pool at the target's slots.
//
// A scrape that fails (fetch error, parse error, sample_limit, label limits, an invalid
// series) stores none of its samples, as Prometheus: the appender is rolled back and the
// scrape then counts as an empty one (stale markers for every series of the previous
// scrape) plus the report series with up=0. lastError holds the reason.
//
// Hot path (ScrapeOnce on a known target): the series text of each sample is looked up in
// the ScrapeCache; a hit appends by SeriesRef, so a repeated scrape allocates nothing per
// sample (labels are built, relabeled and checked only for a series seen the first time).
//
// Thread-safety: ScrapeOnce/AppendBody/WriteStaleMarkers are called by one thread at a time
// (the scheduler guarantees it); status(), Metadata*() and SetOptions() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/scrape/sample_labels.h"
#include "server/scrape/scrape_cache.h"
#include "server/scrape/scrape_fetch.h"
#include "storage/db.h"

namespace tally::server::scrape {

// A job's settings as one loop uses them; replaced as a whole on config reload.
struct LoopOptions {
  absl::Duration interval = absl::Minutes(1);
  absl::Duration timeout = absl::Seconds(10);
  bool honor_labels = false;
  bool honor_timestamps = true;
  int64_t body_size_limit = 0;  // bytes, 0 = none
  uint64_t sample_limit = 0;    // 0 = none
  LabelLimits label_limits;
  MetricRelabelFn metric_relabel;
  // The job's fetcher (its TLS and credentials); null = the loop's default fetcher.
  std::shared_ptr<ScrapeFetcher> fetcher;
};

// Counters shared by all loops (Prometheus's prometheus_target_* families).
struct ScrapeCounters {
  std::atomic<int64_t> out_of_order{0};        // ..._sample_out_of_order_total
  std::atomic<int64_t> duplicate{0};           // ..._sample_duplicate_timestamp_total
  std::atomic<int64_t> out_of_bounds{0};       // ..._sample_out_of_bounds_total
  std::atomic<int64_t> sample_limit{0};        // ..._exceeded_sample_limit_total
  std::atomic<int64_t> body_size_limit{0};     // ..._exceeded_body_size_limit_total
  std::atomic<int64_t> label_limits{0};        // scrape_pool_exceeded_label_limits_total
  std::atomic<int64_t> appended{0};            // samples stored by scrapes (Tally's own)
};

enum class TargetHealth { kUnknown, kUp, kDown };
const char* TargetHealthString(TargetHealth h);  // "unknown", "up", "down"

struct TargetStatus {
  TargetHealth health = TargetHealth::kUnknown;
  std::string last_error;
  absl::Time last_scrape = absl::UnixEpoch();  // start of the last scrape; epoch: never
  bool scraped = false;
  absl::Duration last_duration = absl::ZeroDuration();
};

// What one scrape did (tests, benchmarks).
struct ScrapeResult {
  absl::Status error;
  int64_t scraped = 0;       // scrape_samples_scraped
  int64_t post_relabel = 0;  // scrape_samples_post_metric_relabeling
  int64_t series_added = 0;  // scrape_series_added
  storage::CommitResult commit;
};

class ScrapeLoop {
 public:
  // `target_labels`: the target's final labels (job, instance, ...); `url` what to GET.
  // REQUIRES: db, fetcher and counters outlive the loop.
  ScrapeLoop(storage::DB* db, ScrapeFetcher* fetcher, ScrapeCounters* counters,
             storage::Labels target_labels, std::string url,
             std::shared_ptr<const LoopOptions> options);

  // One scrape whose samples are stamped `t` (Prometheus's appendTime).
  ScrapeResult ScrapeOnce(absl::Time t);
  // The part after the fetch: `fetch_error` non-OK means the fetch failed (body ignored).
  ScrapeResult AppendBody(absl::string_view body, storage::TextFormat format, absl::Time t,
                          absl::Duration duration, absl::Status fetch_error);
  // The target went away: stale markers at `t` for every series of the last scrape and
  // for the report series (Prometheus's endOfRunStaleness). Later samples of a target
  // that came back make these out of order and they are dropped, as in Prometheus.
  void WriteStaleMarkers(absl::Time t);

  // Takes effect at the next scrape. `labels_changed`: honor_labels or the metric relabel
  // rules changed, so cached label sets are rebuilt (staleness tracking survives).
  void SetOptions(std::shared_ptr<const LoopOptions> options, bool labels_changed);
  std::shared_ptr<const LoopOptions> options() const;
  const storage::Labels& target_labels() const { return target_labels_; }
  // REQUIRES: no scrape running.
  size_t cache_series_for_testing() const { return cache_.series_count(); }
  const std::string& url() const { return url_; }
  TargetStatus status() const;
  std::vector<MetadataEntry> MetadataList() const { return cache_.MetadataList(); }
  bool GetMetadata(absl::string_view metric, MetadataEntry* out) const {
    return cache_.GetMetadata(metric, out);
  }

 private:
  enum Report { kUp, kDuration, kScraped, kPostRelabel, kSeriesAdded, kNumReport };
  absl::Status AppendSamples(storage::Appender& app, absl::string_view body,
                             storage::TextFormat format, int64_t t_ms, const LoopOptions& o,
                             ScrapeResult* r);
  absl::Status AppendOne(storage::Appender& app, ScrapeCache::Entry* e, int64_t t_ms, double v);
  void AppendStale(storage::Appender& app, bool failed, int64_t t_ms);
  void AppendReport(storage::Appender& app, int64_t t_ms, const double (&values)[kNumReport]);

  storage::DB* const db_;
  ScrapeFetcher* const fetcher_;
  ScrapeCounters* const counters_;
  const storage::Labels target_labels_;
  const std::string url_;
  storage::Labels report_labels_[kNumReport];
  storage::SeriesRef report_refs_[kNumReport] = {};
  ScrapeCache cache_;
  bool ever_appended_ = false;
  size_t last_good_cache_size_ = 0;
  std::atomic<bool> relabel_changed_{false};

  mutable absl::Mutex mu_;
  std::shared_ptr<const LoopOptions> options_ ABSL_GUARDED_BY(mu_);
  TargetStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tally::server::scrape
