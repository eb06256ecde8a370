#include "storage/chunk/xor_chunk.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "storage/model/sample.h"
#include "storage/util/coding.h"

// Counts global operator new calls so tests can check that decoding never allocates.
// (The replacement pairs malloc with free; GCC cannot see that once it inlines delete.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<long> g_allocations{0};
}  // namespace
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tally::storage {
namespace {

constexpr uint64_t kSeed = 20240611;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }
double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

XorChunk Encode(const std::vector<Sample>& samples) {
  XorChunk chunk;
  XorAppender app(&chunk);
  EXPECT_TRUE(app.status().ok());
  for (const Sample& s : samples) app.Append(s.t_ms, s.v);
  return chunk;
}

// Decodes with Next(); asserts a clean end.
std::vector<Sample> DecodeAll(absl::string_view bytes) {
  std::vector<Sample> out;
  XorIterator it(bytes);
  while (it.Next()) out.push_back(it.At());
  EXPECT_TRUE(it.status().ok()) << it.status();
  EXPECT_FALSE(it.Next());
  return out;
}

std::vector<Sample> DecodeBatched(absl::string_view bytes, size_t batch) {
  std::vector<Sample> out;
  std::vector<Sample> buf(batch);
  XorIterator it(bytes);
  while (true) {
    const size_t n = it.NextBatch(absl::MakeSpan(buf));
    out.insert(out.end(), buf.begin(), buf.begin() + n);
    if (n > 0) {
      // The iterator's current sample is the last one written.
      EXPECT_EQ(it.t(), buf[n - 1].t_ms);
      EXPECT_EQ(Bits(it.v()), Bits(buf[n - 1].v));
    }
    if (n < batch) break;
  }
  EXPECT_TRUE(it.status().ok()) << it.status();
  return out;
}

// Exact comparison: timestamps equal and value bit patterns equal (NaN payloads included).
void ExpectSameSamples(const std::vector<Sample>& want, const std::vector<Sample>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(want[i].t_ms, got[i].t_ms) << "sample " << i;
    ASSERT_EQ(Bits(want[i].v), Bits(got[i].v))
        << "sample " << i << " want " << want[i].v << " got " << got[i].v;
  }
}

// Every read path must agree with the input.
void ExpectRoundTrip(const std::vector<Sample>& samples) {
  const XorChunk chunk = Encode(samples);
  EXPECT_EQ(chunk.num_samples(), static_cast<int>(samples.size()));
  EXPECT_EQ(chunk.size_bytes(), chunk.Bytes().size());
  ExpectSameSamples(samples, DecodeAll(chunk.Bytes()));
  for (size_t batch : {size_t{1}, size_t{3}, size_t{64}, size_t{200}}) {
    SCOPED_TRACE(absl::StrCat("batch ", batch));
    ExpectSameSamples(samples, DecodeBatched(chunk.Bytes(), batch));
  }
}

// Strictly increasing timestamps: sorted, deduplicated random int64s of the given range.
std::vector<int64_t> RandomTimes(std::mt19937_64& rng, int n, int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<int64_t> ts;
  while (static_cast<int>(ts.size()) < n) {
    ts.push_back(dist(rng));
    if (static_cast<int>(ts.size()) == n) {
      std::sort(ts.begin(), ts.end());
      ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    }
  }
  return ts;
}

const std::vector<uint64_t>& SpecialValueBits() {
  static const auto* v = new std::vector<uint64_t>{
      kStaleNaNBits,
      0x7ff8000000000000ULL,  // the usual quiet NaN
      0x7ff8000000000001ULL,  // the NaN Prometheus's value.NormalNaN uses
      0xfff8000000000000ULL,  // negative quiet NaN
      0x7ff0000000000001ULL,  // signalling NaN, smallest payload
      0x7fffffffffffffffULL,  // NaN, all payload bits
      0xffffffffffffffffULL,
      Bits(std::numeric_limits<double>::infinity()),
      Bits(-std::numeric_limits<double>::infinity()),
      Bits(0.0),
      Bits(-0.0),
      Bits(std::numeric_limits<double>::denorm_min()),
      Bits(-std::numeric_limits<double>::denorm_min()),
      0x000fffffffffffffULL,  // largest subnormal
      Bits(std::numeric_limits<double>::min()),
      Bits(std::numeric_limits<double>::max()),
      Bits(std::numeric_limits<double>::lowest()),
      Bits(std::numeric_limits<double>::epsilon()),
      Bits(1.0),
      Bits(-1.0),
      0x8000000000000001ULL,
      0x0000000000000001ULL,
  };
  return *v;
}

