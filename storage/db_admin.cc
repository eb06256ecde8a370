// DBImpl: the admin operations behind /api/v1/admin/tsdb/*: Snapshot (a RocksDB checkpoint)
// and DeleteSeries (rewrites the chunks that overlap the deleted range). Kept apart from the
// commit path: both work through the same primitives as Flush and retention.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/chunk/chunk.h"
#include "storage/chunk/xor_chunk.h"
#include "storage/db_impl.h"
#include "storage/index/postings_for_matchers.h"
#include "storage/kv/key_codec.h"
#include "storage/util/status_macros.h"

namespace tally::storage {

using kv::Cf;

absl::Status DBImpl::Snapshot(const std::string& dir, bool with_head) {
  RETURN_IF_ERROR(CheckWritable());
  // The checkpoint copies every column family at one sequence number, the log family
  // included: replaying it in the copy restores the head exactly as acknowledged.
  RETURN_IF_ERROR(store_->CreateCheckpoint(dir));
  if (with_head) return absl::OkStatus();
  // skip_head: drop the copy's log, so only persisted chunks remain.
  kv::StoreOptions o;
  o.path = dir;
  o.create_if_missing = false;
  ASSIGN_OR_RETURN(std::unique_ptr<kv::RocksStore> copy, kv::RocksStore::Open(o));
  kv::KvBatch b(copy.get());
  b.DeleteRange(Cf::kWal, kv::WalKey(0), kv::WalKey(~uint64_t{0}));
  RETURN_IF_ERROR(copy->Write(&b, /*sync=*/true));
  return copy->CompactRange(Cf::kWal, {}, {});
}

absl::Status DBImpl::DeleteSeries(const Matchers& matchers, int64_t mint_ms, int64_t maxt_ms) {
  RETURN_IF_ERROR(CheckWritable());
  if (maxt_ms < mint_ms) return absl::OkStatus();
  ASSIGN_OR_RETURN(index::Postings refs, index::PostingsForMatchers(postings_, matchers));
  if (refs.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(DeleteLocked(refs, mint_ms, maxt_ms));
  RecomputeMinTime();
  return absl::OkStatus();
}

absl::Status DBImpl::DeleteLocked(const std::vector<SeriesRef>& refs, int64_t mint_ms,
                                  int64_t maxt_ms) {
  // Commits wait while we rewrite: a sample appended meanwhile is either deleted with the
  // rest or lands after, never half-way.
  absl::MutexLock a(&apply_mu_);
  // Seal what the head holds of these series first, so every sample to delete is in a
  // persisted chunk and the log never replays a deleted sample (replay skips what the
  // series state says is sealed).
  for (SeriesRef ref : refs) {
    head::MemSeries* s = head_.Find(ref);
    if (s == nullptr) continue;
    absl::MutexLock l(&s->mu);
    if (s->open) SealOpenChunk(s);
    if (s->ooo) SealOoo(s);
  }
  if (!sealed_.empty()) RETURN_IF_ERROR(WriteSealed());

  kv::KvBatch batch(store_.get());
  int64_t chunks_delta = 0, samples_delta = 0;
  uint64_t id = chunk_id_;
  std::string val;
  // New totals of the time buckets touched (chunk keys start with their bucket, format 3).
  absl::btree_map<int64_t, kv::BucketStats> touched;
  auto stats_of = [&](int64_t bucket) -> kv::BucketStats& {
    auto [t, fresh] = touched.try_emplace(bucket);
    if (fresh) {
      if (auto old = buckets_.find(bucket); old != buckets_.end()) t->second = old->second;
    }
    return t->second;
  };
  for (SeriesRef ref : refs) {
    int64_t disk_mint = kMinTime, disk_maxt = kMaxTime;
    if (head::MemSeries* s = head_.Find(ref); s != nullptr) {
      absl::MutexLock l(&s->mu);
      disk_mint = s->disk_mint;
      disk_maxt = s->disk_maxt;
    }
    // A chunk spans at most max_chunk_span_ms, so the first one that can overlap starts no
    // earlier than mint - span; none starts outside the series' persisted bounds.
    const int64_t from = mint_ms < kMinTime + options_.max_chunk_span_ms
                             ? kMinTime
                             : mint_ms - options_.max_chunk_span_ms;
    const int64_t lo = std::max(from, disk_mint);
    const int64_t hi = std::min(maxt_ms, disk_maxt);
    if (lo > hi) continue;
    std::unique_ptr<kv::KvIterator> it = store_->NewPrefixIterator(Cf::kChunks);
    for (int64_t b = kv::BucketStart(lo, bucket_ms_); b <= hi;) {
      const std::string prefix = kv::BucketSeriesPrefix(b, ref);
      for (it->Seek(kv::ChunkSeekKey(b, ref, std::max(lo, b))); it->Valid(); it->Next()) {
        if (!absl::StartsWith(it->key(), prefix)) break;
        kv::ChunkRecord c;
        if (!kv::DecodeChunkRecord(it->key(), it->value(), &c)) {
          return absl::DataLossError("corrupt chunk record while deleting series");
        }
        if (c.mint_ms > maxt_ms) break;
        if (c.maxt_ms < mint_ms) continue;
        // Overlaps: keep the samples outside [mint, maxt] in a new chunk (or none).
        std::vector<Sample> keep;
        ChunkIterator ci(c.bytes);
        while (ci.Next()) {
          if (ci.t() < mint_ms || ci.t() > maxt_ms) keep.push_back(ci.At());
        }
        RETURN_IF_ERROR(ci.status());
        batch.Delete(Cf::kChunks, it->key());
        kv::BucketStats& old_bs = stats_of(b);
        --old_bs.chunks;
        old_bs.samples -= c.num_samples;
        old_bs.bytes -= static_cast<int64_t>(it->key().size() + it->value().size());
        --chunks_delta;
        samples_delta -= c.num_samples;
        if (keep.empty()) continue;
        XorChunk chunk;
        XorAppender app(&chunk);
        for (const Sample& x : keep) app.Append(x.t_ms, x.v);
        RETURN_IF_ERROR(app.status());
        kv::EncodeChunkValue(keep.front().t_ms, keep.back().t_ms, static_cast<int>(keep.size()),
                             EncodeForStorage(chunk.ReleaseBytes()), &val);
        const int64_t nb = kv::BucketStart(keep.front().t_ms, bucket_ms_);
        const std::string key = kv::ChunkKey(nb, ref, keep.front().t_ms, ++id);
        batch.Put(Cf::kChunks, key, val);
        kv::BucketStats& new_bs = stats_of(nb);
        ++new_bs.chunks;
        new_bs.samples += static_cast<int64_t>(keep.size());
        new_bs.bytes += static_cast<int64_t>(key.size() + val.size());
        new_bs.max_maxt = std::max(new_bs.max_maxt, keep.back().t_ms);
        ++chunks_delta;
        samples_delta += static_cast<int64_t>(keep.size());
      }
      RETURN_IF_ERROR(it->status());
      if (__builtin_add_overflow(b, bucket_ms_, &b)) break;
    }
  }
  for (const auto& [bucket, bs] : touched) {
    batch.Put(Cf::kMeta, kv::BucketStatsKey(bucket), kv::EncodeBucketStats(bs));
  }
  if (batch.Count() == 0) return absl::OkStatus();
  batch.Put(Cf::kMeta, kv::kChunkIdKey, kv::EncodeU64(id));
  batch.Put(Cf::kMeta, kv::kStatsKey,
            EncodeDiskTotals(disk_chunks_.load() + chunks_delta,
                             disk_samples_.load() + samples_delta));
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  chunk_id_ = id;
  // Per-series disk bounds stay as they were: wider than the data left, which only costs
  // a read that finds nothing.
  for (auto& [bucket, bs] : touched) buckets_[bucket] = bs;
  chunk_writes_.fetch_add(1, std::memory_order_release);  // reused iterators re-seek
  disk_chunks_.fetch_add(chunks_delta);
  disk_samples_.fetch_add(samples_delta);
  RETURN_IF_ERROR(TruncateWal());
  return absl::OkStatus();
}

}  // namespace tally::storage
