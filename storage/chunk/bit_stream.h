// Bit-granular streams for the chunk codecs. Bits are packed most-significant first: the
// first bit written is the top bit of byte 0, as Prometheus's bstream does.
//
// BitWriter appends into a std::string it owns. It keeps >= 16 zero bytes of slack past the
// logical end so that every write is one unaligned 8-byte load/OR/store (plus one byte when
// a 64-bit write straddles the window); Bytes() is the logical prefix. Invariant: every bit
// past bit_length() in the buffer is zero.
//
// BitReader reads a borrowed byte view by bit position. Each read loads the 8 bytes that
// hold the position (one unaligned big-endian load, shifted), which yields at least 56
// valid bits, so a read of n <= 56 bits is one load and n <= 64 is two. It never reads past
// the end of the view: the last (up to) 8 bytes are copied into an inline, zero-padded tail
// buffer, and loads near or beyond the end come from there. Bits past the end read as zero;
// exhausted() reports that a read went past the end, which callers turn into DataLoss.
//
// Thread-safety: none; one owner each. A BitReader must not outlive the bytes it views.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/base/optimization.h"
#include "absl/strings/string_view.h"

namespace tally::storage {

namespace bit_stream_internal {

inline uint64_t LoadBE64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

inline void StoreBE64(char* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, sizeof(v));
}

// The low n bits of v. REQUIRES: 0 <= n <= 64.
inline uint64_t LowBits(uint64_t v, int n) { return n == 0 ? 0 : v & (~uint64_t{0} >> (64 - n)); }

}  // namespace bit_stream_internal

class BitWriter {
 public:
  BitWriter() = default;
  // Adopts `bytes` as a stream of bytes.size() * 8 bits. Slack is added on the first write.
  explicit BitWriter(std::string bytes);

  // The written bytes; the last one is zero-padded. Valid until the next mutating call.
  absl::string_view Bytes() const { return absl::string_view(buf_.data(), (bits_ + 7) / 8); }
  uint64_t bit_length() const { return bits_; }

  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }

  // Appends the low `n` bits of `v`, most significant first. Higher bits of `v` are
  // ignored. REQUIRES: 0 <= n <= 64.
  inline void WriteBits(uint64_t v, int n);

  // Overwrites byte `i` of Bytes() (used for fixed headers). REQUIRES: i < Bytes().size().
  void SetByte(size_t i, uint8_t b) { buf_[i] = static_cast<char>(b); }

  // Drops every bit from `n_bits` on (a later write continues at n_bits).
  // REQUIRES: n_bits <= bit_length().
  void Truncate(uint64_t n_bits);

  // Moves the bytes out (exactly Bytes()); the writer is left empty.
  std::string Release();

 private:
  // Grows the buffer (zero-filled) to at least `min_size` bytes. Out of line: rare.
  void Grow(size_t min_size);

  std::string buf_;
  uint64_t bits_ = 0;
};

class BitReader {
 public:
  BitReader() = default;
  explicit BitReader(absl::string_view bytes);

  // 64 bits starting at bit `bit_pos`, the first one in the top bit. The top 56 are always
  // stream bits (zeros past the end); the low 8 are zeros or further stream bits, depending
  // on alignment. Never reads outside the view.
  inline uint64_t PeekAt(uint64_t bit_pos) const;

  // `n` bits at `bit_pos`, right-aligned. REQUIRES: 1 <= n <= 64.
  inline uint64_t ReadAt(uint64_t bit_pos, int n) const;

  // Sequential interface over the same primitives.
  uint64_t ReadBits(int n) {
    if (n == 0) return 0;
    const uint64_t r = ReadAt(pos_, n);
    pos_ += n;
    return r;
  }
  bool ReadBit() { return ReadBits(1) != 0; }

  uint64_t position() const { return pos_; }
  void set_position(uint64_t bit_pos) { pos_ = bit_pos; }
  uint64_t bit_length() const { return bit_length_; }
  // True once reads have gone past the end of the stream (the data read was zeros, not
  // stream bits): the caller's input was truncated or corrupt.
  bool exhausted() const { return pos_ > bit_length_; }

 private:
  // Loads at byte offsets >= tail_start_ read from tail_, which holds the view's last
  // (up to) 8 bytes followed by zeros; offsets past the end clamp into the zero padding.
  static constexpr size_t kTailData = 8;
  static constexpr size_t kTailMaxOffset = 40;

  const char* data_ = nullptr;
  int64_t fast_limit_ = -1;  // largest byte offset with 8 bytes readable from data_
  uint64_t tail_start_ = 0;
  uint64_t pos_ = 0;
  uint64_t bit_length_ = 0;
  char tail_[kTailMaxOffset + 8] = {};
};

inline void BitWriter::WriteBits(uint64_t v, int n) {
  using bit_stream_internal::LoadBE64;
  using bit_stream_internal::StoreBE64;
  if (n == 0) return;
  v = bit_stream_internal::LowBits(v, n);
  const size_t byte = bits_ >> 3;
  const int used = static_cast<int>(bits_ & 7);
  if (ABSL_PREDICT_FALSE(byte + 16 > buf_.size())) Grow(byte + 16);
  char* p = buf_.data() + byte;
  const int free = 64 - used;  // bits left in the 8-byte window at `byte`
  if (n <= free) {
    StoreBE64(p, LoadBE64(p) | (v << (free - n)));
  } else {
    // Only a write of > 57 bits at an unaligned position spills into the 9th byte.
    const int spill = n - free;  // 1..7
    StoreBE64(p, LoadBE64(p) | (v >> spill));
    p[8] = static_cast<char>(static_cast<uint8_t>(p[8]) | static_cast<uint8_t>(v << (8 - spill)));
  }
  bits_ += static_cast<uint64_t>(n);
}

inline uint64_t BitReader::PeekAt(uint64_t bit_pos) const {
  const uint64_t byte = bit_pos >> 3;
  const char* p;
  if (ABSL_PREDICT_TRUE(static_cast<int64_t>(byte) <= fast_limit_)) {
    p = data_ + byte;
  } else {
    // Near or past the end. tail_start_ <= byte whenever byte > fast_limit_.
    p = tail_ + std::min<uint64_t>(byte - tail_start_, kTailMaxOffset);
  }
  return bit_stream_internal::LoadBE64(p) << (bit_pos & 7);
}

inline uint64_t BitReader::ReadAt(uint64_t bit_pos, int n) const {
  const uint64_t hi = PeekAt(bit_pos);
  if (n <= 56) return hi >> (64 - n);
  const int rest = n - 56;  // 1..8
  return ((hi >> 8) << rest) | (PeekAt(bit_pos + 56) >> (64 - rest));
}

}  // namespace tally::storage
