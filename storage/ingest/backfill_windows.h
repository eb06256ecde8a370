// Internal to Backfill: the time x series-shard histogram of a file's samples (built by the
// validating pass) and the write windows planned from it. A window is a range of time
// buckets and a range of series shards; windows are written in order (time first, then
// shard), so every series sees its samples in time order and all samples of one series at
// one timestamp fall in the same window. Not thread-safe: one Histogram per parser slice,
// merged afterwards.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace tally::storage::backfill_internal {

constexpr int kShardBits = 6;
constexpr uint32_t kShards = 1u << kShardBits;

// Shard of a series from its 64-bit label-set hash.
inline uint32_t ShardOfHash(uint64_t h) { return static_cast<uint32_t>(h >> (64 - kShardBits)); }

// Maps an int64 timestamp to an order-preserving uint64.
inline uint64_t OrderedTime(int64_t t) { return static_cast<uint64_t>(t) ^ (uint64_t{1} << 63); }

class Histogram {
 public:
  // Buckets are 2^shift ms wide; the shift grows (buckets merge) when a histogram holds more
  // than max_entries (bucket, shard) cells, so memory stays bounded whatever the time spread.
  explicit Histogram(size_t max_entries = 1 << 16) : max_entries_(max_entries) {}
  void Add(int64_t t, uint32_t shard) {
    const uint64_t key = ((OrderedTime(t) >> shift_) << kShardBits) | shard;
    if (key == last_key_) {
      ++*last_count_;
      return;
    }
    int64_t& c = counts_[key];
    ++c;
    last_key_ = key;
    last_count_ = &c;
    if (counts_.size() > max_entries_) Coarsen(shift_ + 4);
  }
  void Merge(const Histogram& other);
  void Coarsen(int new_shift);
  int shift() const { return shift_; }
  const absl::flat_hash_map<uint64_t, int64_t>& counts() const { return counts_; }

 private:
  size_t max_entries_;
  int shift_ = 16;  // ~65 s: consecutive samples of a series mostly share a bucket
  absl::flat_hash_map<uint64_t, int64_t> counts_;
  uint64_t last_key_ = ~uint64_t{0};
  int64_t* last_count_ = nullptr;
};

struct Window {
  int shift = 64;          // bucket = OrderedTime(t) >> shift (64: one bucket, everything)
  uint64_t bucket_lo = 0;  // inclusive
  uint64_t bucket_hi = 0;  // inclusive
  uint32_t shard_lo = 0;   // inclusive
  uint32_t shard_hi = kShards - 1;
  int64_t samples = 0;     // planned samples

  uint64_t Bucket(int64_t t) const {
    return shift >= 64 ? 0 : OrderedTime(t) >> shift;
  }
  bool Contains(int64_t t, uint32_t shard) const {
    const uint64_t b = Bucket(t);
    return b >= bucket_lo && b <= bucket_hi && shard >= shard_lo && shard <= shard_hi;
  }
  // Whether a region with these time bounds and shard set may hold samples of the window.
  bool Overlaps(int64_t min_t, int64_t max_t, uint64_t shard_mask) const;
};

// Windows of at most max_samples each (a single bucket-and-shard cell over it becomes a
// window of its own). One window covering everything when max_samples <= 0 or the histogram
// fits.
std::vector<Window> PlanWindows(const Histogram& h, int64_t max_samples);
// Windows of whole shard ranges over all time (suits a file grouped by series); empty when
// one shard alone holds more than max_samples.
std::vector<Window> PlanShardWindows(const Histogram& h, int64_t max_samples);

}  // namespace tally::storage::backfill_internal
