#include "storage/chunk/xor_chunk.h"

#include <algorithm>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "storage/util/check.h"
#include "storage/util/coding.h"

namespace tally::storage {
namespace {

constexpr int kHeaderBits = 16;

// Decoder state for one step; kept in locals (registers) by the batch loop. All
// arithmetic on t and delta is modulo 2^64, matching the encoder, so no input can cause
// signed overflow.
struct DecodeState {
  uint64_t pos;  // bit position in the stream after the header
  uint64_t t;
  uint64_t delta;
  uint64_t v_bits;
  int leading;
  int trailing;
};

// Reads a LEB128 varint of 8-bit groups at *pos. False if it is longer than 10 groups or
// overflows 64 bits. Reads past the end yield zero groups; the caller checks exhaustion.
bool ReadUvarint(const BitReader& r, uint64_t* pos, uint64_t* out) {
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    const uint64_t byte = r.ReadAt(*pos, 8);
    *pos += 8;
    if (i == 9 && byte > 1) return false;
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *out = result;
      return true;
    }
  }
  return false;
}

void WriteUvarint(BitWriter* w, uint64_t v) {
  while (v >= 0x80) {
    w->WriteBits((v & 0x7f) | 0x80, 8);
    v >>= 7;
  }
  w->WriteBits(v, 8);
}

// Decodes one XOR-encoded value at s->pos. `w` holds the stream bits from s->pos on, of
// which the top `avail` are valid (the caller's previous load, reused to skip a dependent
// load when the value fits). False for an impossible window (lead + m > 64).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool DecodeValue(const BitReader& r, DecodeState* s, uint64_t w,
                                                     int avail) {
  if (avail < 13) {
    w = r.PeekAt(s->pos);
    avail = 56;
  }
  if ((w >> 63) == 0) {  // '0': same value
    s->pos += 1;
    return true;
  }
  uint64_t bits;
  int mbits;
  if (((w >> 62) & 1) == 0) {  // '10': previous window
    mbits = 64 - s->leading - s->trailing;
    s->pos += 2;
    bits = mbits <= avail - 2 ? (w << 2) >> (64 - mbits) : r.ReadAt(s->pos, mbits);
  } else {  // '11': 5 bits leading, 6 bits length (0 means 64), then the bits
    const int leading = static_cast<int>((w >> 57) & 31);
    mbits = static_cast<int>((w >> 51) & 63);
    if (mbits == 0) mbits = 64;
    if (ABSL_PREDICT_FALSE(leading + mbits > 64)) return false;
    s->leading = leading;
    s->trailing = 64 - leading - mbits;
    s->pos += 13;
    bits = mbits <= avail - 13 ? (w << 13) >> (64 - mbits) : r.ReadAt(s->pos, mbits);
  }
  s->pos += static_cast<uint64_t>(mbits);
  s->v_bits ^= bits << s->trailing;
  return true;
}

