// DBImpl: in-place migration of older data dir formats (docs/storage.md "Format versions").
// Format 1 -> 2: series states gain the time bounds of the series' persisted chunks, and
// the postings family is emptied (postings live in memory, built from the series records
// on open). Every step is idempotent and the version marker is written last, so a crash
// midway only means the next open repeats the migration.
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

absl::Status DBImpl::ComputeDiskBoundsByScan() {
  auto it = store_->NewIterator(Cf::kChunks);
  head::MemSeries* s = nullptr;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    kv::ChunkRecord c;
    if (!kv::DecodeChunkRecord(it->key(), it->value(), &c)) {
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
  stored_version_ = kv::kFormatVersion;
  return absl::OkStatus();
}

}  // namespace tally::storage
