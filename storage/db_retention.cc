// DBImpl: retention passes (see storage/retention/retention.h for the scan/apply split and
// docs/storage.md "Retention" for the policy).
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/types/span.h"
#include "storage/db_impl.h"
#include "storage/kv/key_codec.h"
#include "storage/retention/retention.h"
#include "storage/util/duration.h"
#include "storage/util/log.h"
#include "storage/util/status_macros.h"

namespace tally::storage {

using kv::Cf;

absl::Status DBImpl::ApplyRetention(int64_t now_ms) {
  RETURN_IF_ERROR(CheckWritable());
  absl::MutexLock pass(&retention_mu_);  // one pass at a time
  // Never measured from a point after the wall clock: a sample stamped far in the future
  // must not make the whole store "older than retention".
  const int64_t ref_ms = std::min(now_ms, NowMs());
  const int64_t cutoff =
      ref_ms < kMinTime + options_.retention_ms ? kMinTime : ref_ms - options_.retention_ms;

  // Whole buckets first: wholly expired ones, and the oldest ones while the dir is over
  // the size limit, go as one key range (their files are dropped, not compacted).
  // The size estimate counts the buckets' logical bytes; file overhead can leave the dir
  // just over the limit, so repeat (each round drops at least one more bucket).
  int64_t bucket_samples_dropped = 0;
  for (int64_t prev_end = kMinTime;;) {
    int64_t drop_end;
    {
      absl::MutexLock a(&apply_mu_);
      drop_end = DropBoundary(cutoff);
      if (drop_end == prev_end && options_.retention_size_bytes > 0 && !buckets_.empty() &&
          DataBytes() > options_.retention_size_bytes) {
        drop_end = buckets_.begin()->first + bucket_ms_;
      }
    }
    if (drop_end == kMinTime || drop_end == prev_end) break;
    ASSIGN_OR_RETURN(int64_t n, DropBucketsBefore(drop_end));
    bucket_samples_dropped += n;
    prev_end = drop_end;
    if (options_.retention_size_bytes <= 0) break;
  }

  // Scan without any DB lock: commits and queries proceed while the store is walked.
  std::vector<retention::ScanTarget> targets;
  targets.reserve(static_cast<size_t>(head_.num_series()));
  head_.ForEach([&](head::MemSeries* s) {
    absl::MutexLock l(&s->mu);
    targets.push_back(retention::ScanTarget{s->ref, s->disk_mint, s->disk_maxt});
  });
  ASSIGN_OR_RETURN(std::vector<retention::SeriesExpiry> expired,
                   retention::ScanExpired(store_.get(), bucket_ms_, targets, cutoff));
  if (options_.retention_scan_hook) options_.retention_scan_hook();

  // Delete in slices, each under the apply mutex for a bounded time.
  constexpr size_t kSlice = 4096;
  retention::RetentionResult total;
  const int64_t samples_before = disk_samples_.load();
  for (size_t i = 0; i < expired.size(); i += kSlice) {
    absl::Span<const retention::SeriesExpiry> slice =
        absl::MakeConstSpan(expired).subspan(i, std::min(kSlice, expired.size() - i));
    absl::MutexLock a(&apply_mu_);
    retention::RetentionResult res;
    kv::KvBatch batch(store_.get());
    RETURN_IF_ERROR(retention::ApplyExpired(&head_, store_.get(), bucket_ms_, slice, cutoff,
                                            &batch, &res));
    std::vector<std::pair<int64_t, kv::BucketStats>> new_totals;
    for (const auto& [bucket, d] : res.deleted_per_bucket) {
      auto it = buckets_.find(bucket);
      if (it == buckets_.end()) continue;
      kv::BucketStats bs = it->second;
      bs.chunks -= d.chunks;
      bs.samples -= d.samples;
      bs.bytes -= d.bytes;
      new_totals.emplace_back(bucket, bs);
      if (bs.chunks <= 0) {
        batch.Delete(Cf::kMeta, kv::BucketStatsKey(bucket));
      } else {
        batch.Put(Cf::kMeta, kv::BucketStatsKey(bucket), kv::EncodeBucketStats(bs));
      }
    }
    if (res.chunks_deleted > 0) {
      batch.Put(Cf::kMeta, kv::kStatsKey,
                EncodeDiskTotals(disk_chunks_.load() - res.chunks_deleted,
                                 disk_samples_.load() - res.samples_deleted));
    }
    if (batch.Count() > 0) RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
    for (const auto& [bucket, bs] : new_totals) {
      if (bs.chunks <= 0) {
        buckets_.erase(bucket);
      } else {
        buckets_[bucket] = bs;
      }
    }
    disk_chunks_.fetch_sub(res.chunks_deleted);
    disk_samples_.fetch_sub(res.samples_deleted);
    for (const auto& [ref, labels] : res.dead) head_.Remove(ref);
    postings_.Remove(res.dead);
    total.chunks_deleted += res.chunks_deleted;
    total.samples_deleted += res.samples_deleted;
    total.dead.insert(total.dead.end(), std::make_move_iterator(res.dead.begin()),
                      std::make_move_iterator(res.dead.end()));
    if (!res.first_deleted_key.empty() &&
        (total.first_deleted_key.empty() || res.first_deleted_key < total.first_deleted_key)) {
      total.first_deleted_key = res.first_deleted_key;
    }
    total.last_deleted_key = std::max(total.last_deleted_key, res.last_deleted_key);
  }
  {
    absl::MutexLock a(&apply_mu_);
    RETURN_IF_ERROR(TruncateWal());
  }
  if (total.chunks_deleted == 0 && total.dead.empty()) {
    if (bucket_samples_dropped > 0) RecomputeMinTime();
    return absl::OkStatus();
  }
  RecomputeMinTime();
  const int64_t kept = disk_samples_.load();
  if (total.samples_deleted > kept) {
    // Normal passes delete a few minutes' worth; deleting most of the store at once is
    // worth an operator's attention (retention lowered, or the clock jumped).
    TALLY_LOG(kWarn, "Retention deleted more samples than it kept",
              {{"deleted_samples", total.samples_deleted},
               {"kept_samples", kept},
               {"deleted_chunks", total.chunks_deleted},
               {"removed_series", static_cast<int64_t>(total.dead.size())},
               {"cutoff_ms", cutoff},
               {"retention", FormatDurationMs(options_.retention_ms)}});
  }
  // Tombstones hide data; compaction frees the space. Steady-state passes leave that to
  // RocksDB (tombstone-dense files are compacted in the background); a pass that removed
  // a large share (>= 1/4) of the samples compacts the deleted key range right away.
  if (total.samples_deleted * 4 < samples_before || total.first_deleted_key.empty()) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(store_->FlushMemtables());
  std::string end = total.last_deleted_key;
  end.push_back('\0');  // just past the last deleted key
  RETURN_IF_ERROR(store_->CompactRange(Cf::kChunks, total.first_deleted_key, end));
  if (!total.dead.empty()) {
    for (Cf cf : {Cf::kSeries, Cf::kState}) {
      RETURN_IF_ERROR(store_->CompactRange(cf, {}, {}));
    }
  }
  return absl::OkStatus();
}

}  // namespace tally::storage

