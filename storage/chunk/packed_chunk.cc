#include "storage/chunk/packed_chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "storage/chunk/bit_stream.h"
#include "storage/util/coding.h"

namespace tally::storage {
namespace {

constexpr int kBlock = 16;
constexpr int kWidthBits = 7;
constexpr int kMaxDecimals = 15;  // 10^15 < 2^53: every power up to it is an exact double
constexpr int kMaxSamples = 65535;
constexpr double kTwo53 = 9007199254740992.0;

constexpr double kPow10[kMaxDecimals + 1] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

enum Mode : int { kModeXor = 0, kModeDelta = 1, kModeDod = 2 };

// ---------------------------------------------------------------------------------------
// Encoding

void PackBlocks(BitWriter* w, const uint64_t* vals, int count) {
  for (int b = 0; b < count; b += kBlock) {
    const int k = std::min(kBlock, count - b);
    uint64_t all = 0;
    for (int i = 0; i < k; ++i) all |= vals[b + i];
    const int width = 64 - std::countl_zero(all);
    w->WriteBits(static_cast<uint64_t>(width), kWidthBits);
    if (width == 0) continue;
    for (int i = 0; i < k; ++i) w->WriteBits(vals[b + i], width);
  }
}

// Gorilla's value coding (as XorAppender's), for chunks whose values are not decimals.
void WriteXorValues(BitWriter* w, absl::Span<const Sample> s) {
  uint64_t prev = std::bit_cast<uint64_t>(s[0].v);
  w->WriteBits(prev, 64);
  int leading = -1, trailing = 0;  // -1: no window yet
  for (size_t i = 1; i < s.size(); ++i) {
    const uint64_t bits = std::bit_cast<uint64_t>(s[i].v);
    const uint64_t x = bits ^ prev;
    prev = bits;
    if (x == 0) {
      w->WriteBits(0, 1);
      continue;
    }
    int lead = std::min(std::countl_zero(x), 31);
    const int trail = std::countr_zero(x);
    if (leading >= 0 && lead >= leading && trail >= trailing) {
      w->WriteBits(0b10, 2);
      w->WriteBits(x >> trailing, 64 - leading - trailing);
      continue;
    }
    leading = lead;
    trailing = trail;
    const int m = 64 - lead - trail;
    w->WriteBits((uint64_t{0b11} << 11) | (static_cast<uint64_t>(lead) << 6) |
                     static_cast<uint64_t>(m & 63),
                 13);
    w->WriteBits(x >> trail, m);
  }
}

// The smallest d such that every value is exactly double(m) / 10^d with |m| < 2^53;
// -1 if none. Fills *m.
int FindDecimals(absl::Span<const Sample> s, std::vector<int64_t>* m) {
  m->resize(s.size());
  for (int d = 0; d <= kMaxDecimals; ++d) {
    const double p = kPow10[d];
    bool ok = true;
    for (size_t i = 0; i < s.size() && ok; ++i) {
      const double v = s[i].v;
      const double x = std::nearbyint(v * p);
      if (!(std::fabs(x) < kTwo53)) {  // also false for NaN and Inf
        ok = false;
        break;
      }
      const int64_t mi = static_cast<int64_t>(x);
      const double back = d == 0 ? static_cast<double>(mi) : static_cast<double>(mi) / p;
      ok = std::bit_cast<uint64_t>(back) == std::bit_cast<uint64_t>(v);
      (*m)[i] = mi;
    }
    if (ok) return d;
  }
  return -1;
}

void EncodeWithMode(absl::Span<const Sample> s, uint64_t base, int mode, int d,
                    const std::vector<int64_t>& m, std::string* out) {
  const int n = static_cast<int>(s.size());
  std::string head;
  head.push_back(static_cast<char>(kPackedTag));
  PutVarint64(&head, static_cast<uint64_t>(n));
  PutVarsint64(&head, s[0].t_ms);
  if (n >= 2) PutVarint64(&head, base);
  head.push_back(static_cast<char>((d << 4) | mode));
  if (mode != kModeXor) PutVarsint64(&head, m[0]);
  if (mode == kModeDod && n >= 2) PutVarsint64(&head, m[1] - m[0]);

  BitWriter w;
  std::vector<uint64_t> vals(n > 1 ? n - 1 : 0);
  for (int i = 1; i < n; ++i) {
    vals[i - 1] = static_cast<uint64_t>(s[i].t_ms) - static_cast<uint64_t>(s[i - 1].t_ms) - base;
  }
  PackBlocks(&w, vals.data(), n - 1);
  if (mode == kModeXor) {
    WriteXorValues(&w, s);
  } else if (mode == kModeDelta) {
    for (int i = 1; i < n; ++i) vals[i - 1] = ZigZagEncode(m[i] - m[i - 1]);
    PackBlocks(&w, vals.data(), n - 1);
  } else {
    for (int i = 2; i < n; ++i) vals[i - 2] = ZigZagEncode((m[i] - m[i - 1]) - (m[i - 1] - m[i - 2]));
    PackBlocks(&w, vals.data(), std::max(0, n - 2));
  }
  *out = std::move(head);
  out->append(w.Bytes().data(), w.Bytes().size());
}

// ---------------------------------------------------------------------------------------
// Decoding

struct Header {
  int n = 0;
  int64_t t0 = 0;
  uint64_t base = 0;
  int mode = 0;
  int d = 0;
  uint64_t m0 = 0;
  uint64_t m1_delta = 0;
  absl::string_view stream;
};

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("corrupt packed chunk: ", why));
}

