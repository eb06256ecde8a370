// DBImpl's accounting: Stats(), the persisted chunk/sample totals behind it, and the
// min-time recomputation used at open and after retention, and GetWriteHealth().
#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "storage/chunk/chunk.h"
#include "storage/db_impl.h"
#include "storage/kv/key_codec.h"
#include "storage/util/status_macros.h"

namespace tally::storage {

namespace fs = std::filesystem;
using kv::Cf;

void DBImpl::RecomputeMinTime() {
  // No I/O: each series keeps the exact bounds of its persisted chunks.
  int64_t min_t = kMaxTime;
  head_.ForEach([&](head::MemSeries* s) {
    absl::MutexLock l(&s->mu);
    min_t = std::min(min_t, s->disk_mint);
    if (s->open) min_t = std::min(min_t, s->open->mint);
    if (s->ooo && !s->ooo->samples.empty()) min_t = std::min(min_t, s->ooo->samples[0].t_ms);
    if (s->sealing) {
      for (const auto& c : *s->sealing) min_t = std::min(min_t, c.mint);
    }
  });
  min_time_.store(min_t);
}

std::string DBImpl::EncodeDiskTotals(int64_t chunks, int64_t samples) const {
  std::string v = kv::EncodeU64(static_cast<uint64_t>(chunks));
  v += kv::EncodeU64(static_cast<uint64_t>(samples));
  return v;
}

absl::Status DBImpl::LoadDiskTotals() {
  if (auto v = store_->Get(Cf::kMeta, kv::kStatsKey); v.ok()) {
    uint64_t chunks, samples;
    if (v->size() != 16 || !kv::DecodeU64(absl::string_view(*v).substr(0, 8), &chunks) ||
        !kv::DecodeU64(absl::string_view(*v).substr(8), &samples)) {
      return absl::DataLossError("corrupt data dir: bad meta stats record");
    }
    disk_chunks_.store(static_cast<int64_t>(chunks));
    disk_samples_.store(static_cast<int64_t>(samples));
    return absl::OkStatus();
  } else if (!absl::IsNotFound(v.status())) {
    return v.status();
  }
  // No totals yet: a new dir (an old one is recounted by the migration).
  return absl::OkStatus();
}

absl::Status DBImpl::LoadBucketStats() {
  std::string upper(kv::kBucketStatsPrefix);
  upper.back() = '\x01';
  auto it = store_->NewIterator(Cf::kMeta, upper);
  for (it->Seek(kv::kBucketStatsPrefix); it->Valid(); it->Next()) {
    int64_t bucket;
    kv::BucketStats bs;
    if (!kv::DecodeBucketStats(it->key(), it->value(), &bucket, &bs)) {
      return absl::DataLossError("corrupt data dir: malformed bucket totals record");
    }
    buckets_[bucket] = bs;
  }
  return it->status();
}

absl::StatusOr<ChunkUsage> DBImpl::PersistedChunkUsage() {
  absl::flat_hash_map<SeriesRef, std::string> metric_of;  // filled lazily, one per series
  std::map<std::string, ChunkGroupUsage> by_metric, by_encoding;
  auto add = [](std::map<std::string, ChunkGroupUsage>& m, absl::string_view key,
                const kv::ChunkRecord& c, int64_t bytes) {
    ChunkGroupUsage& u = m[std::string(key)];
    ++u.chunks;
    u.samples += c.num_samples;
    u.bytes += bytes;
  };
  auto it = store_->NewIterator(Cf::kChunks);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    kv::ChunkRecord c;
    if (!kv::DecodeChunkRecord(it->key(), it->value(), &c)) {
      return absl::DataLossError("corrupt data dir: malformed chunk record");
    }
    auto [m, inserted] = metric_of.try_emplace(c.ref);
    if (inserted) {
      head_.WithSeries(c.ref, [&](const head::MemSeries* s) {
        Labels l;
        if (s != nullptr && kv::DecodeLabels(s->labels_enc, &l)) {
          m->second = std::string(l.MetricName());
        }
      });
      if (m->second.empty()) m->second = "(unknown series)";
    }
    const int64_t bytes = static_cast<int64_t>(it->value().size());
    add(by_metric, m->second, c, bytes);
    add(by_encoding, EncodingName(c.bytes), c, bytes);
  }
  RETURN_IF_ERROR(it->status());
  auto sorted = [](std::map<std::string, ChunkGroupUsage>& m) {
    std::vector<ChunkGroupUsage> v;
    for (auto& [k, u] : m) {
      u.group = k;
      v.push_back(std::move(u));
    }
    std::stable_sort(v.begin(), v.end(), [](const ChunkGroupUsage& a, const ChunkGroupUsage& b) {
      return a.bytes > b.bytes;
    });
    return v;
  };
  ChunkUsage out;
  out.by_metric = sorted(by_metric);
  out.by_encoding = sorted(by_encoding);
  return out;
}

absl::StatusOr<DBStats> DBImpl::Stats(int top_label_names) {
  // Cheap enough for every /metrics scrape: one pass over the head, persisted totals from
  // counters, a directory listing; the postings scan only when label names are asked for.
  DBStats st;
  st.num_series = head_.num_series();
  head_.ForEach([&](head::MemSeries* s) {
    absl::MutexLock l(&s->mu);
    if (s->open) {
      ++st.head_series;
      ++st.num_chunks;
      st.num_samples += s->open->chunk.num_samples();
    }
    if (s->sealing) {
      for (const auto& c : *s->sealing) {
        ++st.num_chunks;
        st.num_samples += c.num_samples;
      }
    }
    if (s->ooo && !s->ooo->samples.empty()) {
      ++st.num_chunks;
      st.num_samples += static_cast<int64_t>(s->ooo->samples.size());
    }
  });
  st.num_chunks += disk_chunks_.load();
  st.num_samples += disk_samples_.load();
  if (st.num_samples > 0) {
    st.min_time_ms = min_time();
    st.max_time_ms = max_time();
  }

  st.bytes_on_disk = DirBytes();
  st.head_memory_bytes = head_.MemoryBytes() + postings_.MemoryBytes();

  if (top_label_names != 0) {
    for (auto& c : postings_.Cardinality()) {
      st.label_names.push_back(LabelCardinality{std::move(c.name), c.values, c.series});
    }
  }
  std::sort(st.label_names.begin(), st.label_names.end(),
            [](const LabelCardinality& a, const LabelCardinality& b) {
              if (a.values != b.values) return a.values > b.values;
              return a.name < b.name;
            });
  if (top_label_names >= 0 && st.label_names.size() > static_cast<size_t>(top_label_names)) {
    st.label_names.resize(top_label_names);
  }
  st.rejected_out_of_order = rejected_ooo_.load();
  st.rejected_duplicate = rejected_dup_.load();
  st.rejected_too_old = rejected_too_old_.load();
  st.rejected_too_far_in_future = rejected_future_.load();
  return st;
}

WriteHealth DBImpl::GetWriteHealth() const {
  if (options_.read_only) return WriteHealth{false, "data dir opened read-only"};
  kv::RocksStore::Health h = store_->health();
  return WriteHealth{h.writable, std::move(h.reason)};
}

}  // namespace tally::storage
