// Byte-level encodings shared by the key codec, the WAL and chunk headers: unsigned and
// zig-zag signed varints (LEB128, as protobuf and Prometheus use) and fixed-width
// big-endian integers (big-endian so that byte-wise key order equals numeric order).
// All functions are pure; decoders never read past the end of the given view.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tally::storage {

inline void PutVarint64(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
inline void PutVarsint64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZagEncode(v)); }

// Decodes a varint from the front of *in and advances it. Returns false (leaving *in
// unchanged) on truncation, an over-long encoding (more than 10 bytes), or a 10th byte
// that would overflow 64 bits (as Go's binary.Uvarint).
inline bool GetVarint64(absl::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0, i = 0; i < 10 && i < static_cast<int>(in->size()); ++i, shift += 7) {
    const uint8_t byte = static_cast<uint8_t>((*in)[i]);
    if (i == 9 && byte > 1) return false;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}
inline bool GetVarsint64(absl::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetVarint64(in, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

inline void PutFixed64BE(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 8);
}
inline void PutFixed32BE(std::string* dst, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 4);
}
// REQUIRES: p points at >= 8 (resp. 4) readable bytes.
inline uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint32_t DecodeFixed32BE(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Timestamps are signed; flipping the sign bit makes their big-endian bytes sort in
// numeric order, negative times included.
inline void PutTimestampKey(std::string* dst, int64_t t_ms) {
  PutFixed64BE(dst, static_cast<uint64_t>(t_ms) ^ (uint64_t{1} << 63));
}
inline int64_t DecodeTimestampKey(const char* p) {
  return static_cast<int64_t>(DecodeFixed64BE(p) ^ (uint64_t{1} << 63));
}

}  // namespace tally::storage
