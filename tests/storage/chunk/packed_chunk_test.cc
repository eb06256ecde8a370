// Round-trip property tests for the packed chunk encoding and the seal-time choice
// (EncodeForStorage), over random and adversarial series, plus decoder robustness on
// damaged input.
#include "storage/chunk/packed_chunk.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/chunk/chunk.h"
#include "storage/chunk/xor_chunk.h"

namespace tally::storage {
namespace {

constexpr uint64_t kSeed = 20261201;
constexpr uint64_t kStale = 0x7ff0000000000002ull;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }
double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

std::string Xor(const std::vector<Sample>& s) {
  XorChunk c;
  XorAppender app(&c);
  for (const Sample& x : s) app.Append(x.t_ms, x.v);
  return std::string(c.Bytes());
}

// Decodes `bytes` three ways (whole batch, Next one by one, batches of 7) and checks each
// against `want`, bit for bit.
void ExpectDecodes(const std::string& bytes, const std::vector<Sample>& want,
                   const std::string& what) {
  SCOPED_TRACE(what);
  {
    ChunkIterator it(bytes);
    std::vector<Sample> got(want.size() + 3);
    const size_t n = it.NextBatch(absl::MakeSpan(got));
    ASSERT_TRUE(it.status().ok()) << it.status();
    ASSERT_EQ(n, want.size());
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(got[i].t_ms, want[i].t_ms) << i;
      ASSERT_EQ(Bits(got[i].v), Bits(want[i].v)) << i;
    }
    EXPECT_FALSE(it.Next());
  }
  {
    ChunkIterator it(bytes);
    size_t i = 0;
    while (it.Next()) {
      ASSERT_LT(i, want.size());
      ASSERT_EQ(it.t(), want[i].t_ms) << i;
      ASSERT_EQ(Bits(it.v()), Bits(want[i].v)) << i;
      ++i;
    }
    ASSERT_TRUE(it.status().ok()) << it.status();
    ASSERT_EQ(i, want.size());
  }
  {
    ChunkIterator it(bytes);
    std::vector<Sample> got;
    Sample buf[7];
    while (size_t k = it.NextBatch(absl::MakeSpan(buf))) got.insert(got.end(), buf, buf + k);
    ASSERT_TRUE(it.status().ok()) << it.status();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].t_ms, want[i].t_ms);
      ASSERT_EQ(Bits(got[i].v), Bits(want[i].v));
    }
  }
}

// Packs directly and through the seal-time path; both must round-trip exactly, and the
// seal-time result is never larger than XOR.
void ExpectRoundTrip(const std::vector<Sample>& s, const std::string& what) {
  std::string packed;
  ASSERT_TRUE(EncodePacked(s, &packed)) << what;
  EXPECT_EQ(EncodingOf(packed), ChunkEncoding::kPacked);
  ASSERT_EQ(PackedNumSamples(packed).value_or(-1), static_cast<int>(s.size()));
  ExpectDecodes(packed, s, absl::StrCat(what, " packed"));
  const std::string xor_bytes = Xor(s);
  const std::string stored = EncodeForStorage(xor_bytes);
  EXPECT_LE(stored.size(), xor_bytes.size()) << what;
  ExpectDecodes(stored, s, absl::StrCat(what, " stored"));
}

std::vector<int64_t> Times(std::mt19937_64& rng, int n, int64_t step, int64_t jitter) {
  std::vector<int64_t> t;
  int64_t base = static_cast<int64_t>(rng() % 2'000'000'000'000ull) - 500'000'000'000;
  for (int i = 0; i < n; ++i) {
    int64_t x = base + i * step;
    if (jitter > 0) x += static_cast<int64_t>(rng() % (2 * jitter + 1)) - jitter;
    if (!t.empty() && x <= t.back()) x = t.back() + 1;
    t.push_back(x);
  }
  return t;
}

double RandomBitsDouble(std::mt19937_64& rng) { return FromBits(rng()); }

