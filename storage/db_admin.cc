// DBImpl: the admin operations behind /api/v1/admin/tsdb/*: Snapshot (a RocksDB checkpoint)
// and DeleteSeries (rewrites the chunks that overlap the deleted range). Kept apart from the
// commit path: both work through the same primitives as Flush and retention.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
  ASSIGN_OR_RETURN(index::Postings refs, index::PostingsForMatchers(store_.get(), matchers));
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
  for (SeriesRef ref : refs) {
    // Chunks are keyed by start time and span at most max_chunk_span_ms, so the first one
    // that can overlap starts no earlier than mint - span.
    const int64_t from = mint_ms < kMinTime + options_.max_chunk_span_ms
                             ? kMinTime
                             : mint_ms - options_.max_chunk_span_ms;
    std::unique_ptr<kv::KvIterator> it = store_->NewIterator(Cf::kChunks);
    for (it->Seek(kv::ChunkSeekKey(ref, from)); it->Valid(); it->Next()) {
      kv::ChunkRecord c;
      if (!kv::DecodeChunkRecord(it->key(), it->value(), &c)) {
        return absl::DataLossError("corrupt chunk record while deleting series");
      }
      if (c.ref != ref || c.mint_ms > maxt_ms) break;
      if (c.maxt_ms < mint_ms) continue;
      // Overlaps: keep the samples outside [mint, maxt] in a new chunk (or none).
      std::vector<Sample> keep;
      XorIterator xi(c.bytes);
      while (xi.Next()) {
        if (xi.t() < mint_ms || xi.t() > maxt_ms) keep.push_back(xi.At());
      }
      RETURN_IF_ERROR(xi.status());
      batch.Delete(Cf::kChunks, it->key());
      --chunks_delta;
      samples_delta -= c.num_samples;
      if (keep.empty()) continue;
      XorChunk chunk;
      XorAppender app(&chunk);
      for (const Sample& x : keep) app.Append(x.t_ms, x.v);
      RETURN_IF_ERROR(app.status());
      kv::EncodeChunkValue(keep.front().t_ms, keep.back().t_ms, static_cast<int>(keep.size()),
                           chunk.Bytes(), &val);
      batch.Put(Cf::kChunks, kv::ChunkKey(ref, keep.front().t_ms, ++id), val);
      ++chunks_delta;
      samples_delta += static_cast<int64_t>(keep.size());
    }
    RETURN_IF_ERROR(it->status());
  }
  if (batch.Count() == 0) return absl::OkStatus();
  batch.Put(Cf::kMeta, kv::kChunkIdKey, kv::EncodeU64(id));
  batch.Put(Cf::kMeta, kv::kStatsKey,
            EncodeDiskTotals(disk_chunks_.load() + chunks_delta,
                             disk_samples_.load() + samples_delta));
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  chunk_id_ = id;
  disk_chunks_.fetch_add(chunks_delta);
  disk_samples_.fetch_add(samples_delta);
  RETURN_IF_ERROR(TruncateWal());
  return absl::OkStatus();
}

}  // namespace tally::storage
