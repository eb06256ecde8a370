// Time-based retention: deletes every chunk whose newest sample is older than a cutoff,
// drops head data older than it, and removes series left without any data (series record,
// state and postings). The deletions go into the caller's batch; after writing it the
// caller removes `dead` from the head. Compaction that returns the space to the file
// system is the caller's job too (DBImpl compacts after a deletion, outside its apply
// mutex).
//
// Thread-safety: REQUIRES the caller to hold the DB's apply mutex (no commit runs
// concurrently); concurrent queriers are safe (they read the head under stripe locks and
// RocksDB through iterators).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/head/head.h"
#include "storage/kv/rocksdb_store.h"

namespace tally::storage::retention {

struct RetentionResult {
  int64_t chunks_deleted = 0;
  int64_t samples_deleted = 0;     // in deleted chunks
  std::vector<SeriesRef> dead;     // series to remove from the head once the batch is written
};

absl::StatusOr<RetentionResult> DeleteBefore(head::Head* head, kv::RocksStore* store,
                                             int64_t cutoff_ms, kv::KvBatch* batch);

}  // namespace tally::storage::retention