absl::Status ParseHeader(absl::string_view in, Header* h) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kPackedTag) return Corrupt("bad tag");
  in.remove_prefix(1);
  uint64_t n;
  if (!GetVarint64(&in, &n) || n == 0 || n > kMaxSamples) return Corrupt("bad sample count");
  h->n = static_cast<int>(n);
  if (!GetVarsint64(&in, &h->t0)) return Corrupt("truncated header");
  if (n >= 2 && (!GetVarint64(&in, &h->base) || h->base == 0)) return Corrupt("bad interval");
  if (in.empty()) return Corrupt("truncated header");
  const uint8_t mode = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  h->mode = mode & 15;
  h->d = mode >> 4;
  if (h->mode > kModeDod) return Corrupt("unknown value mode");
  int64_t x;
  if (h->mode != kModeXor) {
    if (!GetVarsint64(&in, &x)) return Corrupt("truncated header");
    h->m0 = static_cast<uint64_t>(x);
  }
  if (h->mode == kModeDod && n >= 2) {
    if (!GetVarsint64(&in, &x)) return Corrupt("truncated header");
    h->m1_delta = static_cast<uint64_t>(x);
  }
  h->stream = in;
  return absl::OkStatus();
}

// Calls emit(i, value) for `count` bit-packed values at *pos. False for a width > 64.
// Reads past the end of the stream yield zeros; the caller checks the final position.
template <typename Emit>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool UnpackBlocks(const BitReader& r, uint64_t* pos,
                                                      int count, Emit emit) {
  uint64_t p = *pos;
  for (int b = 0; b < count; b += kBlock) {
    const int k = std::min(kBlock, count - b);
    const int width = static_cast<int>(r.ReadAt(p, kWidthBits));
    p += kWidthBits;
    if (ABSL_PREDICT_FALSE(width > 64)) return false;
    if (width == 0) {
      for (int i = 0; i < k; ++i) emit(b + i, 0);
    } else if (width <= 56) {
      const int shift = 64 - width;
      for (int i = 0; i < k; ++i) {
        emit(b + i, r.PeekAt(p) >> shift);
        p += static_cast<uint64_t>(width);
      }
    } else {
      for (int i = 0; i < k; ++i) {
        emit(b + i, r.ReadAt(p, width));
        p += static_cast<uint64_t>(width);
      }
    }
  }
  *pos = p;
  return true;
}

bool ReadXorValues(const BitReader& r, uint64_t* pos, absl::Span<Sample> out, int n) {
  uint64_t p = *pos;
  uint64_t v = r.ReadAt(p, 64);
  p += 64;
  out[0].v = std::bit_cast<double>(v);
  int leading = 0, trailing = 0;
  for (int i = 1; i < n; ++i) {
    const uint64_t w = r.PeekAt(p);
    if ((w >> 63) == 0) {
      p += 1;
    } else {
      int mbits;
      if (((w >> 62) & 1) == 0) {
        mbits = 64 - leading - trailing;
        p += 2;
      } else {
        leading = static_cast<int>((w >> 57) & 31);
        mbits = static_cast<int>((w >> 51) & 63);
        if (mbits == 0) mbits = 64;
        if (leading + mbits > 64) return false;
        trailing = 64 - leading - mbits;
        p += 13;
      }
      v ^= r.ReadAt(p, mbits) << trailing;
      p += static_cast<uint64_t>(mbits);
    }
    out[i].v = std::bit_cast<double>(v);
  }
  *pos = p;
  return true;
}

