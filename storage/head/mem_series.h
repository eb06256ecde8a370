// MemSeries: one series in the in-memory head — its identity (ref, compact labels), the
// open in-order XOR chunk with its appender, an optional out-of-order buffer, chunks sealed
// but not yet written, and the newest accepted sample.
//
// Concurrency: identity fields are immutable. The sample state is written only by the
// commit leader (which holds DBImpl's apply mutex) and only under `mu`; the leader may read
// it without `mu`. Queriers read it under `mu`. Fields marked "leader-only" are touched by
// the leader alone. Lifetime: owned by Head; freed only under the apply mutex and the
// stripe lock (see head.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/chunk/xor_chunk.h"
#include "storage/model/sample.h"

namespace tally::storage::head {

// Out-of-order samples of one series are buffered (sorted) up to this many, then written
// as one chunk (Prometheus compat: out_of_order_cap_max default 32).
inline constexpr int kOooCapacity = 32;

// The open in-order chunk. The appender points into `chunk`, so a HeadChunk never moves.
struct HeadChunk {
  HeadChunk(int64_t t, uint64_t seq) : mint(t), maxt(t), first_seq(seq) {}
  HeadChunk(const HeadChunk&) = delete;
  HeadChunk& operator=(const HeadChunk&) = delete;

  XorChunk chunk;
  XorAppender app{&chunk};
  int64_t mint;
  int64_t maxt;
  uint64_t first_seq;  // WAL record of the chunk's first sample (WAL truncation bound)
};

struct OooBuffer {
  std::vector<Sample> samples;  // sorted by t, unique t
  uint64_t first_seq = 0;       // WAL record of the oldest buffered sample
  uint64_t last_seq = 0;        // WAL position of the newest applied OOO sample
  uint32_t last_index = 0;
};

// A chunk that is sealed but whose RocksDB write has not completed; still served from
// memory so queries never miss it.
struct SealingChunk {
  int64_t mint;
  int64_t maxt;
  int num_samples;
  std::string bytes;
};

class MemSeries {
 public:
  MemSeries(SeriesRef r, uint64_t h, std::string enc)
      : ref(r), hash(h), labels_enc(std::move(enc)) {}

  const SeriesRef ref;
  const uint64_t hash;            // Labels::StableHash()
  const std::string labels_enc;   // kv::EncodeLabels form
  MemSeries* hash_next = nullptr;  // collision chain; guarded by the hash stripe's mutex

  mutable absl::Mutex mu;
  std::unique_ptr<HeadChunk> open;                     // null when no head samples
  std::unique_ptr<OooBuffer> ooo;                      // null when none buffered
  std::unique_ptr<std::vector<SealingChunk>> sealing;  // null when none pending
  int64_t last_t = kMinTime;  // newest in-order sample (head or persisted)
  uint64_t last_v_bits = 0;

  // Leader-only.
  bool persisted = false;         // series record + postings are in RocksDB
  uint64_t pend_epoch = 0;        // group in which pend_* were last initialised
  int64_t pend_t = kMinTime;      // last_t including samples accepted in this group
  uint64_t pend_v_bits = 0;
  int64_t persisted_t = kMinTime;  // maxt of the last sealed in-order chunk
  uint64_t persisted_v_bits = 0;
  uint64_t ooo_persisted_seq = 0;  // WAL position of the last sealed OOO sample
  uint32_t ooo_persisted_index = 0;
  bool state_dirty = false;        // persisted_* changed; state record to write
};

}  // namespace tally::storage::head
