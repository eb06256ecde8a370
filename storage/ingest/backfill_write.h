// Internal to Backfill: the write step of one window. Series are sharded over parallel
// Appenders (oneTBB, in the caller's arena); each series' samples are sorted by time
// (stable, so same-timestamp samples keep file order), exact duplicates (same timestamp and
// value) are dropped and samples are committed every options.commit_batch_samples. Stops
// early (rolling back uncommitted appends) when `stop` or options.cancel is set; sets
// `stop` on a DB error, which it returns. Samples vectors are released as they are written.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "storage/db.h"
#include "storage/ingest/backfill.h"
#include "tbb/task_arena.h"

namespace tally::storage::backfill_internal {

struct ShardTotals {
  CommitResult commit;
  int64_t exact_duplicates = 0;
  int64_t rejected_invalid = 0;
  std::string first_rejection;
};

void AddCommit(ShardTotals* t, const CommitResult& r);
void AddTotals(ShardTotals* t, const ShardTotals& o);

// The samples of one window, per series, in file order.
struct WindowSeries {
  absl::flat_hash_map<Labels, uint32_t> index;
  std::vector<Labels> labels;
  std::vector<std::vector<Sample>> samples;
};

absl::Status WriteWindow(DB& db, tbb::task_arena& arena, int threads,
                         const BackfillOptions& options, WindowSeries& ws,
                         std::atomic<bool>& stop, ShardTotals& totals);

}  // namespace tally::storage::backfill_internal
