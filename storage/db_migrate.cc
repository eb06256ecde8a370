// DBImpl: in-place migration of older data dir formats (docs/storage.md "Format versions").
// Formats 1 and 2 -> 3: series states gain the time bounds of the series' persisted chunks
// (format 1), the postings family is emptied (postings live in memory, built from the
// series records on open; format 1), and chunk keys get their time bucket in front, with
// per-bucket totals in meta. Every step is idempotent (old and new chunk keys differ in
// length) and the version marker is written last, so a crash midway only means the next
// open repeats the migration.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/db_impl.h"
#include "storage/kv/key_codec.h"
#include "storage/util/coding.h"
#include "storage/util/log.h"
#include "storage/util/status_macros.h"

namespace tally::storage {

using kv::Cf;

// Decodes a chunk record in the current or a legacy (format 1-2) key layout.
bool DecodeAnyChunkRecord(absl::string_view key, absl::string_view value, kv::ChunkRecord* c) {
  if (key.size() == 32) return kv::DecodeChunkRecord(key, value, c);
  return kv::DecodeLegacyChunkKey(key, &c->ref, &c->mint_ms, &c->chunk_id) &&
         kv::DecodeChunkValue(value, c->mint_ms, &c->maxt_ms, &c->num_samples, &c->bytes);
}

absl::Status DBImpl::ComputeDiskBoundsByScan() {
  auto it = store_->NewIterator(Cf::kChunks);
  head::MemSeries* s = nullptr;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    kv::ChunkRecord c;
    if (!DecodeAnyChunkRecord(it->key(), it->value(), &c)) {
      return absl::DataLossError("corrupt data dir: malformed chunk record");
    }
    if (s == nullptr || s->ref != c.ref) s = head_.Find(c.ref);
    if (s == nullptr) continue;
    s->disk_mint = std::min(s->disk_mint, c.mint_ms);
    s->disk_maxt = std::max(s->disk_maxt, c.maxt_ms);
  }
  return it->status();
}

absl::Status DBImpl::FinishMigration() {
  TALLY_LOG(kInfo, "Migrating data dir format",
            {{"path", options_.path}, {"from", stored_version_}, {"to", kv::kFormatVersion}});
  RETURN_IF_ERROR(MigrateChunkKeys());
  // States with bounds, in batches (a state exists for every series with chunks).
  kv::KvBatch b(store_.get());
  auto st = store_->NewIterator(Cf::kState);
  for (st->SeekToFirst(); st->Valid(); st->Next()) {
    SeriesRef ref;
    kv::SeriesState state;
    if (!kv::DecodeSeriesKey(st->key(), &ref) || !kv::DecodeSeriesState(st->value(), &state)) {
      return absl::DataLossError("corrupt data dir: malformed series state record");
    }
    head::MemSeries* s = head_.Find(ref);
    if (s == nullptr) continue;
    state.disk_mint = s->disk_mint;
    state.disk_maxt = s->disk_maxt;
    b.Put(Cf::kState, st->key(), kv::EncodeSeriesState(state));
    if (b.Count() >= 4096) {
      RETURN_IF_ERROR(store_->Write(&b, /*sync=*/false));
      b.Clear();
    }
  }
  RETURN_IF_ERROR(st->status());
  // Postings keys start with a label name ([a-zA-Z_]...): this range holds all of them.
  const std::string lo(1, '\0'), hi(1, '\xff');
  b.DeleteRange(Cf::kPostings, lo, hi);
  std::string v(kv::kMagic);
  PutFixed32BE(&v, kv::kFormatVersion);
  b.Put(Cf::kMeta, kv::kMagicKey, v);
  RETURN_IF_ERROR(store_->Write(&b, /*sync=*/true));
  RETURN_IF_ERROR(store_->FlushMemtables());
  RETURN_IF_ERROR(store_->DropDeleted(Cf::kPostings, lo, hi));
  // The old chunk keys are point tombstones now: compact them away once.
  RETURN_IF_ERROR(store_->CompactRange(Cf::kChunks, {}, {}));
  stored_version_ = kv::kFormatVersion;
  TALLY_LOG(kInfo, "Data dir format migrated", {{"path", options_.path}});
  return absl::OkStatus();
}

absl::Status DBImpl::MigrateChunkKeys() {
  kv::KvBatch b(store_.get());
  {
    auto it = store_->NewIterator(Cf::kChunks);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() == 32) continue;  // already migrated (a crash midway)
      SeriesRef ref;
      int64_t mint;
      uint64_t id;
      if (!kv::DecodeLegacyChunkKey(it->key(), &ref, &mint, &id)) {
        return absl::DataLossError("corrupt data dir: malformed chunk key");
      }
      b.Put(Cf::kChunks, kv::ChunkKey(kv::BucketStart(mint, bucket_ms_), ref, mint, id),
            it->value());
      b.Delete(Cf::kChunks, it->key());
      if (b.Count() >= 8192) {
        RETURN_IF_ERROR(store_->Write(&b, /*sync=*/false));
        b.Clear();
      }
    }
    RETURN_IF_ERROR(it->status());
  }
  RETURN_IF_ERROR(store_->Write(&b, /*sync=*/false));
  b.Clear();
  // Per-bucket totals and the global ones, from one pass over the new keys.
  buckets_.clear();
  int64_t chunks = 0, samples = 0;
  auto it = store_->NewIterator(Cf::kChunks);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    kv::ChunkRecord c;
    if (!kv::DecodeChunkRecord(it->key(), it->value(), &c)) {
      return absl::DataLossError("corrupt data dir: malformed chunk record");
    }
    kv::BucketStats& bs = buckets_[c.bucket];
    ++bs.chunks;
    bs.samples += c.num_samples;
    bs.bytes += static_cast<int64_t>(it->key().size() + it->value().size());
    bs.max_maxt = std::max(bs.max_maxt, c.maxt_ms);
    ++chunks;
    samples += c.num_samples;
  }
  RETURN_IF_ERROR(it->status());
  for (const auto& [bucket, bs] : buckets_) {
    b.Put(Cf::kMeta, kv::BucketStatsKey(bucket), kv::EncodeBucketStats(bs));
  }
  b.Put(Cf::kMeta, kv::kStatsKey, EncodeDiskTotals(chunks, samples));
  RETURN_IF_ERROR(store_->Write(&b, /*sync=*/false));
  disk_chunks_.store(chunks);
  disk_samples_.store(samples);
  return absl::OkStatus();
}

}  // namespace tally::storage
