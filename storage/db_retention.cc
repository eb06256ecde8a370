// DBImpl: retention passes (see storage/retention/retention.h for the scan/apply split and
// docs/storage.md "Retention" for the policy).
#include <algorithm>
#include <string>
#include <vector>

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

  // Scan without any DB lock: commits and queries proceed while the store is walked.
  std::vector<retention::ScanTarget> targets;
  targets.reserve(static_cast<size_t>(head_.num_series()));
  head_.ForEach([&](head::MemSeries* s) {
    absl::MutexLock l(&s->mu);
    targets.push_back(retention::ScanTarget{s->ref, s->disk_mint});
  });
  ASSIGN_OR_RETURN(std::vector<retention::SeriesExpiry> expired,
                   retention::ScanExpired(store_.get(), targets, cutoff));
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
    RETURN_IF_ERROR(retention::ApplyExpired(&head_, store_.get(), slice, cutoff, &batch, &res));
    if (res.chunks_deleted > 0) {
      batch.Put(Cf::kMeta, kv::kStatsKey,
                EncodeDiskTotals(disk_chunks_.load() - res.chunks_deleted,
                                 disk_samples_.load() - res.samples_deleted));
    }
    if (batch.Count() > 0) RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
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
  if (total.chunks_deleted == 0 && total.dead.empty()) return absl::OkStatus();
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
