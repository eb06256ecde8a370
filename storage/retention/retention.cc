#include "storage/retention/retention.h"

#include <vector>

#include "storage/kv/key_codec.h"
#include "storage/util/status_macros.h"

namespace tally::storage::retention {
namespace {

using kv::Cf;

}  // namespace

absl::StatusOr<RetentionResult> DeleteBefore(head::Head* head, kv::RocksStore* store,
                                             int64_t cutoff_ms, kv::KvBatch* batch_out) {
  RetentionResult res;
  std::vector<head::MemSeries*> all;
  head->ForEach([&](head::MemSeries* s) { all.push_back(s); });

  kv::KvBatch& batch = *batch_out;
  std::vector<SeriesRef>& dead = res.dead;
  for (head::MemSeries* s : all) {
    bool head_data = false;
    {
      absl::MutexLock l(&s->mu);
      if (s->open && s->open->maxt < cutoff_ms) s->open.reset();
      if (s->ooo) {
        auto& v = s->ooo->samples;
        while (!v.empty() && v.front().t_ms < cutoff_ms) v.erase(v.begin());
        if (v.empty()) s->ooo.reset();
      }
      head_data = s->open != nullptr || s->ooo != nullptr || s->sealing != nullptr;
    }
    // Chunks of this series starting before the cutoff: the leading run that ends before
    // the cutoff goes with one range tombstone; any later straggler (an out-of-order chunk
    // behind a chunk that straddles the cutoff) with a point delete.
    const std::string begin = kv::ChunkSeekKey(s->ref, kMinTime);
    const std::string series_end = kv::SeriesKey(s->ref + 1);
    auto it = store->NewIterator(Cf::kChunks, series_end);
    bool in_run = true;
    std::string run_end;
    bool any_left = false;
    for (it->Seek(begin); it->Valid(); it->Next()) {
      kv::ChunkRecord c;
      if (!kv::DecodeChunkRecord(it->key(), it->value(), &c)) {
        return absl::DataLossError("corrupt data dir: malformed chunk record");
      }
      if (c.mint_ms >= cutoff_ms) {
        any_left = true;
        break;
      }
      if (c.maxt_ms < cutoff_ms) {
        ++res.chunks_deleted;
        res.samples_deleted += c.num_samples;
        if (in_run) {
          run_end.assign(it->key().data(), it->key().size());
          run_end.push_back('\0');  // just past this key
        } else {
          batch.Delete(Cf::kChunks, it->key());
        }
      } else {
        in_run = false;
        any_left = true;
      }
    }
    RETURN_IF_ERROR(it->status());
    if (!run_end.empty()) batch.DeleteRange(Cf::kChunks, begin, run_end);
    if (!any_left && !head_data && s->persisted) {
      Labels lset;
      kv::DecodeLabels(s->labels_enc, &lset);
      const std::string key = kv::SeriesKey(s->ref);
      batch.Delete(Cf::kSeries, key);
      batch.Delete(Cf::kState, key);
      for (const Label& l : lset) batch.Delete(Cf::kPostings, kv::PostingsKey(l.name, l.value, s->ref));
      dead.push_back(s->ref);
    }
  }
  return res;
}

}  // namespace tally::storage::retention