TEST(PackedChunkTest, RoundTripsRandomAndAdversarialSeries) {
  std::mt19937_64 rng(kSeed);
  const std::vector<double> specials = {
      0.0, -0.0, FromBits(kStale), std::numeric_limits<double>::quiet_NaN(),
      FromBits(0xfff8000000000001ull), std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::max(), 9007199254740991.0, 9007199254740992.0,
      -9007199254740993.0, 1e300, 0.1, 0.30000000000000004};
  for (int round = 0; round < 3000; ++round) {
    const int kind = round % 10;
    const int n = round % 97 == 0 ? 1 : 1 + static_cast<int>(rng() % 160);
    const int64_t step = std::vector<int64_t>{1, 15000, 30000, 60000, 1'000'000'007}[rng() % 5];
    const int64_t jitter = std::vector<int64_t>{0, 0, 1, 5, 50, 5000}[rng() % 6];
    const std::vector<int64_t> t = Times(rng, n, step, jitter);
    std::vector<Sample> s(n);
    const int d = 1 + static_cast<int>(rng() % 6);
    int64_t m = static_cast<int64_t>(rng() % 100000) - 50000;
    double acc = 0;
    for (int i = 0; i < n; ++i) {
      double v = 0;
      switch (kind) {
        case 0:  // integer counter
          m += static_cast<int64_t>(rng() % 1000);
          v = static_cast<double>(m);
          break;
        case 1:  // decimals with 1..6 places
          m += static_cast<int64_t>(rng() % 2000) - 500;
          v = static_cast<double>(m) / std::pow(10.0, d);
          break;
        case 2:  // mixed: integers, decimals, floats from accumulation
          acc += 0.001 * static_cast<double>(rng() % 1000);
          v = rng() % 3 == 0 ? acc : rng() % 2 ? static_cast<double>(m++) : 0.25 * i;
          break;
        case 3:  // specials mixed into integers
          v = rng() % 4 == 0 ? specials[rng() % specials.size()] : static_cast<double>(i);
          break;
        case 4:  // arbitrary bit patterns
          v = RandomBitsDouble(rng);
          break;
        case 5:  // huge integers at and around 2^53
          v = static_cast<double>((int64_t{1} << 53) - static_cast<int64_t>(rng() % 3)) *
              (rng() % 2 ? 1 : -1);
          break;
        case 6:  // constant
          v = 42.5;
          break;
        case 7:  // counter with resets
          m = rng() % 20 == 0 ? 0 : m + static_cast<int64_t>(rng() % 50);
          v = static_cast<double>(m);
          break;
        case 8:  // linear (delta-of-delta zero)
          v = 1000.0 + 3.0 * i;
          break;
        default:  // stale markers and -0.0 around decimals
          v = i % 17 == 5 ? FromBits(kStale) : i % 13 == 3 ? -0.0 : 0.5 * i;
          break;
      }
      s[i] = Sample{t[i], v};
    }
    ExpectRoundTrip(s, absl::StrCat("round ", round, " kind ", kind, " n ", n));
    if (HasFatalFailure()) return;
  }
}

TEST(PackedChunkTest, RoundTripsExtremeTimestamps) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = std::numeric_limits<int64_t>::max();
  ExpectRoundTrip({{lo, 1}, {hi, 2}}, "min to max");
  ExpectRoundTrip({{lo, 1}, {lo + 1, 2}, {hi - 1, 3}, {hi, 4}}, "two jumps");
  ExpectRoundTrip({{-5, 0.5}, {-4, 1.5}, {0, 2.5}, {7, -0.0}}, "around zero");
  ExpectRoundTrip({{hi, FromBits(kStale)}}, "single at max");
}

TEST(PackedChunkTest, PicksIntegerModesAndBeatsXorOnTypicalSeries) {
  std::mt19937_64 rng(kSeed + 1);
  std::vector<Sample> counter, decimal;
  int64_t m = 1000;
  const std::vector<int64_t> t = Times(rng, 120, 15000, 3);
  for (int i = 0; i < 120; ++i) {
    m += static_cast<int64_t>(rng() % 300);
    counter.push_back({t[i], static_cast<double>(m)});
    decimal.push_back({t[i], static_cast<double>(m) / 100.0});
  }
  const std::string c = EncodeForStorage(Xor(counter));
  const std::string d = EncodeForStorage(Xor(decimal));
  EXPECT_EQ(EncodingName(c), "packed-int");
  EXPECT_EQ(EncodingName(d), "packed-dec");
  EXPECT_EQ(EncodingName(Xor(counter)), "xor");
  // 3 ms jitter: 4 bits for each timestamp; deltas < 300: 9 bits for each value.
  EXPECT_LT(c.size(), 120u * 15 / 8 + 30);
  EXPECT_LT(c.size() * 2, Xor(counter).size());
  EXPECT_LT(d.size() * 2, Xor(decimal).size());
}

