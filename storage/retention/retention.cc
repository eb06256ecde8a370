#include "storage/retention/retention.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "storage/kv/key_codec.h"
#include "storage/util/status_macros.h"

namespace tally::storage::retention {
namespace {

using kv::Cf;

bool HasPrefix(absl::string_view key, absl::string_view prefix) {
  return key.size() >= prefix.size() && key.substr(0, prefix.size()) == prefix;
}

}  // namespace

absl::Status ForEachChunkIn(kv::KvIterator* it, int64_t bucket_ms, SeriesRef ref,
                            int64_t from_ms, int64_t to_ms,
                            const std::function<absl::StatusOr<bool>(kv::KvIterator*)>& fn) {
  if (from_ms > to_ms) return absl::OkStatus();
  for (int64_t b = kv::BucketStart(from_ms, bucket_ms); b <= to_ms;) {
    const std::string prefix = kv::BucketSeriesPrefix(b, ref);
    for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
      ASSIGN_OR_RETURN(bool more, fn(it));
      if (!more) return absl::OkStatus();
    }
    RETURN_IF_ERROR(it->status());
    if (__builtin_add_overflow(b, bucket_ms, &b)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SeriesExpiry>> ScanExpired(kv::RocksStore* store, int64_t bucket_ms,
                                                      absl::Span<const ScanTarget> targets,
                                                      int64_t cutoff_ms) {
  std::vector<SeriesExpiry> out;
  // One iterator for the whole scan (creating one per series costs more than the seek).
  std::unique_ptr<kv::KvIterator> it;
  for (const ScanTarget& target : targets) {
    SeriesExpiry e;
    e.ref = target.ref;
    if (target.disk_mint == kMaxTime) {  // no chunks: a removal candidate, checked later
      out.push_back(std::move(e));
      continue;
    }
    if (target.disk_mint >= cutoff_ms) continue;  // its oldest chunk is not expired
    // The bounds are exact: a chunk ending at or after the cutoff survives.
    e.chunks_left = target.disk_maxt >= cutoff_ms;
    if (it == nullptr) it = store->NewPrefixIterator(Cf::kChunks);
    RETURN_IF_ERROR(ForEachChunkIn(
        it.get(), bucket_ms, target.ref, target.disk_mint, cutoff_ms - 1,
        [&](kv::KvIterator* i) -> absl::StatusOr<bool> {
          kv::ChunkRecord c;
          if (!kv::DecodeChunkRecord(i->key(), i->value(), &c) || c.ref != target.ref) {
            return absl::DataLossError("corrupt data dir: malformed chunk record");
          }
          if (c.mint_ms >= cutoff_ms) return false;  // sorted by mint: none later expires
          if (c.maxt_ms < cutoff_ms) {
            e.chunk_keys.emplace_back(i->key());
            e.chunk_bytes.push_back(static_cast<int64_t>(i->key().size() + i->value().size()));
            e.chunk_samples.push_back(c.num_samples);
            e.samples += c.num_samples;
          }
          return true;
        }));
    if (!e.chunk_keys.empty() || !e.chunks_left) out.push_back(std::move(e));
  }
  return out;
}

absl::Status ApplyExpired(head::Head* head, kv::RocksStore* store, int64_t bucket_ms,
                          absl::Span<const SeriesExpiry> expired, int64_t cutoff_ms,
                          kv::KvBatch* batch, RetentionResult* res) {
  std::unique_ptr<kv::KvIterator> walk;
  for (const SeriesExpiry& e : expired) {
    head::MemSeries* s = head->Find(e.ref);
    if (s == nullptr) continue;
    bool head_data = false;
    {
      absl::MutexLock l(&s->mu);
      if (s->open && s->open->maxt < cutoff_ms) s->open.reset();
      if (s->ooo) {
        auto& v = s->ooo->samples;
        auto keep = std::lower_bound(v.begin(), v.end(), cutoff_ms,
                                     [](const Sample& a, int64_t t) { return a.t_ms < t; });
        v.erase(v.begin(), keep);
        if (v.empty()) s->ooo.reset();
      }
      head_data = s->open != nullptr || s->ooo != nullptr || s->sealing != nullptr;
    }
    for (size_t k = 0; k < e.chunk_keys.size(); ++k) {
      const std::string& key = e.chunk_keys[k];
      batch->Delete(Cf::kChunks, key);
      int64_t bucket, mint;
      SeriesRef r;
      uint64_t id;
      kv::DecodeChunkKey(key, &bucket, &r, &mint, &id);
      kv::BucketStats& d = res->deleted_per_bucket[bucket];
      ++d.chunks;
      d.samples += e.chunk_samples[k];
      d.bytes += e.chunk_bytes[k];
      if (res->first_deleted_key.empty() || key < res->first_deleted_key) {
        res->first_deleted_key = key;
      }
      if (key > res->last_deleted_key) res->last_deleted_key = key;
    }
    res->chunks_deleted += static_cast<int64_t>(e.chunk_keys.size());
    res->samples_deleted += e.samples;
    // Chunks are only written under the apply mutex, which we hold: one walk over the
    // series' chunks other than the doomed ones gives its exact new disk bounds and tells
    // whether a chunk appeared since the scan (the series took samples and was flushed).
    // Nothing deleted and not removable: nothing to do.
    if (e.chunk_keys.empty() && (head_data || !s->persisted)) continue;
    const std::string prefix = kv::SeriesKey(e.ref);
    int64_t new_mint = kMaxTime, new_maxt = kMinTime;
    if (!e.chunk_keys.empty() || !e.chunks_left) {
      absl::flat_hash_set<absl::string_view> doomed(e.chunk_keys.begin(), e.chunk_keys.end());
      int64_t from, to;
      {
        absl::MutexLock l(&s->mu);  // current bounds: chunks written since the scan count
        from = s->disk_mint;
        to = s->disk_maxt;
      }
      // No chunk write runs while we hold the apply mutex: one iterator serves every walk.
      if (walk == nullptr) walk = store->NewPrefixIterator(Cf::kChunks);
      RETURN_IF_ERROR(ForEachChunkIn(
          walk.get(), bucket_ms, e.ref, from, to,
          [&](kv::KvIterator* i) -> absl::StatusOr<bool> {
            if (doomed.contains(i->key())) return true;
            kv::ChunkRecord c;
            if (!kv::DecodeChunkRecord(i->key(), i->value(), &c)) {
              return absl::DataLossError("corrupt data dir: malformed chunk record");
            }
            new_mint = std::min(new_mint, c.mint_ms);
            new_maxt = std::max(new_maxt, c.maxt_ms);
            // The newest chunk survives when some chunk straddles or follows the cutoff.
            return !e.chunks_left;
          }));
    }
    const bool other_chunk = new_mint != kMaxTime;
    if (!other_chunk && !head_data && s->persisted) {
      Labels lset;
      kv::DecodeLabels(s->labels_enc, &lset);
      batch->Delete(Cf::kSeries, prefix);
      batch->Delete(Cf::kState, prefix);
      res->dead.emplace_back(e.ref, std::move(lset));
      continue;
    }
    if (e.chunk_keys.empty()) continue;  // bounds unchanged
    {
      absl::MutexLock l(&s->mu);
      s->disk_mint = new_mint;
      if (!e.chunks_left) s->disk_maxt = new_maxt;
    }
    kv::SeriesState st;
    st.last_t = s->persisted_t;
    st.last_v_bits = s->persisted_v_bits;
    st.ooo_seq = s->ooo_persisted_seq;
    st.ooo_index = s->ooo_persisted_index;
    st.disk_mint = s->disk_mint;
    st.disk_maxt = s->disk_maxt;
    batch->Put(Cf::kState, prefix, kv::EncodeSeriesState(st));
  }
  return absl::OkStatus();
}

}  // namespace tally::storage::retention
