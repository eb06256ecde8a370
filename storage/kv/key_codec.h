// Byte layouts of every key and value Tally stores in RocksDB (one column family each; the
// fuller description, with the reasons, is in docs/storage.md). Pure functions, thread-safe.
//
//   CF "meta"      "magic"              -> "TALLYDB" 0x00 | u32 BE format version
//                  "max_chunk_span"     -> u64 BE (largest chunk span ever allowed, ms)
//                  "chunk_id"           -> u64 BE (last chunk id handed out)
//                  "stats"              -> u64 BE chunks | u64 BE samples (persisted totals)
//                  "chunk_bucket_ms"    -> u64 BE width of the chunk time buckets (format 3)
//                  "bucket" 0x00 ts(b)  -> per-bucket totals (BucketStats)
//                  "md" 0x00 metric     -> varint len|type, varint len|help, varint len|unit
//   CF "series"    ref (u64 BE)         -> labels: repeated (varint len|name, varint len|value)
//   CF "state"     ref (u64 BE)         -> persisted head state of the series (SeriesState):
//                  i64 last_t | u64 last_v_bits | u64 ooo_seq | u32 ooo_index |
//                  i64 disk_mint | i64 disk_maxt   (44 bytes, all BE; format 1: 28 bytes)
//   CF "postings"  format 1 only (format 2 keeps postings in memory and leaves it empty):
//                  name 0x00 esc(value) 0x00 ref (u64 BE)  -> ""  (one key per posting)
//                  esc(): 0x00 -> 0x01 0x01, 0x01 -> 0x01 0x02 (order-preserving, no 0x00)
//   CF "chunks"    ts(bucket) | ref (u64 BE) | ts(mint) | chunk id (u64 BE)   (32 bytes)
//                  -> varint (maxt - mint) | varint num_samples | XOR chunk bytes
//                  ts(t) = u64 BE of t with the sign bit flipped; bucket = the chunk's mint
//                  rounded down to a multiple of the dir's chunk_bucket_ms (format 3;
//                  formats 1-2: ref | ts(mint) | chunk id)
//   CF "wal"       seq (u64 BE)         -> WalRecord (see wal_record.h)
//
// Big-endian integers (and the flipped sign bit of timestamps) make byte order equal
// numeric order, so a series' chunks are contiguous and sorted by start time.
#pragma once

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "storage/model/labels.h"
#include "storage/model/sample.h"
#include "storage/util/coding.h"

namespace tally::storage::kv {

inline constexpr absl::string_view kMagicKey = "magic";
inline constexpr absl::string_view kMaxChunkSpanKey = "max_chunk_span";
inline constexpr absl::string_view kChunkIdKey = "chunk_id";
// u64 BE persisted chunks | u64 BE samples in them (updated with every chunk write/delete).
inline constexpr absl::string_view kStatsKey = "stats";
inline constexpr absl::string_view kMagic = absl::string_view("TALLYDB\0", 8);
// 2: series states carry disk bounds; postings live in memory only (docs/storage.md).
// 3: chunk keys start with their time bucket; per-bucket totals in meta.
inline constexpr uint32_t kFormatVersion = 3;
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
// Calls fn(name, value) for each pair of `enc`, in order, without allocating. False on a
// malformed encoding (fn may have seen a prefix of it).
bool ForEachEncodedLabel(absl::string_view enc,
                         absl::FunctionRef<void(absl::string_view, absl::string_view)> fn);
// Appends one label in EncodeLabels' layout (building an encoding from views; the caller
// keeps names sorted and unique).
// Inline (storage/util only) so the ingest decoders link without the engine (fuzz/).
inline void AppendEncodedLabel(std::string* out, absl::string_view name,
                               absl::string_view value) {
  PutVarint64(out, name.size());
  out->append(name.data(), name.size());
  PutVarint64(out, value.size());
  out->append(value.data(), value.size());
}

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

// ---- chunks ----------------------------------------------------------------------------
// Chunks are keyed by time bucket first (format 3), so a whole bucket of expired data is one
// key range: ts(bucket) | ref | ts(mint) | chunk id, 32 bytes. bucket = BucketStart(mint).
int64_t BucketStart(int64_t t_ms, int64_t bucket_ms);
std::string BucketPrefix(int64_t bucket);                       // 8 bytes
std::string BucketSeriesPrefix(int64_t bucket, SeriesRef ref);  // 16 bytes
// Length of BucketSeriesPrefix: the chunks family's RocksDB prefix (its Bloom filter and
// RocksStore::NewPrefixIterator work on it).
inline constexpr size_t kChunkPrefixBytes = 16;
std::string ChunkKey(int64_t bucket, SeriesRef ref, int64_t mint_ms, uint64_t chunk_id);
// Lower bound for chunks of `ref` in `bucket` starting at or after mint_ms.
std::string ChunkSeekKey(int64_t bucket, SeriesRef ref, int64_t mint_ms);
bool DecodeChunkKey(absl::string_view key, int64_t* bucket, SeriesRef* ref, int64_t* mint_ms,
                    uint64_t* chunk_id);
// Formats 1 and 2: ref | ts(mint) | chunk id (24 bytes); only the migration reads them.
bool DecodeLegacyChunkKey(absl::string_view key, SeriesRef* ref, int64_t* mint_ms,
                          uint64_t* chunk_id);

// Per-bucket totals in the meta family: "bucket" 00 ts(bucket) -> u64 chunks | u64 samples |
// u64 bytes (keys + values) | i64 max_maxt (newest chunk end in the bucket; an upper bound
// after point deletions). Written with every chunk write and retention delete.
inline constexpr absl::string_view kBucketStatsPrefix = absl::string_view("bucket\0", 7);
inline constexpr absl::string_view kChunkBucketMsKey = "chunk_bucket_ms";
struct BucketStats {
  int64_t chunks = 0;
  int64_t samples = 0;
  int64_t bytes = 0;
  int64_t max_maxt = kMinTime;
};
std::string BucketStatsKey(int64_t bucket);
std::string EncodeBucketStats(const BucketStats& b);
bool DecodeBucketStats(absl::string_view key, absl::string_view v, int64_t* bucket,
                       BucketStats* b);
void EncodeChunkValue(int64_t mint_ms, int64_t maxt_ms, int num_samples,
                      absl::string_view xor_bytes, std::string* out);
// Decodes the header; *xor_bytes views into `value`.
bool DecodeChunkValue(absl::string_view value, int64_t mint_ms, int64_t* maxt_ms,
                      int* num_samples, absl::string_view* xor_bytes);

// One chunks-family record, key and value decoded; `bytes` views into the value.
struct ChunkRecord {
  int64_t bucket = 0;
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
