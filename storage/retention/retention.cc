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

absl::StatusOr<std::vector<SeriesExpiry>> ScanExpired(kv::RocksStore* store,
                                                      absl::Span<const SeriesRef> refs,
                                                      int64_t cutoff_ms) {
  std::vector<SeriesExpiry> out;
  // One iterator for the whole scan (creating one per series costs more than the seek).
  auto it = store->NewIterator(Cf::kChunks);
  for (SeriesRef ref : refs) {
    const std::string prefix = kv::SeriesKey(ref);
    SeriesExpiry e;
    e.ref = ref;
    for (it->Seek(kv::ChunkSeekKey(ref, kMinTime)); it->Valid(); it->Next()) {
      if (!HasPrefix(it->key(), prefix)) break;
      kv::ChunkRecord c;
      if (!kv::DecodeChunkRecord(it->key(), it->value(), &c) || c.ref != ref) {
        return absl::DataLossError("corrupt data dir: malformed chunk record");
      }
      if (c.mint_ms >= cutoff_ms) {  // chunks are sorted by mint: none later can expire
        e.chunks_left = true;
        break;
      }
      if (c.maxt_ms < cutoff_ms) {
        e.chunk_keys.emplace_back(it->key());
        e.samples += c.num_samples;
      } else {
        e.chunks_left = true;  // straddles the cutoff; an out-of-order chunk behind it may not
      }
    }
    RETURN_IF_ERROR(it->status());
    if (!e.chunk_keys.empty() || !e.chunks_left) out.push_back(std::move(e));
  }
  return out;
}

absl::Status ApplyExpired(head::Head* head, kv::RocksStore* store,
                          absl::Span<const SeriesExpiry> expired, int64_t cutoff_ms,
                          kv::KvBatch* batch, RetentionResult* res) {
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
    for (const std::string& key : e.chunk_keys) {
      batch->Delete(Cf::kChunks, key);
      if (res->first_deleted_key.empty() || key < res->first_deleted_key) {
        res->first_deleted_key = key;
      }
      if (key > res->last_deleted_key) res->last_deleted_key = key;
    }
    res->chunks_deleted += static_cast<int64_t>(e.chunk_keys.size());
    res->samples_deleted += e.samples;
    if (e.chunks_left || head_data || !s->persisted) continue;
    // A removal candidate. Chunks are only written under the apply mutex, which we hold:
    // one seek tells whether a chunk other than the ones being deleted appeared since the
    // scan (the series took samples and was flushed meanwhile).
    const std::string prefix = kv::SeriesKey(e.ref);
    auto it = store->NewIterator(Cf::kChunks, kv::SeriesKey(e.ref + 1));
    bool other_chunk = false;
    if (!e.chunk_keys.empty()) {
      absl::flat_hash_set<absl::string_view> doomed(e.chunk_keys.begin(), e.chunk_keys.end());
      for (it->Seek(prefix); it->Valid(); it->Next()) {
        if (!doomed.contains(it->key())) {
          other_chunk = true;
          break;
        }
      }
    } else {
      it->Seek(prefix);
      other_chunk = it->Valid();
    }
    RETURN_IF_ERROR(it->status());
    if (other_chunk) continue;
    Labels lset;
    kv::DecodeLabels(s->labels_enc, &lset);
    batch->Delete(Cf::kSeries, prefix);
    batch->Delete(Cf::kState, prefix);
    for (const Label& l : lset) {
      batch->Delete(Cf::kPostings, kv::PostingsKey(l.name, l.value, s->ref));
    }
    res->dead.push_back(e.ref);
  }
  return absl::OkStatus();
}

}  // namespace tally::storage::retention