// Random value streams of different characters; `kind` selects one.
double RandomValue(std::mt19937_64& rng, int kind, double prev) {
  const auto& special = SpecialValueBits();
  switch (kind) {
    case 0:  // random bit patterns
      return FromBits(rng());
    case 1:  // special values only
      return FromBits(special[rng() % special.size()]);
    case 2:  // mostly constant, sometimes special
      return rng() % 8 == 0 ? FromBits(special[rng() % special.size()]) : 42.5;
    case 3: {  // counter with small float increments and resets
      if (rng() % 50 == 0) return 0;
      std::uniform_real_distribution<double> inc(0.0012, 0.03);
      return (std::isfinite(prev) ? prev : 0) + inc(rng);
    }
    case 4:  // integer counter
      return rng() % 40 == 0 ? 0 : (std::isfinite(prev) ? prev : 0) + double(rng() % 5000);
    default: {  // gauges of all magnitudes, with single-bit flips of the previous value
      if (rng() % 3 == 0) return FromBits(Bits(prev) ^ (uint64_t{1} << (rng() % 64)));
      std::uniform_real_distribution<double> mag(-300, 300);
      return std::pow(2.0, mag(rng)) * (rng() % 2 ? 1 : -1);
    }
  }
}

TEST(XorChunkTest, EmptyChunkHasHeaderOnly) {
  XorChunk chunk;
  EXPECT_EQ(chunk.num_samples(), 0);
  EXPECT_EQ(chunk.Bytes(), absl::string_view("\0\0", 2));
  XorIterator it(chunk.Bytes());
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.status().ok());
  std::vector<Sample> buf(4);
  EXPECT_EQ(it.NextBatch(absl::MakeSpan(buf)), 0u);
  EXPECT_FALSE(it.Seek(0));
  EXPECT_TRUE(it.status().ok());
}

TEST(XorChunkTest, EncodesTheDocumentedLayout) {
  // Prometheus compat: the same bytes as tsdb/chunkenc's XOR chunk for this input.
  const XorChunk chunk = Encode({{0, 1.0}, {15000, 1.0}, {30000, 1.0}});
  // count=3 | t0 varsint 0 | v0 raw 1.0 | delta uvarint 15000 (0x98 0x75) | '0' same value |
  // '0' dod 0 | '0' same value | padding.
  const std::string want("\x00\x03\x00\x3f\xf0\x00\x00\x00\x00\x00\x00\x98\x75\x00", 14);
  EXPECT_EQ(chunk.Bytes(), want);
}

