// The Gorilla codec (Pelkonen et al., VLDB 2015) as Prometheus's XOR chunk uses it:
// int64 millisecond timestamps as delta-of-delta with variable-length buckets, float64
// values as XOR against the previous value with a leading/trailing-zero window. Every
// float64 bit pattern round-trips exactly (stale-marker NaN, other NaN payloads, -0.0).
// Timestamps may be any strictly increasing int64 values; deltas and delta-of-deltas are
// computed modulo 2^64, so even a jump from kMinTime to kMaxTime round-trips.
//
// Layout (bits most significant first; fuller diagram in docs/storage.md):
//   [uint16 BE num_samples][bit stream, zero-padded to a byte]
//   sample 0:    t as varsint (zig-zag LEB128, 8-bit groups), v as raw 64 bits
//   sample 1:    t delta as uvarint, v XOR-encoded
//   sample n>=2: dod = delta - previous delta, in a bucket:
//                  '0'                     dod == 0
//                  '10'   + 14 bits        -8191 <= dod <= 8192
//                  '110'  + 17 bits        -65535 <= dod <= 65536
//                  '1110' + 20 bits        -524287 <= dod <= 524288
//                  '1111' + 64 bits        anything else
//                (Prometheus compat: xor.go's bitRange buckets; a payload p > 2^(n-1)
//                 stands for p - 2^n)
//                v XOR-encoded, x = bits(v) ^ bits(previous v):
//                  '0'                     x == 0
//                  '10' + m bits           x fits the previous window (m = 64 - lead - trail)
//                  '11' + 5b lead + 6b m + m bits   new window (lead capped at 31, m=64 as 0)
//
// Thread-safety: an XorChunk with its XorAppender is single-writer; Bytes() views are valid
// until the next Append. XorIterator reads an immutable byte view and must not outlive it.
#pragma once

#include <bit>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/chunk/bit_stream.h"
#include "storage/model/sample.h"

namespace tally::storage {

// A chunk closes after this many samples (Prometheus's default target).
inline constexpr int kTargetSamplesPerChunk = 120;
// The header counts samples in 16 bits; no chunk may hold more.
inline constexpr int kMaxSamplesPerChunk = 65535;

class XorChunk {
 public:
  // An empty chunk: the 2-byte header with a count of 0.
  XorChunk();
  // Adopts encoded bytes (e.g. read from RocksDB). Validated lazily by the iterator (and by
  // an XorAppender created on it). Fewer than 2 bytes is corrupt.
  explicit XorChunk(std::string bytes);

  absl::string_view Bytes() const;
  // The header's count (0 when the bytes are too short to hold one).
  int num_samples() const;
  size_t size_bytes() const { return Bytes().size(); }

  // Whether the sample at `next_t_ms` should start a new chunk instead of going into this
  // one: true when the chunk already holds kTargetSamplesPerChunk samples, or when it is
  // non-empty and next_t_ms - first_t_ms >= max_span_ms (the chunk's time bound; pass the
  // chunk's first timestamp, which the caller tracks). Overflow-safe for any int64 inputs.
  bool ShouldSeal(int64_t first_t_ms, int64_t next_t_ms, int64_t max_span_ms) const;

  // Moves the encoded bytes out (exactly Bytes()), leaving this chunk empty-and-invalid
  // (fewer than 2 bytes); for handing a sealed chunk to storage without a copy.
  std::string ReleaseBytes();

 private:
  friend class XorAppender;
  BitWriter stream_;
};

// Appends to an XorChunk. REQUIRES: timestamps strictly increasing (the head enforces
// ordering before it calls Append) and fewer than kMaxSamplesPerChunk samples.
class XorAppender {
 public:
  // Resumes appending to `chunk`, which may already hold samples (decodes its tail state;
  // O(num_samples)). If the chunk's bytes are corrupt, status() is DataLoss and Append
  // does nothing. The chunk must outlive the appender, and only one appender may write
  // to a chunk at a time.
  explicit XorAppender(XorChunk* chunk);
  void Append(int64_t t_ms, double v);
  absl::Status status() const { return status_; }

 private:
  void AppendValue(uint64_t v_bits);

  XorChunk* chunk_;
  int64_t t_ = 0;
  int64_t t_delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no window yet
  uint8_t trailing_ = 0;
  int n_ = 0;
  absl::Status status_;
};

// Forward iterator over an encoded chunk. Allocation-free. On corrupt input (truncated
// stream, impossible window, non-increasing timestamps, overlong varint) Next() returns
// false and status() is DataLoss; samples returned before that are valid.
class XorIterator {
 public:
  explicit XorIterator(absl::string_view bytes);

  bool Next();
  // Advances to the first sample with t >= t_ms (stays if already there). False if none.
  bool Seek(int64_t t_ms);
  // The current sample. REQUIRES: the last Next/Seek returned true (or NextBatch > 0).
  int64_t t() const { return t_; }
  double v() const { return std::bit_cast<double>(v_bits_); }
  Sample At() const { return Sample{t_, v()}; }
  absl::Status status() const { return status_; }

  // Batch decode: writes up to out.size() following samples; returns how many. The fast
  // path for the query engine (no per-sample call overhead across translation units).
  // Afterwards the current sample is the last one written, so Next() continues after it.
  // Fewer than out.size() means the chunk ended or was corrupt (see status()).
  size_t NextBatch(absl::Span<Sample> out);

  int num_samples() const { return total_; }

 private:
  friend class XorAppender;
  bool NextSlow();  // samples 0 and 1
  void Fail(absl::string_view why);

  BitReader reader_;
  int total_ = 0;
  int read_ = 0;
  int64_t t_ = 0;
  int64_t t_delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
  absl::Status status_;
};

}  // namespace tally::storage