template <bool kDivide>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline double ToValue(uint64_t m, double p) {
  const double x = static_cast<double>(static_cast<int64_t>(m));
  if constexpr (kDivide) return x / p;
  return x;
}

template <bool kDivide>
bool ReadIntValues(const BitReader& r, uint64_t* pos, const Header& h, absl::Span<Sample> out) {
  const double p = kPow10[h.d];
  const int n = h.n;
  uint64_t m = h.m0;
  Sample* o = out.data();
  o[0].v = ToValue<kDivide>(m, p);
  if (h.mode == kModeDelta) {
    return UnpackBlocks(r, pos, n - 1, [&](int i, uint64_t zz) {
      m += static_cast<uint64_t>(ZigZagDecode(zz));
      o[i + 1].v = ToValue<kDivide>(m, p);
    });
  }
  if (n < 2) return true;
  uint64_t delta = h.m1_delta;
  m += delta;
  o[1].v = ToValue<kDivide>(m, p);
  return UnpackBlocks(r, pos, n - 2, [&](int i, uint64_t zz) {
    delta += static_cast<uint64_t>(ZigZagDecode(zz));
    m += delta;
    o[i + 2].v = ToValue<kDivide>(m, p);
  });
}

}  // namespace

bool EncodePacked(absl::Span<const Sample> s, std::string* out) {
  const int n = static_cast<int>(s.size());
  if (n == 0 || s.size() > static_cast<size_t>(kMaxSamples)) return false;
  uint64_t base = ~uint64_t{0};
  for (int i = 1; i < n; ++i) {
    if (s[i].t_ms <= s[i - 1].t_ms) return false;
    base = std::min(base, static_cast<uint64_t>(s[i].t_ms) - static_cast<uint64_t>(s[i - 1].t_ms));
  }
  if (n < 2) base = 0;
  std::vector<int64_t> m;
  const int d = FindDecimals(s, &m);
  std::string best;
  EncodeWithMode(s, base, kModeXor, 0, m, &best);
  if (d >= 0) {
    std::string cand;
    for (int mode : {kModeDelta, kModeDod}) {
      EncodeWithMode(s, base, mode, d, m, &cand);
      if (cand.size() < best.size()) best.swap(cand);
    }
  }
  *out = std::move(best);
  return true;
}

absl::StatusOr<int> PackedNumSamples(absl::string_view bytes) {
  Header h;
  if (absl::Status st = ParseHeader(bytes, &h); !st.ok()) return st;
  return h.n;
}

PackedModeInfo PackedMode(absl::string_view bytes) {
  Header h;
  if (!ParseHeader(bytes, &h).ok()) return {};
  return PackedModeInfo{h.mode, h.mode == kModeXor ? 0 : h.d};
}

absl::Status DecodePacked(absl::string_view bytes, absl::Span<Sample> out) {
  Header h;
  if (absl::Status st = ParseHeader(bytes, &h); !st.ok()) return st;
  if (out.size() < static_cast<size_t>(h.n)) {
    return absl::InvalidArgumentError("packed chunk: output span too small");
  }
  const BitReader r(h.stream);
  uint64_t pos = 0;
  Sample* o = out.data();
  uint64_t t = static_cast<uint64_t>(h.t0);
  o[0].t_ms = h.t0;
  const uint64_t base = h.base;
  bool increasing = true;
  if (!UnpackBlocks(r, &pos, h.n - 1, [&](int i, uint64_t res) {
        const uint64_t next = t + base + res;
        increasing &= static_cast<int64_t>(next) > static_cast<int64_t>(t);
        t = next;
        o[i + 1].t_ms = static_cast<int64_t>(t);
      })) {
    return Corrupt("bad timestamp width");
  }
  if (!increasing) return Corrupt("timestamps not increasing");
  bool ok;
  if (h.mode == kModeXor) {
    ok = ReadXorValues(r, &pos, out, h.n);
  } else if (h.d == 0) {
    ok = ReadIntValues<false>(r, &pos, h, out);
  } else {
    ok = ReadIntValues<true>(r, &pos, h, out);
  }
  if (!ok) return Corrupt("bad value width or window");
  if (pos > r.bit_length()) return Corrupt("truncated");
  return absl::OkStatus();
}

}  // namespace tally::storage