TEST(XorChunkTest, EncodesDodBucketsAndWindows) {
  // t: 0, 10, 30 (dod 10 -> '10' + 14 bits); v: 1.0, 1.0, 3.0 (xor 0x7ff8... -> new window).
  const XorChunk chunk = Encode({{0, 1.0}, {10, 1.0}, {30, 3.0}});
  const absl::string_view b = chunk.Bytes();
  ASSERT_GE(b.size(), 13u);
  // After header(2) t0(1) v0(8) delta(1 byte: 10): bit stream of sample 1's value '0', then
  // '10' + 00000000001010 (dod 10), then '11' + 5-bit lead + 6-bit length + the bits.
  BitReader r(b.substr(2 + 1 + 8 + 1));
  EXPECT_EQ(r.ReadBits(1), 0u);     // v1 same
  EXPECT_EQ(r.ReadBits(2), 0b10u);  // 14-bit dod bucket
  EXPECT_EQ(r.ReadBits(14), 10u);   // dod = 20 - 10
  EXPECT_EQ(r.ReadBits(2), 0b11u);  // new window
  const uint64_t x = Bits(1.0) ^ Bits(3.0);
  const int lead = std::countl_zero(x);
  const int trail = std::countr_zero(x);
  EXPECT_EQ(r.ReadBits(5), static_cast<uint64_t>(lead));
  EXPECT_EQ(r.ReadBits(6), static_cast<uint64_t>(64 - lead - trail));
  EXPECT_EQ(r.ReadBits(64 - lead - trail), x >> trail);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Prometheus compat: a chunks segment written by promtool 2.42 (`tsdb create-blocks-from
// openmetrics` on testdata/gen_prometheus_chunks.py's output) decodes to exactly what
// `promtool tsdb dump` printed, and re-encoding each chunk's samples yields Prometheus's
// bytes (up to one trailing padding byte, see below). Segment layout: magic 0x85BD40DD, version 1,
// 3 padding bytes, then per chunk: uvarint data length, encoding byte (1 = XOR), data, CRC32C (not
// checked here).
TEST(XorChunkTest, MatchesPrometheusChunksByteForByte) {
  const std::string dir = TALLY_SOURCE_DIR "/tests/storage/chunk/testdata/";
  const std::string segment = ReadFile(dir + "prometheus-2.42-chunks");
  const std::string dump = ReadFile(dir + "prometheus-2.42-dump.txt");
  ASSERT_GT(segment.size(), 8u);
  ASSERT_FALSE(dump.empty());
  EXPECT_EQ(segment.substr(0, 5), std::string("\x85\xbd\x40\xdd\x01", 5));

  // Expected samples, in series order then time order, from the dump's
  // `{labels} value timestamp` lines.
  std::vector<Sample> want;
  for (absl::string_view line : absl::StrSplit(dump, '\n', absl::SkipEmpty())) {
    const std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    ASSERT_EQ(f.size(), 3u) << line;
    Sample s;
    ASSERT_TRUE(absl::SimpleAtoi(f[2], &s.t_ms)) << line;
    s.v = std::strtod(std::string(f[1]).c_str(), nullptr);  // handles NaN, +Inf, -0
    want.push_back(s);
  }

  absl::string_view in(segment);
  in.remove_prefix(8);
  std::vector<Sample> got;
  int chunks = 0;
  int padded = 0;
  while (!in.empty()) {
    uint64_t len;
    ASSERT_TRUE(GetVarint64(&in, &len));
    ASSERT_GE(in.size(), len + 5);
    ASSERT_EQ(in[0], 1) << "not an XOR chunk";
    const absl::string_view data = in.substr(1, len);
    in.remove_prefix(1 + len + 4);
    ++chunks;

    std::vector<Sample> samples = DecodeAll(data);
    ASSERT_EQ(static_cast<int>(samples.size()), XorChunk(std::string(data)).num_samples());
    // Prometheus's bstream.writeByte leaves an empty byte behind after a whole-byte write
    // that ends on a byte boundary; we do not keep that byte, so its chunk may be one zero
    // byte longer. Every other byte is the same.
    const std::string again(Encode(samples).Bytes());
    if (data.size() == again.size() + 1 && data.back() == '\0') {
      EXPECT_EQ(again, data.substr(0, again.size())) << "chunk " << chunks;
      ++padded;
    } else {
      EXPECT_EQ(again, data) << "chunk " << chunks;
    }
    got.insert(got.end(), samples.begin(), samples.end());
  }
  EXPECT_EQ(chunks, 20);  // as promtool reported for the block
  EXPECT_LT(padded, chunks);
  ASSERT_EQ(got.size(), want.size());
  int nans = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].t_ms, want[i].t_ms) << i;
    if (std::isnan(want[i].v)) {
      ASSERT_TRUE(std::isnan(got[i].v)) << i;
      ++nans;
    } else {
      ASSERT_EQ(Bits(got[i].v), Bits(want[i].v)) << i;  // -0 and +-Inf by bits
    }
  }
  EXPECT_GT(nans, 0);
}

TEST(XorChunkTest, RoundTripsSingleAndTwoSampleChunks) {
  for (uint64_t b : SpecialValueBits()) {
    for (int64_t t : {kMinTime, int64_t{-1}, int64_t{0}, int64_t{1'700'000'000'000}, kMaxTime}) {
      SCOPED_TRACE(absl::StrCat("t=", t, " bits=", b));
      ExpectRoundTrip({{t, FromBits(b)}});
      if (t != kMaxTime) {
        ExpectRoundTrip({{t, FromBits(b)}, {t + 1, FromBits(~b)}});
        ExpectRoundTrip({{t, FromBits(b)}, {kMaxTime, FromBits(b)}});
      }
    }
  }
}

TEST(XorChunkTest, RoundTripsStaleMarker) {
  std::vector<Sample> s;
  for (int i = 0; i < 120; ++i) s.push_back({i * 15000LL, i % 3 == 0 ? StaleNaN() : i * 0.5});
  const XorChunk chunk = Encode(s);
  XorIterator it(chunk.Bytes());
  int i = 0;
  while (it.Next()) {
    EXPECT_EQ(IsStaleNaN(it.v()), i % 3 == 0) << i;
    ++i;
  }
  EXPECT_EQ(i, 120);
  ExpectRoundTrip(s);
}

