// MemSeries: one series in the in-memory head — its identity (ref, compact labels), the
// open in-order XOR chunk with its appender, an optional out-of-order buffer, chunks sealed
// but not yet written, and the newest accepted sample.
//
// Concurrency: identity fields are immutable. The sample state is written only by the
// commit leader (which holds DBImpl's apply mutex) and only under `mu`; the leader may read
// it without `mu`. Queriers read it under `mu`. Fields marked "leader-only" are touched by
// the leader alone. Lifetime: owned by Head; freed only under the apply mutex and the
// stripe lock (see head.h).
//
// Isolation (docs/storage.md): a Querier sees the commits published before it was created
// and none after. In-order samples only grow in time, so "the samples of commits <= B" is
// "the samples up to the series' last_t as it was after commit B": `iso_*` remember, for
// each commit that appended in-order samples here and may still be hidden from an open
// Querier, the last_t before it (VisibleMaxT). Out-of-order samples are not isolated, as in
// Prometheus 2.42.
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
// One commit that appended in-order samples to a series, and the series' last_t before it.
struct IsoMark {
  uint64_t commit;
  int64_t prev_t;
};

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
  const uint64_t hash;            // Head::HashEncoded(labels_enc)
  const std::string labels_enc;   // kv::EncodeLabels form
  MemSeries* hash_next = nullptr;  // collision chain; guarded by the hash stripe's mutex

  mutable absl::Mutex mu;
  std::unique_ptr<HeadChunk> open;                     // null when no head samples
  std::unique_ptr<OooBuffer> ooo;                      // null when none buffered
  std::unique_ptr<std::vector<SealingChunk>> sealing;  // null when none pending
  int64_t last_t = kMinTime;  // newest in-order sample (head or persisted)
  uint64_t last_v_bits = 0;
  // Exact time bounds of the persisted chunks: the oldest chunk's start and the newest
  // chunk's end (kMaxTime/kMinTime: none). Written under `mu` by the leader once a chunk
  // write has completed (in the same critical section that drops it from `sealing`, so a
  // reader sees each chunk in one place or the other) and by retention. Lets readers answer
  // "has samples in range" and skip RocksDB for ranges outside them (docs/storage.md).
  int64_t disk_mint = kMaxTime;
  int64_t disk_maxt = kMinTime;
  // Isolation marks, written under `mu` by the leader (NoteCommit), read by queriers.
  IsoMark iso_last{0, kMinTime};  // newest commit with an in-order sample here
  std::unique_ptr<std::vector<IsoMark>> iso_older;  // older marks still needed, oldest first

  // The newest timestamp a Querier that sees commits <= `visible` may return from this
  // series, in the head and in persisted chunks alike. REQUIRES: mu held; `visible` >= the
  // low watermark passed to every NoteCommit since the Querier registered.
  int64_t VisibleMaxT(uint64_t visible) const {
    // Everything here is visible, but not what later commits may seal and persist before
    // the reader gets to the persisted chunks: bound by the newest sample now.
    if (iso_last.commit <= visible) return last_t;
    if (iso_older) {
      for (const IsoMark& m : *iso_older) {
        if (m.commit > visible) return m.prev_t;
      }
    }
    return iso_last.prev_t;
  }
  // Called by the leader before commit `commit` appends an in-order sample (first time per
  // commit does the work). `low` is the oldest commit bound of any open Querier: marks at or
  // below it can no longer hide anything and are dropped. REQUIRES: mu held.
  void NoteCommit(uint64_t commit, uint64_t low) {
    if (iso_last.commit == commit) return;
    if (iso_older) {
      auto& v = *iso_older;
      size_t drop = 0;
      while (drop < v.size() && v[drop].commit <= low) ++drop;
      v.erase(v.begin(), v.begin() + drop);
    }
    if (iso_last.commit > low) {
      if (!iso_older) iso_older = std::make_unique<std::vector<IsoMark>>();
      iso_older->push_back(iso_last);
    }
    if (iso_older && iso_older->empty()) iso_older.reset();
    iso_last = IsoMark{commit, last_t};
  }

  // Leader-only.
  uint64_t pend_epoch = 0;        // group in which pend_* were last initialised
  int64_t pend_t = kMinTime;      // last_t including samples accepted in this group
  uint64_t pend_v_bits = 0;
  int64_t persisted_t = kMinTime;  // maxt of the last sealed in-order chunk
  uint64_t persisted_v_bits = 0;
  uint64_t ooo_persisted_seq = 0;  // WAL position of the last sealed OOO sample
  uint32_t ooo_persisted_index = 0;
  bool persisted = false;          // series record + postings are in RocksDB
  bool state_dirty = false;        // persisted_* changed; state record to write
};

}  // namespace tally::storage::head
