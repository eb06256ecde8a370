// ScrapeCache: what one target's scrape loop remembers between scrapes, like Prometheus's
// scrapeCache: the series text of each exposed sample ("name{a=\"b\"}", exactly as
// written) -> its final labels and SeriesRef (so a repeated scrape neither rebuilds label
// sets nor relabels), which texts metric relabeling dropped, which series were appended
// without an explicit timestamp in the last scrape (staleness), and the TYPE/HELP/UNIT
// metadata the target exposes.
//
// Iterations: every scrape, successful or not, is one iteration. After a successful scrape
// Sweep() forgets series texts not seen in it (Prometheus's iterDone flush); metadata is
// kept for 10 iterations after it was last exposed.
//
// Thread-safety: the series part is used only by the loop's scrape (one thread at a time);
// the metadata part is guarded by a mutex, as the API reads it while scrapes run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/ingest/text_parser.h"
#include "storage/model/labels.h"
#include "storage/model/sample.h"

namespace tally::server::scrape {

struct MetadataEntry {
  std::string metric;
  std::string type = "unknown";  // Prometheus's words (storage::MetricTypeString)
  std::string help;
  std::string unit;
};

class ScrapeCache {
 public:
  struct Entry {
    storage::SeriesRef ref = storage::kInvalidSeriesRef;  // 0 until first appended
    storage::Labels labels;                               // final (after metric relabeling)
    int64_t last_iter = -1;
    bool dropped = false;  // metric relabeling dropped it
  };

  int64_t iter() const { return iter_; }
  // Starts the next iteration.
  void BeginIteration() { ++iter_; }

  // nullptr when the text is unknown. The pointer stays valid until Sweep().
  Entry* Find(absl::string_view series_text);
  Entry* Add(absl::string_view series_text, storage::Labels labels, bool dropped);

  // Records that `e` (with its ref set) was appended in this iteration without an explicit
  // timestamp: it takes part in staleness.
  void Track(Entry* e);
  // Calls fn(ref, labels) for each series tracked in the previous iteration and not in
  // this one: they get a stale marker. With `failed` (the scrape failed and was rolled
  // back, or the target went away), for each series tracked in the previous iteration, and
  // this iteration's tracking is forgotten: a failed scrape counts as an empty one.
  // Series are identified by ref only: a series that left the head since needs no marker.
  void ForEachStale(bool failed, const std::function<void(storage::SeriesRef)>& fn);
  // After a successful scrape: forgets texts and tracked series not seen in this iteration
  // and metadata not exposed for 10 iterations.
  void Sweep();

  // Metadata lines of the current scrape.
  void SetType(absl::string_view family, storage::MetricType t);
  void SetHelp(absl::string_view family, absl::string_view help);
  void SetUnit(absl::string_view family, absl::string_view unit);
  std::vector<MetadataEntry> MetadataList() const;  // sorted by metric
  bool GetMetadata(absl::string_view metric, MetadataEntry* out) const;

  // Forgets every series text (tracking stays): the label rules changed (config reload),
  // so each text must be relabeled again.
  void ClearSeries() { series_.clear(); }

  size_t series_count() const { return series_.size(); }

 private:
  struct Tracked {
    int64_t last_iter = -1;
    int64_t prev_iter = -1;  // the iteration before last_iter in which it was tracked
  };
  struct Meta {
    MetadataEntry md;
    int64_t last_iter = 0;
  };
  Meta& MetaFor(absl::string_view family) ABSL_EXCLUSIVE_LOCKS_REQUIRED(meta_mu_);

  int64_t iter_ = 0;
  // node_hash_map: Entry pointers stay valid across inserts.
  absl::node_hash_map<std::string, Entry> series_;
  absl::flat_hash_map<storage::SeriesRef, Tracked> tracked_;

  mutable absl::Mutex meta_mu_;
  absl::flat_hash_map<std::string, Meta> metadata_ ABSL_GUARDED_BY(meta_mu_);
};

}  // namespace tally::server::scrape