TEST(XorChunkTest, RoundTripsEverySpecialValuePair) {
  // Each ordered pair of special values adjacent, in both orders and repeated, so every
  // window transition (same, reuse, new, 64-bit window, clamped leading zeros) occurs.
  const auto& special = SpecialValueBits();
  std::vector<Sample> s;
  int64_t t = -1'000'000;
  for (uint64_t a : special) {
    for (uint64_t b : special) {
      s.push_back({t += 15000, FromBits(a)});
      s.push_back({t += 15000, FromBits(b)});
      s.push_back({t += 15000, FromBits(b)});
    }
  }
  for (size_t start = 0; start < s.size(); start += 120) {
    const size_t end = std::min(s.size(), start + 120);
    ExpectRoundTrip(std::vector<Sample>(s.begin() + start, s.begin() + end));
  }
}

TEST(XorChunkTest, RoundTripsRandomCases) {
  std::mt19937_64 rng(kSeed);
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  for (int c = 0; c < 3000; ++c) {
    SCOPED_TRACE(absl::StrCat("case ", c));
    const int n = 1 + static_cast<int>(rng() % 150);
    const int value_kind = static_cast<int>(rng() % 6);
    const int time_kind = static_cast<int>(rng() % 5);
    std::vector<int64_t> ts;
    switch (time_kind) {
      case 0: {  // 15 s scrapes with a few ms of jitter
        const int64_t start = 1'700'000'000'000 + static_cast<int64_t>(rng() % 100000);
        for (int i = 0; i < n; ++i) ts.push_back(start + i * 15000LL + int64_t(rng() % 7) - 3);
        break;
      }
      case 1:  // anywhere in int64
        ts = RandomTimes(rng, n, kMinTime, kMaxTime);
        break;
      case 2:  // negative times
        ts = RandomTimes(rng, n, -5'000'000'000'000, -1);
        break;
      case 3: {  // deltas straddling every dod bucket boundary
        static const int64_t kDeltas[] = {1,     2,      8192,   8193,   8194,    65536,    65537,
                                          65538, 524288, 524289, 524290, 1 << 30, 1LL << 40};
        int64_t t = static_cast<int64_t>(rng() % 1000) - 500;
        for (int i = 0; i < n; ++i) {
          ts.push_back(t);
          t += kDeltas[rng() % std::size(kDeltas)];
        }
        break;
      }
      default: {  // dense: 1 ms apart with occasional gaps
        int64_t t = static_cast<int64_t>(rng());
        if (t > kMaxTime / 2) t /= 2;
        for (int i = 0; i < n; ++i) {
          ts.push_back(t);
          t += rng() % 10 == 0 ? static_cast<int64_t>(rng() % 100000) + 1 : 1;
        }
        break;
      }
    }
    std::vector<Sample> s;
    double prev = 0;
    for (int64_t t : ts) {
      prev = RandomValue(rng, value_kind, prev);
      s.push_back({t, prev});
    }
    ExpectRoundTrip(s);
    if (HasFatalFailure()) return;
  }
}

TEST(XorChunkTest, RoundTripsExtremeTimestampJumps) {
  ExpectRoundTrip({{kMinTime, 1}, {kMaxTime, 2}});
  ExpectRoundTrip({{kMinTime, 1}, {kMinTime + 1, 2}, {kMaxTime, 3}});
  ExpectRoundTrip({{kMinTime, 1}, {kMaxTime - 1, 2}, {kMaxTime, 3}});
  ExpectRoundTrip({{kMinTime, 1}, {0, 2}, {kMaxTime, 3}});
  ExpectRoundTrip({{-1, 1}, {0, 2}, {1, 3}, {kMaxTime, 4}});
  // dod bucket edges, both signs (Prometheus's asymmetric ranges: -(2^(n-1)-1) .. 2^(n-1)).
  for (int64_t dod :
       {8191LL, 8192LL, 8193LL, -8191LL, -8192LL, -8193LL, 65535LL, 65536LL, 65537LL, -65535LL,
        -65536LL, -65537LL, 524287LL, 524288LL, 524289LL, -524287LL, -524288LL, -524289LL}) {
    const int64_t d0 = 1'000'000;
    ExpectRoundTrip({{0, 1}, {d0, 2}, {2 * d0 + dod, 3}, {3 * d0 + 2 * dod, 4}});
  }
}

