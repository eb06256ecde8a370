// Reads one series' samples across the head (open chunk, chunks being sealed, the
// out-of-order buffer) and the persisted chunks, merged into time order with duplicate
// timestamps dropped (the first source wins: persisted, then head).
//
// Consistency: the head is read first (under the series' stripe lock and its own lock; the
// open chunk is decoded in place, never shared with the appender), then RocksDB. A chunk
// sealed in between shows up in both and is deduplicated, so nothing is missed. That is
// also why each call creates its own RocksDB iterator after reading the head: an iterator
// created earlier (shared across series) is a snapshot that can miss a chunk written, and
// dropped from the head, after its creation.
// Isolation: `visible` is the reader's commit bound (DBImpl::OpenRead). Samples of later
// commits are left out: in-order samples above the series' last_t as of that commit, in
// the head and in persisted chunks alike (MemSeries::VisibleMaxT). Out-of-order samples are
// not isolated (as in Prometheus 2.42).
// Persisted chunks are read only when the range overlaps the series' disk bounds
// (MemSeries::disk_mint/disk_maxt, read under the same lock as the head), so a range
// outside them costs no I/O; a range that contains either bound has a sample without I/O.
// Thread-safety: both functions are thread-safe; a ChunkCursor is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/db_impl.h"
#include "storage/model/sample.h"

namespace tally::storage::query {

// One RocksDB iterator over the chunks family reused across the series of one selection
// (creating an iterator costs more than a seek). An iterator is a snapshot, so it may miss
// a chunk written after its creation; Get() re-creates it whenever a chunk write completed
// since (ReadContext::chunk_writes), which keeps the head-then-RocksDB order safe.
class ChunkCursor {
 public:
  explicit ChunkCursor(const ReadContext* ctx) : ctx_(ctx) {}
  // REQUIRES: called after the series' head state was read.
  kv::KvIterator* Get();

 private:
  const ReadContext* ctx_;
  uint64_t epoch_ = 0;
  std::unique_ptr<kv::KvIterator> it_;
};

// Appends the samples with mint_ms <= t <= maxt_ms to *out in time order. Grows *out and
// allocates nothing else on the common path. DataLoss on a corrupt chunk.
absl::Status ReadSeriesSamples(const ReadContext& ctx, SeriesRef ref, uint64_t visible,
                               int64_t mint_ms, int64_t maxt_ms, std::vector<Sample>* out);

// Whether the series has at least one sample in [mint_ms, maxt_ms].
// `cursor` (optional) reuses one iterator across calls from one thread.
absl::StatusOr<bool> SeriesHasSamples(const ReadContext& ctx, SeriesRef ref, uint64_t visible,
                                      int64_t mint_ms, int64_t maxt_ms,
                                      ChunkCursor* cursor = nullptr);

}  // namespace tally::storage::query
