// MemPostings: the inverted index of every series, in memory — label name -> label value
// -> sorted series refs, plus the sorted list of all refs. Built from the series records
// on open and kept current by the commit leader (a series enters when its first commit is
// written, so the index lists exactly the persisted series) and by retention (removal).
// Replaces reading postings from RocksDB on every selector (issue 11).
//
// Memory: per series one 8-byte ref per label plus one in the all-series list (vectors
// grow by doubling, so up to twice that); per distinct (name, value) one map entry with
// the value string and a vector header. MemoryBytes() estimates it.
//
// Thread-safety: all methods are thread-safe (one reader/writer mutex). Readers copy what
// they return; nothing returned refers into the index.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "storage/index/postings.h"
#include "storage/model/labels.h"

namespace tally::storage::index {

class MemPostings {
 public:
  MemPostings() = default;
  MemPostings(const MemPostings&) = delete;
  MemPostings& operator=(const MemPostings&) = delete;

  // Adds a series. Labels with empty values are not indexed (an empty value is an absent
  // label). REQUIRES: ref not already present. Refs may arrive in any order.
  void Add(SeriesRef ref, const Labels& labels);
  // Bulk insertion for opening a data dir: holds the index's lock for its life and takes
  // labels as views (no Labels to build per series). Same result as Add(); fastest when
  // refs come in increasing order (appends). REQUIRES: each ref added once.
  class Loader {
   public:
    explicit Loader(MemPostings* p) : p_(p), lock_(&p->mu_) {}
    // Indexes ref under name=value; an empty value is skipped (absent label).
    void AddLabel(SeriesRef ref, absl::string_view name, absl::string_view value);
    // Adds ref to the all-series list: once per series.
    void AddSeries(SeriesRef ref);

   private:
    MemPostings* p_;
    absl::MutexLock lock_;
  };

  // Removes series (ref with the labels it was added with). Unknown refs are ignored.
  void Remove(absl::Span<const std::pair<SeriesRef, Labels>> series);

  // Refs of series with name=value (value non-empty), sorted.
  Postings Get(absl::string_view name, absl::string_view value) const;
  // Refs of series carrying `name` with a value for which pred(value) holds, sorted.
  Postings Where(absl::string_view name,
                 const std::function<bool(absl::string_view)>& pred) const;
  // Every series, sorted.
  Postings All() const;
  std::vector<std::string> LabelNames() const;
  // Distinct values of `name`, sorted.
  std::vector<std::string> LabelValues(absl::string_view name) const;

  struct NameCardinality {
    std::string name;
    int64_t values = 0;  // distinct values
    int64_t series = 0;  // series carrying the name
  };
  std::vector<NameCardinality> Cardinality() const;

  int64_t num_series() const;
  // Estimated heap bytes (entries, strings, vectors, malloc overhead).
  int64_t MemoryBytes() const;

 private:
  using Values = absl::btree_map<std::string, Postings>;
  mutable absl::Mutex mu_;
  absl::btree_map<std::string, Values> index_ ABSL_GUARDED_BY(mu_);
  Postings all_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tally::storage::index
