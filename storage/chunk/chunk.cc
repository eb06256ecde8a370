#include "storage/chunk/chunk.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace tally::storage {

ChunkEncoding EncodingOf(absl::string_view bytes) {
  if (bytes.empty()) return ChunkEncoding::kXor;  // XorIterator reports it as corrupt
  const uint8_t b = static_cast<uint8_t>(bytes[0]);
  if (b < 0xF0) return ChunkEncoding::kXor;
  return b == kPackedTag ? ChunkEncoding::kPacked : ChunkEncoding::kUnknown;
}

absl::string_view EncodingName(absl::string_view bytes) {
  switch (EncodingOf(bytes)) {
    case ChunkEncoding::kXor:
      return "xor";
    case ChunkEncoding::kPacked: {
      const PackedModeInfo m = PackedMode(bytes);
      if (m.mode == 0) return "packed-xor";
      if (m.mode > 0) return m.decimals == 0 ? "packed-int" : "packed-dec";
      return "unknown";
    }
    case ChunkEncoding::kUnknown:
      break;
  }
  return "unknown";
}

std::string EncodeForStorage(std::string xor_bytes) {
  if (EncodingOf(xor_bytes) != ChunkEncoding::kXor) return xor_bytes;
  XorIterator it(xor_bytes);
  const int n = it.num_samples();
  if (n <= 0 || n >= 0xF000) return xor_bytes;
  absl::InlinedVector<Sample, 128> samples(static_cast<size_t>(n));
  if (it.NextBatch(absl::MakeSpan(samples)) != static_cast<size_t>(n) || !it.status().ok()) {
    return xor_bytes;
  }
  std::string packed;
  if (!EncodePacked(samples, &packed) || packed.size() >= xor_bytes.size()) return xor_bytes;
  return packed;
}

ChunkIterator::ChunkIterator(absl::string_view bytes) : bytes_(bytes) {
  switch (EncodingOf(bytes)) {
    case ChunkEncoding::kXor:
      xor_.emplace(bytes);
      return;
    case ChunkEncoding::kPacked: {
      absl::StatusOr<int> n = PackedNumSamples(bytes);
      if (!n.ok()) {
        status_ = n.status();
        decoded_ = true;
        return;
      }
      total_ = *n;
      return;
    }
    case ChunkEncoding::kUnknown:
      status_ = absl::DataLossError(absl::StrCat("corrupt chunk: unknown encoding 0x",
                                                 absl::Hex(static_cast<uint8_t>(bytes[0]))));
      decoded_ = true;
      return;
  }
}

bool ChunkIterator::DecodeAll() {
  decoded_ = true;
  buf_.resize(static_cast<size_t>(total_));
  if (absl::Status st = DecodePacked(bytes_, absl::MakeSpan(buf_)); !st.ok()) {
    status_ = std::move(st);
    total_ = 0;
    buf_.clear();
    return false;
  }
  return true;
}

bool ChunkIterator::Next() {
  if (xor_) return xor_->Next();
  if (!decoded_ && !DecodeAll()) return false;
  if (next_ >= total_ || buf_.empty()) return false;
  cur_ = buf_[static_cast<size_t>(next_++)];
  return true;
}

bool ChunkIterator::Seek(int64_t t_ms) {
  if (xor_) return xor_->Seek(t_ms);
  if (next_ > 0 && cur_.t_ms >= t_ms) return true;
  while (Next()) {
    if (cur_.t_ms >= t_ms) return true;
  }
  return false;
}

size_t ChunkIterator::NextBatch(absl::Span<Sample> out) {
  if (xor_) return xor_->NextBatch(out);
  if (!decoded_ && next_ == 0 && out.size() >= static_cast<size_t>(total_)) {
    // The common case (a whole chunk into the caller's buffer): no copy.
    decoded_ = true;
    if (absl::Status st = DecodePacked(bytes_, out); !st.ok()) {
      status_ = std::move(st);
      total_ = 0;
      return 0;
    }
    next_ = total_;
    cur_ = out[static_cast<size_t>(total_ - 1)];
    return static_cast<size_t>(total_);
  }
  if (!decoded_ && !DecodeAll()) return 0;
  if (buf_.empty()) return 0;  // consumed by the direct path above
  const size_t k = std::min(out.size(), static_cast<size_t>(total_ - next_));
  std::copy_n(buf_.begin() + next_, k, out.begin());
  next_ += static_cast<int>(k);
  if (k > 0) cur_ = out[k - 1];
  return k;
}

}  // namespace tally::storage