TEST(XorChunkTest, BucketsMatchTheirRanges) {
  // A dod at a bucket's upper edge fits it; one more needs the next bucket. The size of
  // the chunk tells which bucket was used: 14 -> 17 bits is +3 bits, etc.
  auto size_with_dod = [](int64_t dod) {
    const int64_t d0 = 1'000'000;
    return Encode({{0, 1}, {d0, 1}, {2 * d0 + dod, 1}}).Bytes().size() * 8;
  };
  // Stream bits before sample 2: header 16, t0 8, v0 64, delta uvarint 24, v1 '0' 1 = 113.
  auto stream_bits = [](int dod_bits) { return ((113 + dod_bits + 1) + 7) / 8 * 8; };
  EXPECT_EQ(size_with_dod(0), static_cast<size_t>(stream_bits(1)));
  EXPECT_EQ(size_with_dod(8192), static_cast<size_t>(stream_bits(2 + 14)));
  EXPECT_EQ(size_with_dod(-8191), static_cast<size_t>(stream_bits(2 + 14)));
  EXPECT_EQ(size_with_dod(8193), static_cast<size_t>(stream_bits(3 + 17)));
  EXPECT_EQ(size_with_dod(-8192), static_cast<size_t>(stream_bits(3 + 17)));
  EXPECT_EQ(size_with_dod(524288), static_cast<size_t>(stream_bits(4 + 20)));
  EXPECT_EQ(size_with_dod(524289), static_cast<size_t>(stream_bits(4 + 64)));
}

TEST(XorChunkTest, CompressesRegularConstantSeries) {
  std::vector<Sample> s;
  for (int i = 0; i < 120; ++i) s.push_back({1'700'000'000'000 + i * 15000LL, 1.0});
  const XorChunk chunk = Encode(s);
  // 2 header + 6 varint t0 + 8 v0 + 2 delta, then 1 bit of value for sample 1 and 2 bits
  // (dod '0', value '0') for each of the other 118: 18 bytes + 237 bits = 48 bytes.
  EXPECT_EQ(chunk.size_bytes(), 48u);
}

TEST(XorChunkTest, SeekSemantics) {
  std::vector<Sample> s;
  for (int i = 0; i < 50; ++i) s.push_back({1000 + i * 10LL, double(i)});
  const XorChunk chunk = Encode(s);
  {
    XorIterator it(chunk.Bytes());
    ASSERT_TRUE(it.Seek(0));  // before the first: lands on it
    EXPECT_EQ(it.t(), 1000);
    ASSERT_TRUE(it.Seek(1000));  // already there: stays
    EXPECT_EQ(it.t(), 1000);
    ASSERT_TRUE(it.Seek(1015));  // between samples: the next one
    EXPECT_EQ(it.t(), 1020);
    EXPECT_EQ(it.v(), 2.0);
    ASSERT_TRUE(it.Seek(1005));  // backwards: never moves back
    EXPECT_EQ(it.t(), 1020);
    ASSERT_TRUE(it.Next());
    EXPECT_EQ(it.t(), 1030);
    ASSERT_TRUE(it.Seek(1490));  // the last
    EXPECT_EQ(it.v(), 49.0);
    EXPECT_FALSE(it.Next());
    EXPECT_TRUE(it.Seek(1490));  // stays on the last sample even after the end
    EXPECT_FALSE(it.Seek(1491));
    EXPECT_TRUE(it.status().ok());
  }
  {
    XorIterator it(chunk.Bytes());
    EXPECT_FALSE(it.Seek(5000));  // past the end
    EXPECT_TRUE(it.status().ok());
    EXPECT_FALSE(it.Next());
  }
  {
    XorIterator it(chunk.Bytes());
    ASSERT_TRUE(it.Seek(kMinTime));
    EXPECT_EQ(it.t(), 1000);
  }
}

