// Time-based retention in two steps, so that a pass never holds up the commit path while it
// walks the store:
//
//  1. ScanExpired (no DB lock): for each series, the persisted chunks whose newest sample is
//     older than the cutoff, found with one seek per series on a single RocksDB iterator
//     (the scan stops at the first chunk starting at or after the cutoff).
//  2. ApplyExpired (under the DB's apply mutex, a bounded slice of series at a time): drops
//     head data older than the cutoff, point-deletes exactly the chunk keys the scan found
//     (chunk keys are never rewritten, so a key found expired is still expired, and a chunk
//     written meanwhile is never hit), and removes series left without any data (series
//     record, state and postings), re-checking under the mutex that no chunk was written
//     for them since the scan.
//
// Space: the deletions are tombstones; RocksDB drops the data when compaction reaches it
// (the chunks family marks tombstone-dense files for compaction). The DB compacts
// explicitly only after a pass that deleted a large share of the data.
//
// Thread-safety: ScanExpired may run concurrently with commits and queries. ApplyExpired
// REQUIRES the DB's apply mutex (no commit runs concurrently); queriers are safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/head/head.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/rocksdb_store.h"

namespace tally::storage::retention {

// What the scan found for one series.
struct SeriesExpiry {
  SeriesRef ref = kInvalidSeriesRef;
  std::vector<std::string> chunk_keys;  // expired chunks (maxt < cutoff)
  std::vector<int64_t> chunk_bytes;     // key + value bytes of each, for the bucket totals
  std::vector<int> chunk_samples;       // samples of each
  int64_t samples = 0;                  // in those chunks
  bool chunks_left = false;             // some persisted chunk survives the cutoff
};

// A series to scan and the start of its oldest persisted chunk (MemSeries::disk_mint as
// read before the scan; kMaxTime: none).
struct ScanTarget {
  SeriesRef ref;
  int64_t disk_mint;
  int64_t disk_maxt;
};

// Calls fn(iterator at a chunk) for every persisted chunk of `ref` starting in
// [from_ms, to_ms], bucket by bucket (one seek per bucket), until fn returns false.
// `it` may be a RocksStore::NewPrefixIterator (each seek stays in one bucket and series).
absl::Status ForEachChunkIn(kv::KvIterator* it, int64_t bucket_ms, SeriesRef ref,
                            int64_t from_ms, int64_t to_ms,
                            const std::function<absl::StatusOr<bool>(kv::KvIterator*)>& fn);

// One entry per series of `targets` that has expired chunks or no chunks left at all (a
// candidate for removal); series with nothing to do are left out. Series whose oldest
// chunk starts at or after the cutoff cost no I/O.
absl::StatusOr<std::vector<SeriesExpiry>> ScanExpired(kv::RocksStore* store, int64_t bucket_ms,
                                                      absl::Span<const ScanTarget> targets,
                                                      int64_t cutoff_ms);

struct RetentionResult {
  int64_t chunks_deleted = 0;
  int64_t samples_deleted = 0;     // in deleted chunks
  // Series to remove from the head and the postings once the batch is written.
  std::vector<std::pair<SeriesRef, Labels>> dead;
  // Per bucket: chunks, samples and bytes deleted (subtract from the bucket totals).
  absl::btree_map<int64_t, kv::BucketStats> deleted_per_bucket;
  std::string first_deleted_key;   // smallest and largest deleted chunk keys (compaction range)
  std::string last_deleted_key;
};

// Adds the deletions for `expired` to *batch and accumulates into *res. The caller writes
// the batch, then removes res->dead from the head. REQUIRES: the DB's apply mutex.
absl::Status ApplyExpired(head::Head* head, kv::RocksStore* store, int64_t bucket_ms,
                          absl::Span<const SeriesExpiry> expired, int64_t cutoff_ms,
                          kv::KvBatch* batch, RetentionResult* res);

}  // namespace tally::storage::retention
