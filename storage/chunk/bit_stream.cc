#include "storage/chunk/bit_stream.h"

#include <utility>

namespace tally::storage {

BitWriter::BitWriter(std::string bytes) : buf_(std::move(bytes)), bits_(buf_.size() * 8) {}

void BitWriter::Grow(size_t min_size) {
  // Doubling keeps appends amortised O(1); resize zero-fills, which keeps the invariant
  // that bits past the logical end are zero.
  buf_.resize(std::max({min_size, buf_.size() * 2, size_t{32}}), '\0');
}

void BitWriter::Truncate(uint64_t n_bits) {
  if (n_bits >= bits_) return;
  const size_t keep_bytes = (n_bits + 7) / 8;
  const size_t old_bytes = (bits_ + 7) / 8;
  std::fill(buf_.begin() + keep_bytes, buf_.begin() + old_bytes, '\0');
  if (const int partial = static_cast<int>(n_bits & 7); partial != 0) {
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - partial));
    buf_[keep_bytes - 1] = static_cast<char>(static_cast<uint8_t>(buf_[keep_bytes - 1]) & mask);
  }
  bits_ = n_bits;
}

std::string BitWriter::Release() {
  buf_.resize((bits_ + 7) / 8);
  bits_ = 0;
  return std::exchange(buf_, std::string());
}

BitReader::BitReader(absl::string_view bytes)
    : data_(bytes.data()),
      fast_limit_(static_cast<int64_t>(bytes.size()) - 8),
      tail_start_(bytes.size() >= kTailData ? bytes.size() - kTailData : 0),
      bit_length_(static_cast<uint64_t>(bytes.size()) * 8) {
  const size_t n = bytes.size() - tail_start_;
  if (n > 0) std::memcpy(tail_, bytes.data() + tail_start_, n);
}

}  // namespace tally::storage
