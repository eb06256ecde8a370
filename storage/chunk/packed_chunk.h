// The "packed" chunk encoding for sealed (persisted) chunks: a denser, lossless alternative
// to the Gorilla XOR chunk that the seal point picks per chunk when it is smaller
// (storage/chunk/chunk.h). The head keeps appending XOR chunks; a packed chunk is written
// once, from a complete list of samples, and never appended to.
//
// Why: scraped timestamps jitter by a few milliseconds, which costs XOR's delta-of-delta 16
// bits a sample; counters and gauges of integers or decimals (tokens, requests, bucket
// counts, prices with cents) cost XOR 10-40 bits a sample although their integer deltas are
// small. Here timestamps are coded as the chunk's smallest interval plus a small
// non-negative residue, and values that are all exactly m / 10^d (|m| < 2^53, d <= 15,
// checked bit for bit) as integer deltas or delta-of-deltas of m; other values keep
// Gorilla's XOR coding. Residues and deltas are zig-zag coded and bit-packed in blocks of 16
// with one width per block, which is fast to decode and confines an outlier (a missed
// scrape, a counter reset) to its block.
//
// Layout (fuller diagram in docs/storage.md):
//   u8       0xF1 (kPackedTag; XOR chunks start with their u16 BE count's high byte < 0xF0)
//   uvarint  n, 1 .. 65535
//   varsint  t0
//   uvarint  base = min(t[i] - t[i-1]), >= 1           only if n >= 2
//   u8       mode: low 4 bits 0 = XOR values, 1 = delta, 2 = delta-of-delta; high 4 bits d
//   varsint  m0                                           modes 1 and 2
//   varsint  m1 - m0                                      mode 2 and n >= 2
//   bit stream (most significant bit first, zero-padded to a byte):
//     timestamps: residues t[i] - t[i-1] - base for i = 1..n-1, in blocks of 16:
//                 7-bit width w (0..64), then each residue in w bits
//     values:     mode 0: v0 as raw 64 bits, then for i >= 1 Gorilla XOR as in xor_chunk.h
//                 mode 1: zig-zag(m[i] - m[i-1]) for i = 1..n-1, blocks as above
//                 mode 2: zig-zag(dod) for i = 2..n-1, blocks as above
//   A value is double(m) / 10^d (d = 0: double(m)), an exactly rounded division.
//
// Thread-safety: free functions on immutable inputs; safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/model/sample.h"

namespace tally::storage {

inline constexpr uint8_t kPackedTag = 0xF1;

// Encodes `samples` (timestamps strictly increasing, 1..65535 of them) into *out
// (replacing its contents), choosing the smallest value mode. False, with *out untouched,
// when the input is empty, too long or not strictly increasing.
bool EncodePacked(absl::Span<const Sample> samples, std::string* out);

// The sample count in a packed chunk's header; DataLoss when the header is malformed.
absl::StatusOr<int> PackedNumSamples(absl::string_view bytes);

// Decodes a whole packed chunk into out[0 .. n). REQUIRES: out.size() >= n (from
// PackedNumSamples). DataLoss on any malformed input (truncated, bad width or mode,
// non-increasing timestamps); then the contents of `out` are unspecified. Never reads
// outside `bytes` or writes outside out[0 .. n).
absl::Status DecodePacked(absl::string_view bytes, absl::Span<Sample> out);

// The value mode of a packed chunk (0 xor, 1 delta, 2 delta-of-delta) and its decimal
// places, for statistics; -1 when the header is malformed.
struct PackedModeInfo {
  int mode = -1;
  int decimals = 0;
};
PackedModeInfo PackedMode(absl::string_view bytes);

}  // namespace tally::storage