TEST(PackedChunkTest, NonDecimalValuesKeepXorValuesWithPackedTimestamps) {
  std::mt19937_64 rng(kSeed + 2);
  std::vector<Sample> s;
  const std::vector<int64_t> t = Times(rng, 120, 15000, 3);
  double acc = 0;
  for (int i = 0; i < 120; ++i) {
    acc += 0.0001 * static_cast<double>(rng() % 1000) / 3.0;
    s.push_back({t[i], acc});
  }
  const std::string stored = EncodeForStorage(Xor(s));
  EXPECT_EQ(EncodingName(stored), "packed-xor");
  ExpectDecodes(stored, s, "packed-xor");
}

TEST(PackedChunkTest, OldXorChunksStayReadable) {
  std::vector<Sample> s;
  for (int i = 0; i < 120; ++i) s.push_back({1000 + 15000 * i, FromBits(0x3ff0000000000000ull + i)});
  const std::string x = Xor(s);
  EXPECT_EQ(EncodingOf(x), ChunkEncoding::kXor);
  ExpectDecodes(x, s, "xor");
}

TEST(PackedChunkTest, SeekFindsFirstSampleAtOrAfter) {
  std::vector<Sample> s;
  for (int i = 0; i < 50; ++i) s.push_back({10 * i, static_cast<double>(i)});
  std::string p;
  ASSERT_TRUE(EncodePacked(s, &p));
  ChunkIterator it(p);
  ASSERT_TRUE(it.Seek(55));
  EXPECT_EQ(it.t(), 60);
  ASSERT_TRUE(it.Seek(60));  // stays
  EXPECT_EQ(it.t(), 60);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.t(), 70);
  EXPECT_FALSE(it.Seek(491));
  EXPECT_TRUE(it.status().ok());
}

TEST(PackedChunkTest, RejectsBadInputToEncoder) {
  std::string out = "untouched";
  EXPECT_FALSE(EncodePacked({}, &out));
  EXPECT_FALSE(EncodePacked(std::vector<Sample>{{5, 1}, {5, 2}}, &out));
  EXPECT_FALSE(EncodePacked(std::vector<Sample>{{6, 1}, {5, 2}}, &out));
  EXPECT_EQ(out, "untouched");
}

// Every truncation and many single-byte corruptions of valid chunks: the decoder returns
// samples or DataLoss, never crashes (run under ASan in the fuzz build), and a truncated
// chunk is always reported.
TEST(PackedChunkTest, DamagedInputIsDataLossNotACrash) {
  std::mt19937_64 rng(kSeed + 3);
  std::vector<std::vector<Sample>> inputs;
  for (int kind = 0; kind < 3; ++kind) {
    std::vector<Sample> s;
    const std::vector<int64_t> t = Times(rng, 100, 15000, 5);
    for (int i = 0; i < 100; ++i) {
      s.push_back({t[i], kind == 0 ? static_cast<double>(i * i)
                         : kind == 1 ? 0.01 * i
                                     : RandomBitsDouble(rng)});
    }
    inputs.push_back(s);
  }
  for (const auto& s : inputs) {
    std::string p;
    ASSERT_TRUE(EncodePacked(s, &p));
    for (size_t len = 0; len < p.size(); ++len) {
      ChunkIterator it(absl::string_view(p.data(), len));
      std::vector<Sample> out(200);
      const size_t n = it.NextBatch(absl::MakeSpan(out));
      if (len < p.size() - 1 || n != s.size()) {
        // Dropping the last byte can be harmless only when it held padding alone.
        EXPECT_TRUE(!it.status().ok() || len == p.size() - 1) << len;
      }
    }
    for (int k = 0; k < 2000; ++k) {
      std::string bad = p;
      bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
      ChunkIterator it(bad);
      while (it.Next()) {
      }
      ChunkIterator it2(bad);
      std::vector<Sample> out(70000);
      it2.NextBatch(absl::MakeSpan(out));
    }
  }
  ChunkIterator unknown(std::string("\xF7\x01\x02", 3));
  EXPECT_FALSE(unknown.Next());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tally::storage