TEST(XorChunkTest, NextBatchInterleavesWithNext) {
  std::mt19937_64 rng(kSeed + 1);
  SCOPED_TRACE(absl::StrCat("seed ", kSeed + 1));
  for (int c = 0; c < 300; ++c) {
    std::vector<Sample> s;
    const int n = 1 + static_cast<int>(rng() % 130);
    double prev = 0;
    for (int i = 0; i < n; ++i) {
      prev = RandomValue(rng, static_cast<int>(rng() % 6), prev);
      s.push_back({i * 15000LL + int64_t(rng() % 5), prev});
    }
    const XorChunk chunk = Encode(s);
    XorIterator it(chunk.Bytes());
    std::vector<Sample> got;
    std::vector<Sample> buf(16);
    while (true) {
      if (rng() % 2) {
        if (!it.Next()) break;
        got.push_back(it.At());
      } else {
        const size_t want = rng() % 17;  // 0..16
        const size_t k = it.NextBatch(absl::MakeSpan(buf.data(), want));
        got.insert(got.end(), buf.begin(), buf.begin() + k);
        if (k < want) break;
      }
    }
    EXPECT_TRUE(it.status().ok());
    ExpectSameSamples(s, got);
    if (HasFatalFailure()) return;
  }
}

TEST(XorChunkTest, ResumesAppendingAtEverySplitPoint) {
  std::mt19937_64 rng(kSeed + 2);
  SCOPED_TRACE(absl::StrCat("seed ", kSeed + 2));
  for (int c = 0; c < 40; ++c) {
    std::vector<Sample> s;
    const int kind = c % 6;
    double prev = 0;
    int64_t t = static_cast<int64_t>(rng() % 1000000) - 500000;
    for (int i = 0; i < 120; ++i) {
      prev = RandomValue(rng, kind, prev);
      s.push_back({t, prev});
      t += 15000 + static_cast<int64_t>(rng() % 9) - 4;
    }
    for (size_t split = 0; split <= s.size(); ++split) {
      SCOPED_TRACE(absl::StrCat("case ", c, " split ", split));
      // First part, then resume on a chunk adopted from the bytes (as read from disk).
      const XorChunk first = Encode(std::vector<Sample>(s.begin(), s.begin() + split));
      XorChunk resumed{std::string(first.Bytes())};
      {
        XorAppender app(&resumed);
        ASSERT_TRUE(app.status().ok()) << app.status();
        for (size_t i = split; i < s.size(); ++i) app.Append(s[i].t_ms, s[i].v);
      }
      EXPECT_EQ(resumed.num_samples(), 120);
      ExpectSameSamples(s, DecodeAll(resumed.Bytes()));
      // And resuming an in-memory chunk with a second appender, twice.
      XorChunk live = Encode(std::vector<Sample>(s.begin(), s.begin() + split));
      const size_t mid = split + (s.size() - split) / 2;
      {
        XorAppender app(&live);
        for (size_t i = split; i < mid; ++i) app.Append(s[i].t_ms, s[i].v);
      }
      {
        XorAppender app(&live);
        for (size_t i = mid; i < s.size(); ++i) app.Append(s[i].t_ms, s[i].v);
      }
      ExpectSameSamples(s, DecodeAll(live.Bytes()));
      if (HasFatalFailure()) return;
    }
  }
}

TEST(XorChunkTest, ResumeIgnoresTrailingJunkAfterLastSample) {
  const std::vector<Sample> s = {{0, 1.5}, {15000, 2.5}, {30001, 2.5}};
  std::string bytes(Encode(s).Bytes());
  bytes += std::string("\xff\xff\xff", 3);  // junk after the last sample
  XorChunk chunk(bytes);
  {
    XorAppender app(&chunk);
    ASSERT_TRUE(app.status().ok());
    app.Append(45000, 7.0);
  }
  ExpectSameSamples({{0, 1.5}, {15000, 2.5}, {30001, 2.5}, {45000, 7.0}}, DecodeAll(chunk.Bytes()));
}

TEST(XorChunkTest, AppenderOnCorruptChunkReportsDataLoss) {
  for (const std::string& bytes :
       {std::string(), std::string("\x01", 1), std::string("\x00\x05\x00", 3)}) {
    XorChunk chunk(bytes);
    XorAppender app(&chunk);
    EXPECT_EQ(app.status().code(), absl::StatusCode::kDataLoss) << bytes.size();
    app.Append(1, 1.0);  // ignored
    EXPECT_EQ(chunk.Bytes(), bytes);
  }
}

