// Head: the in-memory map of all series, striped so that no global lock sits on the append
// or query path (Prometheus tsdb/head.go stripeSeries idea). Two stripe arrays: by ref
// (owning) and by label hash (collision chains through MemSeries::hash_next).
//
// Thread-safety: all methods are thread-safe. Queriers never hold a MemSeries pointer
// outside a stripe lock: they use WithSeries, which runs the callback under the stripe lock,
// so Remove cannot free a series under them. Appenders do keep raw pointers (from Find,
// FindByEncoded, GetOrCreateEncoded) between Append and Commit; those are guarded by the removal
// epoch:
//
//   Remove (REQUIRES the DB's apply mutex):  unlink from both stripes  ->  removals_ += 1
//                                            (release)
//   Pointer holder:  e = removals() (acquire)  ->  p = lookup under a stripe lock  -> ...
//                    -> under the apply mutex: dereference p only if removals() == e.
//
// Why this order is safe: if the lookup returned p, its stripe lock came before Remove's
// unlink, so the increment comes after the holder read e, and the check fails. If the holder
// read a count that includes the increment, the unlink happened before its lookup, which
// then cannot return p. (Incrementing before unlinking is the bug this order fixes: a holder
// could read the new count, still find the series, and then pass the check on a freed
// pointer.) Remove and the check are both under the apply mutex, so a freed pointer is
// never dereferenced in between.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/head/mem_series.h"
#include "storage/model/labels.h"

namespace tally::storage::head {

class Head {
 public:
  Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // The series whose label set has exactly this encoding (kv::EncodeLabels form, a byte
  // comparison), or null. The DB files every series under HashEncoded(labels_enc). The
  // pointer may only be dereferenced under the DB's apply mutex and only if removals() is
  // unchanged since a read made before the call (the protocol above); refs stay safe to
  // hold across retention.
  // *ref (if given) receives the series' ref, read under the stripe lock.
  static uint64_t HashEncoded(absl::string_view labels_enc) { return absl::HashOf(labels_enc); }
  MemSeries* FindByEncoded(absl::string_view labels_enc, uint64_t hash,
                           SeriesRef* ref = nullptr) const;
  // Finds or creates; *created tells which. New series get ref = next ref. Same pointer
  // rule as FindByEncoded.
  MemSeries* GetOrCreateEncoded(absl::string_view labels_enc, uint64_t hash, bool* created,
                                SeriesRef* ref = nullptr);
  // The same for a Labels (whose buffer is that encoding).
  MemSeries* FindByLabels(const Labels& labels, uint64_t hash, SeriesRef* ref = nullptr) const {
    return FindByEncoded(labels.Encoded(), hash, ref);
  }
  MemSeries* GetOrCreate(const Labels& labels, uint64_t hash, bool* created,
                         SeriesRef* ref = nullptr) {
    return GetOrCreateEncoded(labels.Encoded(), hash, created, ref);
  }
  // Number of Remove() calls so far (acquire); see the epoch protocol above.
  uint64_t removals() const { return removals_.load(std::memory_order_acquire); }
  // Inserts a series loaded from disk (its fields already set; marked persisted).
  // REQUIRES: its ref unused; single-threaded (Open).
  MemSeries* InsertLoaded(std::unique_ptr<MemSeries> series);
  // Sizes the stripe maps for about `n` series, so a bulk load does not rehash them.
  // REQUIRES: single-threaded (Open).
  void Reserve(size_t n);
  // Null if unknown. See the lifetime note above.
  MemSeries* Find(SeriesRef ref) const;
  bool Exists(SeriesRef ref) const { return Find(ref) != nullptr; }
  // Runs fn(series or null) under the ref stripe's shared lock.
  void WithSeries(SeriesRef ref, const std::function<void(const MemSeries*)>& fn) const;
  // Calls fn for every series, one stripe at a time under its shared lock.
  void ForEach(const std::function<void(MemSeries*)>& fn) const;
  // Unlinks, bumps removals(), then frees. REQUIRES: the DB's apply mutex is held.
  void Remove(SeriesRef ref);

  int64_t num_series() const { return num_series_.load(std::memory_order_relaxed); }
  SeriesRef next_ref() const { return next_ref_.load(); }
  void set_next_ref(SeriesRef r) { next_ref_.store(r); }
  // Approximate bytes held: series, labels, chunks, buffers and map overhead.
  int64_t MemoryBytes() const;

 private:
  static constexpr size_t kStripes = 1024;
  struct alignas(64) RefStripe {
    mutable absl::Mutex mu;
    absl::flat_hash_map<SeriesRef, std::unique_ptr<MemSeries>> series ABSL_GUARDED_BY(mu);
  };
  struct alignas(64) HashStripe {
    mutable absl::Mutex mu;
    absl::flat_hash_map<uint64_t, MemSeries*> chains ABSL_GUARDED_BY(mu);
  };

  std::unique_ptr<RefStripe[]> refs_;
  std::unique_ptr<HashStripe[]> hashes_;
  std::atomic<SeriesRef> next_ref_{1};
  std::atomic<int64_t> num_series_{0};
  std::atomic<uint64_t> removals_{0};
};

}  // namespace tally::storage::head
