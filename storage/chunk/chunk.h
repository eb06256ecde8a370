// Chunk encodings as stored: the seal-time choice between the Gorilla XOR chunk (what the
// head appends to) and the packed chunk (packed_chunk.h), and one iterator that reads
// either. Readers of sealed or persisted chunk bytes use ChunkIterator; XorIterator stays
// for the head's open chunks.
//
// How the encoding is told apart: a packed chunk starts with kPackedTag (0xF1); an XOR
// chunk starts with the high byte of its u16 BE sample count, which is < 0xF0 for every
// chunk Tally seals (in-order chunks hold <= 120 samples, out-of-order ones <= 32). Bytes
// starting with 0xF0..0xFF other than the tag are an unknown encoding (DataLoss). So stores
// written before the packed encoding existed are read unchanged, with no migration.
//
// Thread-safety: EncodeForStorage is a pure function; a ChunkIterator has one owner and
// must not outlive the bytes it reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/chunk/packed_chunk.h"
#include "storage/chunk/xor_chunk.h"
#include "storage/model/sample.h"

namespace tally::storage {

enum class ChunkEncoding { kXor, kPacked, kUnknown };

ChunkEncoding EncodingOf(absl::string_view bytes);

// A short name for statistics: "xor", "packed-xor" (packed timestamps, XOR values),
// "packed-int" (integers), "packed-dec" (decimals), "unknown".
absl::string_view EncodingName(absl::string_view bytes);

// The bytes to persist for a sealed XOR chunk: the packed re-encoding when it is smaller,
// else the XOR bytes themselves. Values and timestamps round-trip bit for bit either way.
// Corrupt XOR input is returned unchanged.
std::string EncodeForStorage(std::string xor_bytes);

// Forward iterator over a chunk of either encoding, with XorIterator's contract: on corrupt
// input Next() returns false and status() is DataLoss. A packed chunk is decoded whole, on
// the first call, into the caller's span (NextBatch from the start) or an internal buffer.
class ChunkIterator {
 public:
  explicit ChunkIterator(absl::string_view bytes);

  bool Next();
  // Advances to the first sample with t >= t_ms (stays if already there). False if none.
  bool Seek(int64_t t_ms);
  int64_t t() const { return xor_ ? xor_->t() : cur_.t_ms; }
  double v() const { return xor_ ? xor_->v() : cur_.v; }
  Sample At() const { return xor_ ? xor_->At() : cur_; }
  absl::Status status() const { return xor_ ? xor_->status() : status_; }
  // As XorIterator::NextBatch.
  size_t NextBatch(absl::Span<Sample> out);

 private:
  bool DecodeAll();  // packed: fills buf_; false (status_ set) on corrupt input

  std::optional<XorIterator> xor_;
  absl::string_view bytes_;
  absl::InlinedVector<Sample, 1> buf_;
  Sample cur_{0, 0};
  int total_ = 0;  // packed: samples in the chunk (0 when corrupt)
  int next_ = 0;   // packed: index of the next sample
  bool decoded_ = false;
  absl::Status status_;
};

}  // namespace tally::storage