namespace tally::storage {

int64_t DBImpl::DropBoundary(int64_t cutoff_ms) {
  int64_t end = kMinTime;
  auto it = buckets_.begin();
  // Wholly expired: every chunk in the bucket ended before the cutoff.
  for (; it != buckets_.end() && it->second.max_maxt < cutoff_ms; ++it) end = it->first + bucket_ms_;
  if (options_.retention_size_bytes <= 0) return end;
  // Size: Prometheus compat (--storage.tsdb.retention.size): the oldest data goes first,
  // whole blocks (here buckets) at a time, until the dir is under the limit.
  int64_t used = DataBytes();
  // Bucket totals count key and value bytes before RocksDB's compression of the chunks
  // family; scale them by the store's overall ratio so one pass drops about what is needed
  // rather than too little (a later pass would drop the rest).
  int64_t logical = 0;
  for (const auto& [b, bs] : buckets_) logical += bs.bytes;
  const double ratio =
      logical > 0 ? std::min(1.0, static_cast<double>(used) / static_cast<double>(logical)) : 1.0;
  auto on_disk = [ratio](const kv::BucketStats& bs) {
    return static_cast<int64_t>(static_cast<double>(bs.bytes) * ratio);
  };
  for (auto b = buckets_.begin(); b != it; ++b) used -= on_disk(b->second);
  for (; it != buckets_.end() && used > options_.retention_size_bytes; ++it) {
    used -= on_disk(it->second);
    end = it->first + bucket_ms_;
  }
  return end;
}

absl::StatusOr<int64_t> DBImpl::DropBucketsBefore(int64_t end) {
  absl::MutexLock a(&apply_mu_);
  if (buckets_.empty() || buckets_.begin()->first >= end) return 0;
  const int64_t first = buckets_.begin()->first;
  kv::KvBatch batch(store_.get());
  int64_t chunks = 0, samples = 0, buckets = 0;
  for (auto it = buckets_.begin(); it != buckets_.end() && it->first < end; ++it, ++buckets) {
    chunks += it->second.chunks;
    samples += it->second.samples;
    batch.Delete(Cf::kMeta, kv::BucketStatsKey(it->first));
  }
  const std::string lo = kv::BucketPrefix(first), hi = kv::BucketPrefix(end);
  batch.DeleteRange(Cf::kChunks, lo, hi);

  // Series that had chunks there: exact new bounds from their first chunk at or after `end`
  // (no chunk write runs: we hold the apply mutex), or none left.
  struct Update {
    head::MemSeries* s;
    int64_t mint, maxt;
  };
  std::vector<Update> updates;
  std::vector<std::pair<SeriesRef, Labels>> dead;
  std::unique_ptr<kv::KvIterator> it;
  absl::Status walk_status;
  head_.ForEach([&](head::MemSeries* s) {
    if (!walk_status.ok()) return;
    int64_t mint, maxt;
    bool head_data;
    {
      absl::MutexLock l(&s->mu);
      mint = s->disk_mint;
      maxt = s->disk_maxt;
      head_data = s->open != nullptr || s->ooo != nullptr || s->sealing != nullptr;
    }
    if (mint >= end) return;  // also kMaxTime: no chunks
    Update u{s, kMaxTime, kMinTime};
    if (maxt >= end) {
      u.maxt = maxt;
      if (it == nullptr) it = store_->NewPrefixIterator(Cf::kChunks);
      walk_status = retention::ForEachChunkIn(
          it.get(), bucket_ms_, s->ref, end, maxt,
          [&](kv::KvIterator* i) -> absl::StatusOr<bool> {
            kv::ChunkRecord c;
            if (!kv::DecodeChunkRecord(i->key(), i->value(), &c)) {
              return absl::DataLossError("corrupt data dir: malformed chunk record");
            }
            u.mint = c.mint_ms;
            return false;
          });
      if (u.mint == kMaxTime) u.maxt = kMinTime;  // stale bounds; nothing left after all
    }
    const std::string key = kv::SeriesKey(s->ref);
    if (u.mint == kMaxTime && !head_data && s->persisted) {
      Labels lset;
      kv::DecodeLabels(s->labels_enc, &lset);
      batch.Delete(Cf::kSeries, key);
      batch.Delete(Cf::kState, key);
      dead.emplace_back(s->ref, std::move(lset));
      return;
    }
    kv::SeriesState st;
    st.last_t = s->persisted_t;
    st.last_v_bits = s->persisted_v_bits;
    st.ooo_seq = s->ooo_persisted_seq;
    st.ooo_index = s->ooo_persisted_index;
    st.disk_mint = u.mint;
    st.disk_maxt = u.maxt;
    batch.Put(Cf::kState, key, kv::EncodeSeriesState(st));
    updates.push_back(u);
  });
  RETURN_IF_ERROR(walk_status);
  batch.Put(Cf::kMeta, kv::kStatsKey,
            EncodeDiskTotals(disk_chunks_.load() - chunks, disk_samples_.load() - samples));
  RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  for (const Update& u : updates) {
    absl::MutexLock l(&u.s->mu);
    u.s->disk_mint = u.mint;
    u.s->disk_maxt = u.maxt;
  }
  for (const auto& [ref, labels] : dead) head_.Remove(ref);
  postings_.Remove(dead);
  buckets_.erase(buckets_.begin(), buckets_.lower_bound(end));
  disk_chunks_.fetch_sub(chunks);
  disk_samples_.fetch_sub(samples);
  // Whole files inside the range go at once; the rest is compacted. Under the apply mutex
  // so that no chunk can be written into the range meanwhile (DropDeleted's requirement).
  RETURN_IF_ERROR(store_->FlushMemtables());
  RETURN_IF_ERROR(store_->DropDeleted(Cf::kChunks, lo, hi));
  TALLY_LOG(kInfo, "Retention dropped time buckets",
            {{"buckets", buckets},
             {"chunks", chunks},
             {"samples", samples},
             {"removed_series", static_cast<int64_t>(dead.size())},
             {"before_ms", end}});
  return samples;
}

int64_t DBImpl::DirBytes() const {
  int64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(options_.path, ec)) {
    std::error_code ec2;
    if (e.is_regular_file(ec2)) total += static_cast<int64_t>(e.file_size(ec2));
  }
  return total;
}

int64_t DBImpl::DataBytes() const {
  // What --storage.tsdb.retention.size limits (Prometheus counts its blocks, WAL and head
  // chunks): RocksDB's table files, write-ahead logs and manifest in the store's own
  // folder. Not counted: RocksDB's fixed OPTIONS/LOG files, and sub-folders such as
  // snapshots/ (a backup must never make retention delete data) and remote_write/ (the
  // forwarding queue has its own bound).
  int64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(options_.path, ec)) {
    std::error_code ec2;
    if (!e.is_regular_file(ec2)) continue;
    const std::string name = e.path().filename().string();
    if (absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".log") ||
        absl::StartsWith(name, "MANIFEST-")) {
      total += static_cast<int64_t>(e.file_size(ec2));
    }
  }
  return total;
}

}  // namespace tally::storage
