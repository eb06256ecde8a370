#include "storage/ingest/backfill_windows.h"

#include <algorithm>
#include <array>

namespace tally::storage::backfill_internal {

void Histogram::Coarsen(int new_shift) {
  new_shift = std::min(new_shift, 62);
  if (new_shift <= shift_) return;
  const int d = new_shift - shift_;
  absl::flat_hash_map<uint64_t, int64_t> next;
  for (const auto& [key, n] : counts_) {
    const uint64_t bucket = (key >> kShardBits) >> d;
    next[(bucket << kShardBits) | (key & (kShards - 1))] += n;
  }
  counts_ = std::move(next);
  shift_ = new_shift;
  last_key_ = ~uint64_t{0};
  last_count_ = nullptr;
  if (counts_.size() > max_entries_ && shift_ < 62) Coarsen(shift_ + 4);
}

void Histogram::Merge(const Histogram& other) {
  if (other.shift_ > shift_) Coarsen(other.shift_);
  const int d = shift_ - other.shift_;
  for (const auto& [key, n] : other.counts_) {
    const uint64_t bucket = (key >> kShardBits) >> d;
    counts_[(bucket << kShardBits) | (key & (kShards - 1))] += n;
  }
  last_key_ = ~uint64_t{0};
  last_count_ = nullptr;
  if (counts_.size() > max_entries_) Coarsen(shift_ + 4);
}

bool Window::Overlaps(int64_t min_t, int64_t max_t, uint64_t shard_mask) const {
  if (min_t > max_t) return false;  // no samples
  if (Bucket(max_t) < bucket_lo || Bucket(min_t) > bucket_hi) return false;
  const uint64_t hi_bits = shard_hi >= 63 ? ~uint64_t{0} : (uint64_t{1} << (shard_hi + 1)) - 1;
  const uint64_t lo_bits = (uint64_t{1} << shard_lo) - 1;
  return (shard_mask & (hi_bits & ~lo_bits)) != 0;
}

std::vector<Window> PlanWindows(const Histogram& h, int64_t max_samples) {
  int64_t total = 0;
  for (const auto& [key, n] : h.counts()) total += n;
  if (max_samples <= 0 || total <= max_samples) {
    return {Window{.shift = 64, .bucket_lo = 0, .bucket_hi = 0, .samples = total}};
  }
  std::vector<uint64_t> keys;
  keys.reserve(h.counts().size());
  for (const auto& [key, n] : h.counts()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::vector<Window> out;
  Window cur;
  bool open = false;
  size_t i = 0;
  while (i < keys.size()) {
    const uint64_t bucket = keys[i] >> kShardBits;
    std::array<int64_t, kShards> per_shard{};
    int64_t bucket_total = 0;
    for (; i < keys.size() && (keys[i] >> kShardBits) == bucket; ++i) {
      const int64_t n = h.counts().at(keys[i]);
      per_shard[keys[i] & (kShards - 1)] += n;
      bucket_total += n;
    }
    if (open && cur.samples + bucket_total > max_samples) {
      out.push_back(cur);
      open = false;
    }
    if (bucket_total > max_samples) {
      // One bucket too big: split it by shard ranges.
      Window w{.shift = h.shift(), .bucket_lo = bucket, .bucket_hi = bucket, .shard_lo = 0};
      for (uint32_t s = 0; s < kShards; ++s) {
        if (w.samples > 0 && w.samples + per_shard[s] > max_samples) {
          w.shard_hi = s - 1;
          out.push_back(w);
          w.shard_lo = s;
          w.samples = 0;
        }
        w.samples += per_shard[s];
      }
      w.shard_hi = kShards - 1;
      out.push_back(w);
      continue;
    }
    if (!open) {
      cur = Window{.shift = h.shift(), .bucket_lo = bucket, .bucket_hi = bucket};
      open = true;
    }
    cur.bucket_hi = bucket;
    cur.samples += bucket_total;
  }
  if (open) out.push_back(cur);
  // Make the windows cover the whole time line (no sample can fall between them).
  if (!out.empty()) {
    out.front().bucket_lo = 0;
    out.back().bucket_hi = ~uint64_t{0} >> h.shift();
    for (size_t k = 1; k < out.size(); ++k) {
      if (out[k].bucket_lo != out[k - 1].bucket_hi) out[k].bucket_lo = out[k - 1].bucket_hi + 1;
    }
  }
  return out;
}

std::vector<Window> PlanShardWindows(const Histogram& h, int64_t max_samples) {
  std::array<int64_t, kShards> per_shard{};
  for (const auto& [key, n] : h.counts()) per_shard[key & (kShards - 1)] += n;
  std::vector<Window> out;
  Window w{.shift = 64, .shard_lo = 0};
  for (uint32_t s = 0; s < kShards; ++s) {
    if (per_shard[s] > max_samples) return {};
    if (w.samples > 0 && w.samples + per_shard[s] > max_samples) {
      w.shard_hi = s - 1;
      out.push_back(w);
      w.shard_lo = s;
      w.samples = 0;
    }
    w.samples += per_shard[s];
  }
  w.shard_hi = kShards - 1;
  out.push_back(w);
  return out;
}

}  // namespace tally::storage::backfill_internal
