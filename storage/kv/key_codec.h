// Byte layouts of every key and value Tally stores in RocksDB (one column family each; the
// fuller description, with the reasons, is in docs/storage.md). Pure functions, thread-safe.
//
//   CF "meta"      "magic"              -> "TALLYDB" 0x00 | u32 BE format version
//                  "max_chunk_span"     -> u64 BE (largest chunk span ever allowed, ms)
//                  "chunk_id"           -> u64 BE (last chunk id handed out)
//                  "stats"              -> u64 BE chunks | u64 BE samples (persisted totals)
//                  "md" 0x00 metric     -> varint len|type, varint len|help, varint len|unit
//   CF "series"    ref (u64 BE)         -> labels: repeated (varint len|name, varint len|value)
//   CF "state"     ref (u64 BE)         -> persisted head state of the series (SeriesState):
//                  i64 last_t | u64 last_v_bits | u64 ooo_seq | u32 ooo_index |
//                  i64 disk_mint | i64 disk_maxt   (44 bytes, all BE; format 1: 28 bytes)
//   CF "postings"  format 1 only (format 2 keeps postings in memory and leaves it empty):
//                  name 0x00 esc(value) 0x00 ref (u64 BE)  -> ""  (one key per posting)
//                  esc(): 0x00 -> 0x01 0x01, 0x01 -> 0x01 0x02 (order-preserving, no 0x00)
//   CF "chunks"    ref (u64 BE) | ts(mint) (u64 BE, sign bit flipped) | chunk id (u64 BE)
//                  -> varint (maxt - mint) | varint num_samples | XOR chunk bytes
//   CF "wal"       seq (u64 BE)         -> WalRecord (see wal_record.h)
//
// Big-endian integers (and the flipped sign bit of timestamps) make byte order equal
// numeric order, so a series' chunks are contiguous and sorted by start time.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/model/labels.h"
#include "storage/model/sample.h"

namespace tally::storage::kv {

inline constexpr absl::string_view kMagicKey = "magic";
inline constexpr absl::string_view kMaxChunkSpanKey = "max_chunk_span";
inline constexpr absl::string_view kChunkIdKey = "chunk_id";
// u64 BE persisted chunks | u64 BE samples in them (updated with every chunk write/delete).
inline constexpr absl::string_view kStatsKey = "stats";
inline constexpr absl::string_view kMagic = absl::string_view("TALLYDB\0", 8);
// 2: series states carry disk bounds; postings live in memory only (docs/storage.md).
inline constexpr uint32_t kFormatVersion = 2;
// Older versions that opening migrates in place.
inline constexpr uint32_t kOldestMigratableVersion = 1;

// ---- series / state keys -------------------------------------------------------------
std::string SeriesKey(SeriesRef ref);
// False unless `key` is exactly 8 bytes.
bool DecodeSeriesKey(absl::string_view key, SeriesRef* ref);

// Compact label encoding used in the series CF and in the head (saves ~60% against
// Labels' vector of std::string pairs).
void EncodeLabels(const Labels& labels, std::string* out);
// False on a malformed encoding.
bool DecodeLabels(absl::string_view enc, Labels* out);
// True iff `enc` encodes exactly `labels` (no allocation).
bool EncodedLabelsEqual(absl::string_view enc, const Labels& labels);

// The persisted part of a series' head: the newest in-order sample already in a sealed
// chunk (t, v) and the WAL position up to which its out-of-order samples are sealed.
// Format 2 adds the time bounds of the series' persisted chunks (oldest chunk start,
// newest chunk end; kMaxTime/kMinTime when it has none), so "has samples in range" and the
// DB's min time need no chunk reads. Format-1 records (28 bytes) decode with
// has_bounds = false; opening migrates them.
struct SeriesState {
  int64_t last_t = kMinTime;
  uint64_t last_v_bits = 0;
  uint64_t ooo_seq = 0;    // WAL record seq ...
  uint32_t ooo_index = 0;  // ... and sample index in it of the last sealed OOO sample
  int64_t disk_mint = kMaxTime;
  int64_t disk_maxt = kMinTime;
  bool has_bounds = true;  // false for a format-1 record (not encoded)
};
std::string EncodeSeriesState(const SeriesState& s);
bool DecodeSeriesState(absl::string_view v, SeriesState* s);

// ---- postings ------------------------------------------------------------------------
// name 0x00 esc(value) 0x00 — the prefix of all postings of one (name, value).
std::string PostingsPrefix(absl::string_view name, absl::string_view value);
// name 0x00 — the prefix of all postings of one label name.
std::string PostingsNamePrefix(absl::string_view name);
std::string PostingsKey(absl::string_view name, absl::string_view value, SeriesRef ref);
// Splits a postings key. False if malformed.
bool DecodePostingsKey(absl::string_view key, std::string* name, std::string* value,
                       SeriesRef* ref);

// ---- chunks --------------------------------------------------------------------------
std::string ChunkKey(SeriesRef ref, int64_t mint_ms, uint64_t chunk_id);
// Lower bound for chunks of `ref` starting at or after mint_ms.
std::string ChunkSeekKey(SeriesRef ref, int64_t mint_ms);
bool DecodeChunkKey(absl::string_view key, SeriesRef* ref, int64_t* mint_ms,
                    uint64_t* chunk_id);
void EncodeChunkValue(int64_t mint_ms, int64_t maxt_ms, int num_samples,
                      absl::string_view xor_bytes, std::string* out);
// Decodes the header; *xor_bytes views into `value`.
bool DecodeChunkValue(absl::string_view value, int64_t mint_ms, int64_t* maxt_ms,
                      int* num_samples, absl::string_view* xor_bytes);

// One chunks-family record, key and value decoded; `bytes` views into the value.
struct ChunkRecord {
  SeriesRef ref = kInvalidSeriesRef;
  int64_t mint_ms = 0;
  int64_t maxt_ms = 0;
  uint64_t chunk_id = 0;
  int num_samples = 0;
  absl::string_view bytes;
};
// False when either half is malformed (callers report DataLoss).
bool DecodeChunkRecord(absl::string_view key, absl::string_view value, ChunkRecord* out);

// ---- wal / meta ----------------------------------------------------------------------
std::string WalKey(uint64_t seq);
bool DecodeWalKey(absl::string_view key, uint64_t* seq);
std::string MetadataKey(absl::string_view metric);
inline constexpr absl::string_view kMetadataPrefix = absl::string_view("md\0", 3);
std::string EncodeU64(uint64_t v);
bool DecodeU64(absl::string_view v, uint64_t* out);

}  // namespace tally::storage::kv
