#include "storage/chunk/bit_stream.h"

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tally::storage {
namespace {

constexpr uint64_t kSeed = 7788;

uint64_t Low(uint64_t v, int n) { return n == 64 ? v : v & ((uint64_t{1} << n) - 1); }

TEST(BitStreamTest, PacksMostSignificantBitFirst) {
  BitWriter w;
  w.WriteBit(true);
  w.WriteBits(0b01, 2);
  w.WriteBits(0xabc, 12);  // crosses a byte boundary
  w.WriteBit(false);
  w.WriteBits(0b1, 1);
  // 1 01 1010 1011 1100 0 1 -> 1011 0101 | 0111 1000 | 1000 0000
  EXPECT_EQ(w.bit_length(), 17u);
  EXPECT_EQ(w.Bytes(), std::string("\xb5\x78\x80", 3));
}

TEST(BitStreamTest, WriteIgnoresHighBitsAndZeroWidth) {
  BitWriter w;
  w.WriteBits(~uint64_t{0}, 3);
  w.WriteBits(~uint64_t{0}, 0);
  w.WriteBits(0, 5);
  EXPECT_EQ(w.Bytes(), std::string("\xe0", 1));
}

TEST(BitStreamTest, RoundTripsRandomWidthsAtEveryAlignment) {
  std::mt19937_64 rng(kSeed);
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  for (int trial = 0; trial < 2000; ++trial) {
    BitWriter w;
    std::vector<std::pair<uint64_t, int>> ops;
    const int n = static_cast<int>(rng() % 80);
    uint64_t total = 0;
    for (int i = 0; i < n; ++i) {
      const int k = static_cast<int>(rng() % 65);
      const uint64_t v = rng();
      w.WriteBits(v, k);
      ops.emplace_back(Low(v, k), k);
      total += k;
    }
    ASSERT_EQ(w.bit_length(), total);
    ASSERT_EQ(w.Bytes().size(), (total + 7) / 8);
    const std::string bytes(w.Bytes());  // exact-size copy: ASan catches over-reads
    BitReader r(bytes);
    EXPECT_EQ(r.bit_length(), bytes.size() * 8);
    uint64_t pos = 0;
    for (const auto& [v, k] : ops) {
      if (k > 0) {
        ASSERT_EQ(r.ReadAt(pos, k), v);  // random access agrees
      }
      ASSERT_EQ(r.ReadBits(k), v) << "trial " << trial << " width " << k;
      pos += k;
    }
    EXPECT_FALSE(r.exhausted());
    // Padding bits of the last byte read as zero.
    const int pad = static_cast<int>(bytes.size() * 8 - total);
    if (pad > 0) {
      EXPECT_EQ(r.ReadBits(pad), 0u);
    }
    EXPECT_FALSE(r.exhausted());
  }
}

TEST(BitStreamTest, ReadsPastTheEndAreZeroAndReportExhaustion) {
  for (size_t len = 0; len <= 20; ++len) {
    SCOPED_TRACE(absl::StrCat("len ", len));
    const std::string bytes(len, '\xff');
    BitReader r(bytes);
    for (size_t i = 0; i < len; ++i) ASSERT_EQ(r.ReadBits(8), 0xffu);
    EXPECT_FALSE(r.exhausted());
    EXPECT_EQ(r.ReadBits(64), 0u);
    EXPECT_TRUE(r.exhausted());
    // Far past the end is still safe and zero.
    EXPECT_EQ(r.ReadAt(uint64_t{1} << 40, 64), 0u);
    EXPECT_EQ(r.PeekAt(len * 8 + 3), 0u);
  }
}

TEST(BitStreamTest, PeekStraddlingTheEndMixesDataAndZeros) {
  const std::string bytes("\x12\x34\x56\x78\x9a\xbc\xde\xf0\x0f", 9);
  BitReader r(bytes);
  EXPECT_EQ(r.PeekAt(0), 0x123456789abcdef0ULL);
  EXPECT_EQ(r.PeekAt(8) >> 8, 0x3456789abcdef0ULL);
  EXPECT_EQ(r.PeekAt(4 * 8) >> 24, 0x9abcdef00fULL);
  EXPECT_EQ(r.ReadAt(68, 4), 0xfu);  // the last nibble
  EXPECT_EQ(r.ReadAt(60, 12), 0x00fu);
}

TEST(BitStreamTest, TruncateDropsBitsAndZeroesThem) {
  BitWriter w;
  w.WriteBits(~uint64_t{0}, 64);
  w.WriteBits(0x3ff, 10);
  w.Truncate(13);
  EXPECT_EQ(w.bit_length(), 13u);
  EXPECT_EQ(w.Bytes(), std::string("\xff\xf8", 2));
  w.WriteBits(0, 3);
  w.WriteBits(0x1, 8);
  EXPECT_EQ(w.Bytes(), std::string("\xff\xf8\x01", 3));
  w.Truncate(0);
  EXPECT_TRUE(w.Bytes().empty());
  w.WriteBits(0, 16);
  EXPECT_EQ(w.Bytes(), std::string("\0\0", 2));  // nothing stale behind the end
  w.Truncate(100);                               // beyond the end: no-op
  EXPECT_EQ(w.bit_length(), 16u);
}

TEST(BitStreamTest, AdoptedBytesContinueAfterTheirLastByte) {
  BitWriter w(std::string("\xab", 1));
  EXPECT_EQ(w.bit_length(), 8u);
  w.WriteBits(0xcd, 8);
  w.SetByte(0, 0x01);
  EXPECT_EQ(w.Bytes(), std::string("\x01\xcd", 2));
  const std::string out = w.Release();
  EXPECT_EQ(out, std::string("\x01\xcd", 2));
  EXPECT_EQ(w.bit_length(), 0u);
  EXPECT_TRUE(w.Bytes().empty());
}

TEST(BitStreamTest, LongStreamsGrow) {
  BitWriter w;
  for (int i = 0; i < 100000; ++i) w.WriteBits(static_cast<uint64_t>(i), 17);
  BitReader r(w.Bytes());
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(r.ReadBits(17), Low(static_cast<uint64_t>(i), 17));
  EXPECT_FALSE(r.exhausted());
}

}  // namespace
}  // namespace tally::storage