TEST(XorChunkTest, RejectsHeaderClaimingMoreSamples) {
  std::string bytes(Encode({{0, 1}, {1, 2}, {2, 3}}).Bytes());
  bytes[1] = 4;  // claims 4 samples, holds 3 (the padding bits decode to at most a partial one)
  XorIterator it(bytes);
  int n = 0;
  while (it.Next()) ++n;
  EXPECT_LE(n, 4);
  bytes[1] = 100;
  XorIterator it2(bytes);
  n = 0;
  while (it2.Next()) ++n;
  EXPECT_LT(n, 100);
  EXPECT_EQ(it2.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(it2.Next());
  EXPECT_FALSE(it2.Seek(kMinTime));
  std::vector<Sample> buf(8);
  EXPECT_EQ(it2.NextBatch(absl::MakeSpan(buf)), 0u);
}

TEST(XorChunkTest, RejectsShortBytes) {
  for (size_t len : {0, 1}) {
    XorIterator it(absl::string_view("\x00\x00", len));
    EXPECT_FALSE(it.Next());
    EXPECT_EQ(it.status().code(), absl::StatusCode::kDataLoss);
  }
}

// Decodes `bytes` every way there is and checks what any decode must satisfy: no crash,
// strictly increasing timestamps, at most the header's count, OK or DataLoss, and the same
// samples from Next() and NextBatch(). Returns the samples.
std::vector<Sample> DecodeUntrusted(absl::string_view bytes, absl::Status* status) {
  std::vector<Sample> got;
  XorIterator it(bytes);
  while (it.Next()) {
    if (!got.empty()) {
      EXPECT_GT(it.t(), got.back().t_ms);
    }
    got.push_back(it.At());
  }
  *status = it.status();
  EXPECT_TRUE(status->ok() || status->code() == absl::StatusCode::kDataLoss) << *status;
  if (bytes.size() >= 2) {
    EXPECT_LE(got.size(), (static_cast<uint8_t>(bytes[0]) << 8 | static_cast<uint8_t>(bytes[1])));
  }
  std::vector<Sample> buf(got.size() + 8);
  XorIterator it2(bytes);
  const size_t n = it2.NextBatch(absl::MakeSpan(buf));
  buf.resize(n);
  ExpectSameSamples(got, buf);
  EXPECT_EQ(it2.status().code(), status->code());
  return got;
}

TEST(XorChunkTest, EveryTruncationIsDataLossOrAValidPrefix) {
  std::mt19937_64 rng(kSeed + 3);
  SCOPED_TRACE(absl::StrCat("seed ", kSeed + 3));
  for (int c = 0; c < 30; ++c) {
    std::vector<Sample> s;
    double prev = 0;
    int64_t t = static_cast<int64_t>(rng());
    if (t > 0) t = -t / 2;
    for (int i = 0; i < 120; ++i) {
      prev = RandomValue(rng, c % 6, prev);
      s.push_back({t, prev});
      t += 1 + static_cast<int64_t>(rng() % (c % 2 ? 30000 : (1LL << 40)));
    }
    const std::string full(Encode(s).Bytes());
    for (size_t len = 0; len < full.size(); ++len) {
      SCOPED_TRACE(absl::StrCat("case ", c, " len ", len));
      // A copy of exactly `len` bytes, so ASan sees any read past the end.
      const std::string cut = full.substr(0, len);
      absl::Status st;
      const std::vector<Sample> got = DecodeUntrusted(cut, &st);
      EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
      ExpectSameSamples(std::vector<Sample>(s.begin(), s.begin() + got.size()), got);
      XorChunk chunk(cut);
      XorAppender app(&chunk);
      EXPECT_EQ(app.status().code(), absl::StatusCode::kDataLoss);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(XorChunkTest, SurvivesRandomBytesAndBitFlips) {
  std::mt19937_64 rng(kSeed + 4);
  SCOPED_TRACE(absl::StrCat("seed ", kSeed + 4));
  int data_loss = 0;
  for (int c = 0; c < 3000; ++c) {
    std::string bytes(rng() % 200, '\0');
    for (char& ch : bytes) ch = static_cast<char>(rng());
    if (bytes.size() >= 2 && c % 2) bytes[0] = 0;  // plausible counts
    absl::Status st;
    const std::vector<Sample> decoded = DecodeUntrusted(bytes, &st);
    data_loss += !st.ok();
    XorChunk chunk(bytes);
    XorAppender app(&chunk);  // resume must not crash either
    EXPECT_EQ(app.status().code(), st.code());
    if (app.status().ok()) {
      const int n = chunk.num_samples();
      if (n < kMaxSamplesPerChunk && (decoded.empty() || decoded.back().t_ms < kMaxTime)) {
        app.Append(kMaxTime, 1.0);
        absl::Status st2;
        const std::vector<Sample> after = DecodeUntrusted(chunk.Bytes(), &st2);
        EXPECT_TRUE(st2.ok()) << st2;
        ASSERT_EQ(after.size(), static_cast<size_t>(n) + 1);
        EXPECT_EQ(after.back().t_ms, kMaxTime);
      }
    }
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(data_loss, 0);  // the corruption checks did fire
  // Every single-bit flip of a valid chunk.
  std::vector<Sample> s;
  double prev = 0;
  for (int i = 0; i < 120; ++i) {
    prev = RandomValue(rng, i % 6, prev);
    s.push_back({i * 15000LL + int64_t(rng() % 7), prev});
  }
  const std::string full(Encode(s).Bytes());
  for (size_t bit = 0; bit < full.size() * 8; ++bit) {
    std::string flipped = full;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (0x80 >> (bit % 8)));
    absl::Status st;
    DecodeUntrusted(flipped, &st);
    if (HasFatalFailure()) return;
  }
}

TEST(XorChunkTest, DecodingDoesNotAllocate) {
  std::vector<Sample> s;
  for (int i = 0; i < 120; ++i) s.push_back({i * 15000LL + i % 3, i * 0.37});
  const XorChunk chunk = Encode(s);
  std::vector<Sample> buf(200);
  const long before = g_allocations.load();
  double sum = 0;
  for (int round = 0; round < 3; ++round) {
    XorIterator it(chunk.Bytes());
    while (it.Next()) sum += it.v();
    XorIterator it2(chunk.Bytes());
    sum += it2.Seek(60000) ? it2.v() : 0;
    sum += static_cast<double>(it2.NextBatch(absl::MakeSpan(buf)));
  }
  EXPECT_EQ(g_allocations.load(), before);
  EXPECT_GT(sum, 0);
}

TEST(XorChunkTest, AppendAllocatesOnlyToGrowTheBuffer) {
  XorChunk chunk;
  XorAppender app(&chunk);
  const long before = g_allocations.load();
  for (int i = 0; i < kTargetSamplesPerChunk; ++i) app.Append(i * 15000LL, i * 0.37);
  EXPECT_LE(g_allocations.load() - before, 8);  // geometric growth, not per sample
}

TEST(XorChunkTest, ShouldSealAtTargetCountOrTimeBound) {
  const int64_t kSpan = 2 * 3600 * 1000;
  XorChunk chunk;
  EXPECT_FALSE(chunk.ShouldSeal(0, kMaxTime, kSpan));  // empty: never
  XorAppender app(&chunk);
  app.Append(1000, 1);
  EXPECT_FALSE(chunk.ShouldSeal(1000, 1000 + kSpan - 1, kSpan));
  EXPECT_TRUE(chunk.ShouldSeal(1000, 1000 + kSpan, kSpan));
  EXPECT_TRUE(chunk.ShouldSeal(kMinTime, kMaxTime, kSpan));  // overflowing span
  EXPECT_FALSE(chunk.ShouldSeal(kMaxTime, kMinTime, kSpan));
  for (int i = 1; i < kTargetSamplesPerChunk - 1; ++i) app.Append(1000 + i, 1);
  EXPECT_FALSE(chunk.ShouldSeal(1000, 2000, kSpan));
  app.Append(5000, 1);
  EXPECT_EQ(chunk.num_samples(), kTargetSamplesPerChunk);
  EXPECT_TRUE(chunk.ShouldSeal(1000, 5001, kSpan));
}

TEST(XorChunkTest, ReleaseBytesMovesTheEncoding) {
  XorChunk chunk = Encode({{1, 1}, {2, 2}, {3, 3}});
  const std::string want(chunk.Bytes());
  const std::string got = chunk.ReleaseBytes();
  EXPECT_EQ(got, want);
  EXPECT_TRUE(chunk.Bytes().empty());
  ExpectSameSamples({{1, 1}, {2, 2}, {3, 3}}, DecodeAll(got));
}

TEST(XorChunkTest, BytesViewStaysValidAcrossCopies) {
  XorChunk a = Encode({{1, 1}, {2, 2}});
  XorChunk b = a;  // value semantics
  XorAppender app(&b);
  app.Append(3, 3);
  EXPECT_EQ(a.num_samples(), 2);
  EXPECT_EQ(b.num_samples(), 3);
  ExpectSameSamples({{1, 1}, {2, 2}}, DecodeAll(a.Bytes()));
}

}  // namespace
}  // namespace tally::storage
