// The Gorilla codec (Pelkonen et al., VLDB 2015) as Prometheus's XOR chunk uses it:
// int64 millisecond timestamps as delta-of-delta with variable-length buckets, float64
// values as XOR against the previous value with a leading/trailing-zero window. Every
// float64 bit pattern round-trips exactly (stale-marker NaN, other NaN payloads, -0.0).
//
// Layout (fuller diagram in docs/storage.md):
//   [uint16 BE num_samples][bit stream]
//   sample 0: t as varsint (zig-zag), v as raw 64 bits
//   sample 1: t delta as uvarint, v XOR-encoded
//   sample n>=2: dod bucket ('0' | '10'+14b | '110'+17b | '1110'+20b | '1111'+64b),
//                v XOR-encoded ('0' same | '10' reuse window | '11' 5b leading, 6b length, bits)
//
// Thread-safety: an XorChunk with its XorAppender is single-writer; Bytes() views are valid
// until the next Append. XorIterator reads an immutable byte view and must not outlive it.
#pragma once

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

class XorChunk {
 public:
  XorChunk();
  // Adopts encoded bytes (e.g. read from RocksDB). Validated lazily by the iterator.
  explicit XorChunk(std::string bytes);

  absl::string_view Bytes() const;
  int num_samples() const;
  size_t size_bytes() const { return Bytes().size(); }

 private:
  friend class XorAppender;
  BitWriter stream_;
};

// Appends to an XorChunk. REQUIRES: timestamps strictly increasing (the head enforces
// ordering before it calls Append).
class XorAppender {
 public:
  // Resumes appending to `chunk`, which may already hold samples (decodes its tail state).
  explicit XorAppender(XorChunk* chunk);
  void Append(int64_t t_ms, double v);

 private:
  XorChunk* chunk_;
  int64_t t_ = 0;
  int64_t t_delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = 0xff;
  uint8_t trailing_ = 0;
  int n_ = 0;
};

// Forward iterator over an encoded chunk. Allocation-free. On corrupt input Next() returns
// false and status() is DataLoss.
class XorIterator {
 public:
  explicit XorIterator(absl::string_view bytes);

  bool Next();
  // Advances to the first sample with t >= t_ms (stays if already there). False if none.
  bool Seek(int64_t t_ms);
  int64_t t() const { return t_; }
  double v() const;
  Sample At() const { return Sample{t_, v()}; }
  absl::Status status() const { return status_; }

  // Batch decode: writes up to out.size() following samples; returns how many. The fast
  // path for the query engine (no per-sample call overhead across translation units).
  size_t NextBatch(absl::Span<Sample> out);

 private:
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