// Decodes sample n >= 2 from `cur` into *next. False when the stream is corrupt: an
// impossible window, a non-increasing timestamp, or a read past the end.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool DecodeSample(const BitReader& r, uint64_t end_bits,
                                                      const DecodeState& cur, DecodeState* next) {
  *next = cur;
  const uint64_t w = r.PeekAt(cur.pos);
  uint64_t dod;
  int used;  // bits of w consumed by the timestamp
  if ((w >> 63) == 0) {
    dod = 0;
    used = 1;
  } else {
    const int ones = std::countl_one(w);
    if (ABSL_PREDICT_TRUE(ones < 4)) {
      // '10' + 14, '110' + 17, '1110' + 20 bits: size = 11 + 3 * ones, control = ones + 1.
      const int size = 11 + 3 * ones;
      const int ctrl = ones + 1;
      const uint64_t payload = (w << ctrl) >> (64 - size);
      // Prometheus compat: a payload above 2^(size-1) is negative (xor.go's bitRange).
      dod = payload - (static_cast<uint64_t>(payload > (uint64_t{1} << (size - 1))) << size);
      used = ctrl + size;
    } else {
      dod = r.ReadAt(cur.pos + 4, 64);
      used = 68;
    }
  }
  next->pos += static_cast<uint64_t>(used);
  next->delta += dod;
  next->t += next->delta;
  // used <= 24 leaves >= 32 valid bits in w for the value; after the 64-bit escape, none.
  const bool reuse = used <= 24;
  if (ABSL_PREDICT_FALSE(!DecodeValue(r, next, reuse ? w << used : 0, reuse ? 56 - used : 0))) {
    return false;
  }
  return next->pos <= end_bits && static_cast<int64_t>(next->t) > static_cast<int64_t>(cur.t);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// XorChunk

XorChunk::XorChunk() { stream_.WriteBits(0, kHeaderBits); }

XorChunk::XorChunk(std::string bytes) : stream_(std::move(bytes)) {}

absl::string_view XorChunk::Bytes() const { return stream_.Bytes(); }

int XorChunk::num_samples() const {
  const absl::string_view b = Bytes();
  if (b.size() < 2) return 0;
  return (static_cast<uint8_t>(b[0]) << 8) | static_cast<uint8_t>(b[1]);
}

bool XorChunk::ShouldSeal(int64_t first_t_ms, int64_t next_t_ms, int64_t max_span_ms) const {
  const int n = num_samples();
  if (n >= kTargetSamplesPerChunk) return true;
  if (n == 0) return false;
  int64_t span;
  if (__builtin_sub_overflow(next_t_ms, first_t_ms, &span)) return next_t_ms > first_t_ms;
  return span >= max_span_ms;
}

std::string XorChunk::ReleaseBytes() { return stream_.Release(); }

// ---------------------------------------------------------------------------------------
// XorAppender

XorAppender::XorAppender(XorChunk* chunk) : chunk_(chunk) {
  BitWriter& w = chunk_->stream_;
  XorIterator it(w.Bytes());
  while (it.Next()) {
  }
  if (!it.status().ok()) {
    status_ = it.status();
    return;
  }
  n_ = it.total_;
  t_ = it.t_;
  t_delta_ = it.t_delta_;
  v_bits_ = it.v_bits_;
  leading_ = it.leading_;
  trailing_ = it.trailing_;
  // The decoder starts with a 64-bit window (0, 0); the encoder's "no window yet" (0xff)
  // is equivalent and never emits a reuse the decoder could misread.
  if (leading_ == 0 && trailing_ == 0) leading_ = 0xff;
  // Drop anything after the last sample (padding, or junk in adopted bytes).
  w.Truncate(kHeaderBits + it.reader_.position());
}

void XorAppender::AppendValue(uint64_t v_bits) {
  BitWriter& w = chunk_->stream_;
  const uint64_t x = v_bits ^ v_bits_;
  if (x == 0) {
    w.WriteBits(0, 1);
    return;
  }
  int lead = std::countl_zero(x);
  const int trail = std::countr_zero(x);
  if (lead > 31) lead = 31;  // 5-bit field
  if (leading_ != 0xff && lead >= leading_ && trail >= trailing_) {
    const int m = 64 - leading_ - trailing_;
    const uint64_t payload = x >> trailing_;
    if (m <= 62) {
      w.WriteBits((uint64_t{0b10} << m) | payload, m + 2);
    } else {
      w.WriteBits(0b10, 2);
      w.WriteBits(payload, m);
    }
    return;
  }
  leading_ = static_cast<uint8_t>(lead);
  trailing_ = static_cast<uint8_t>(trail);
  const int m = 64 - lead - trail;
  const uint64_t header =
      (uint64_t{0b11} << 11) | (static_cast<uint64_t>(lead) << 6) | static_cast<uint64_t>(m & 63);
  const uint64_t payload = x >> trail;
  if (m <= 51) {
    w.WriteBits((header << m) | payload, 13 + m);
  } else {
    w.WriteBits(header, 13);
    w.WriteBits(payload, m);
  }
}

void XorAppender::Append(int64_t t_ms, double v) {
  if (ABSL_PREDICT_FALSE(!status_.ok())) return;
  TALLY_CHECK(n_ < kMaxSamplesPerChunk);
  TALLY_DCHECK(n_ == 0 || t_ms > t_);
  BitWriter& w = chunk_->stream_;
  const uint64_t v_bits = std::bit_cast<uint64_t>(v);
  const uint64_t delta = static_cast<uint64_t>(t_ms) - static_cast<uint64_t>(t_);
  if (ABSL_PREDICT_FALSE(n_ == 0)) {
    WriteUvarint(&w, ZigZagEncode(t_ms));
    w.WriteBits(v_bits, 64);
  } else if (ABSL_PREDICT_FALSE(n_ == 1)) {
    WriteUvarint(&w, delta);
    AppendValue(v_bits);
  } else {
    const int64_t dod = static_cast<int64_t>(delta - static_cast<uint64_t>(t_delta_));
    // Range checks as unsigned compares: -(2^(n-1) - 1) <= dod <= 2^(n-1).
    if (dod == 0) {
      w.WriteBits(0, 1);
    } else if (static_cast<uint64_t>(dod) + 8191 <= 16383) {
      w.WriteBits((uint64_t{0b10} << 14) | (static_cast<uint64_t>(dod) & 0x3fff), 16);
    } else if (static_cast<uint64_t>(dod) + 65535 <= 131071) {
      w.WriteBits((uint64_t{0b110} << 17) | (static_cast<uint64_t>(dod) & 0x1ffff), 20);
    } else if (static_cast<uint64_t>(dod) + 524287 <= 1048575) {
      w.WriteBits((uint64_t{0b1110} << 20) | (static_cast<uint64_t>(dod) & 0xfffff), 24);
    } else {
      w.WriteBits(0b1111, 4);
      w.WriteBits(static_cast<uint64_t>(dod), 64);
    }
    AppendValue(v_bits);
  }
  t_ = t_ms;
  t_delta_ = static_cast<int64_t>(delta);
  v_bits_ = v_bits;
  ++n_;
  w.SetByte(0, static_cast<uint8_t>(n_ >> 8));
  w.SetByte(1, static_cast<uint8_t>(n_ & 0xff));
}

// ---------------------------------------------------------------------------------------
// XorIterator

XorIterator::XorIterator(absl::string_view bytes)
    : reader_(bytes.size() >= 2 ? bytes.substr(2) : absl::string_view()) {
  if (bytes.size() < 2) {
    Fail("shorter than its 2-byte header");
    return;
  }
  total_ = (static_cast<uint8_t>(bytes[0]) << 8) | static_cast<uint8_t>(bytes[1]);
}

void XorIterator::Fail(absl::string_view why) {
  status_ = absl::DataLossError(
      absl::StrCat("corrupt xor chunk: ", why, " (sample ", read_, " of ", total_, ")"));
  total_ = read_;  // Next() now returns false without decoding
}

bool XorIterator::NextSlow() {
  DecodeState s{reader_.position(),
                static_cast<uint64_t>(t_),
                static_cast<uint64_t>(t_delta_),
                v_bits_,
                leading_,
                trailing_};
  if (read_ == 0) {
    uint64_t zz;
    if (!ReadUvarint(reader_, &s.pos, &zz)) {
      Fail("overlong timestamp varint");
      return false;
    }
    s.t = static_cast<uint64_t>(ZigZagDecode(zz));
    s.v_bits = reader_.ReadAt(s.pos, 64);
    s.pos += 64;
  } else {
    uint64_t delta;
    if (!ReadUvarint(reader_, &s.pos, &delta)) {
      Fail("overlong delta varint");
      return false;
    }
    s.delta = delta;
    s.t += delta;
    if (static_cast<int64_t>(s.t) <= t_) {
      Fail("timestamps not increasing");
      return false;
    }
    if (!DecodeValue(reader_, &s, 0, 0)) {
      Fail("invalid value window");
      return false;
    }
  }
  if (s.pos > reader_.bit_length()) {
    Fail("truncated");
    return false;
  }
  reader_.set_position(s.pos);
  t_ = static_cast<int64_t>(s.t);
  t_delta_ = static_cast<int64_t>(s.delta);
  v_bits_ = s.v_bits;
  leading_ = static_cast<uint8_t>(s.leading);
  trailing_ = static_cast<uint8_t>(s.trailing);
  ++read_;
  return true;
}

bool XorIterator::Next() {
  if (read_ >= total_) return false;
  if (ABSL_PREDICT_FALSE(read_ < 2)) return NextSlow();
  const DecodeState cur{reader_.position(),
                        static_cast<uint64_t>(t_),
                        static_cast<uint64_t>(t_delta_),
                        v_bits_,
                        leading_,
                        trailing_};
  DecodeState next;
  if (ABSL_PREDICT_FALSE(!DecodeSample(reader_, reader_.bit_length(), cur, &next))) {
    Fail("truncated, invalid window or timestamps not increasing");
    return false;
  }
  reader_.set_position(next.pos);
  t_ = static_cast<int64_t>(next.t);
  t_delta_ = static_cast<int64_t>(next.delta);
  v_bits_ = next.v_bits;
  leading_ = static_cast<uint8_t>(next.leading);
  trailing_ = static_cast<uint8_t>(next.trailing);
  ++read_;
  return true;
}

bool XorIterator::Seek(int64_t t_ms) {
  if (!status_.ok()) return false;
  if (read_ > 0 && t_ >= t_ms) return true;
  while (Next()) {
    if (t_ >= t_ms) return true;
  }
  return false;
}

size_t XorIterator::NextBatch(absl::Span<Sample> out) {
  size_t n = 0;
  while (n < out.size() && read_ < 2 && read_ < total_) {
    if (!NextSlow()) return n;
    out[n++] = At();
  }
  const size_t want = std::min(out.size() - n, static_cast<size_t>(total_ - read_));
  if (want == 0) return n;

  // Local copies: stores into `out` may not alias them, so the loop keeps them in registers.
  const BitReader r = reader_;
  const uint64_t end_bits = r.bit_length();
  DecodeState cur{
      r.position(), static_cast<uint64_t>(t_), static_cast<uint64_t>(t_delta_), v_bits_, leading_,
      trailing_};
  Sample* o = out.data() + n;
  size_t i = 0;
  bool ok = true;
  for (; i < want; ++i) {
    DecodeState next;
    if (ABSL_PREDICT_FALSE(!DecodeSample(r, end_bits, cur, &next))) {
      ok = false;
      break;
    }
    cur = next;
    o[i].t_ms = static_cast<int64_t>(cur.t);
    o[i].v = std::bit_cast<double>(cur.v_bits);
  }
  reader_.set_position(cur.pos);
  t_ = static_cast<int64_t>(cur.t);
  t_delta_ = static_cast<int64_t>(cur.delta);
  v_bits_ = cur.v_bits;
  leading_ = static_cast<uint8_t>(cur.leading);
  trailing_ = static_cast<uint8_t>(cur.trailing);
  read_ += static_cast<int>(i);
  if (!ok) Fail("truncated, invalid window or timestamps not increasing");
  return n + i;
}

}  // namespace tally::storage
