#include "storage/util/coding.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tally::storage {
namespace {

constexpr uint64_t kSeed = 99;

TEST(CodingTest, VarintSizesAndRoundTrip) {
  struct Case {
    uint64_t v;
    size_t bytes;
  };
  const Case cases[] = {{0, 1},
                        {1, 1},
                        {127, 1},
                        {128, 2},
                        {16383, 2},
                        {16384, 3},
                        {uint64_t{1} << 63, 10},
                        {std::numeric_limits<uint64_t>::max(), 10}};
  for (const Case& c : cases) {
    std::string buf;
    PutVarint64(&buf, c.v);
    EXPECT_EQ(buf.size(), c.bytes) << c.v;
    buf += "rest";
    absl::string_view in = buf;
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got)) << c.v;
    EXPECT_EQ(got, c.v);
    EXPECT_EQ(in, "rest");  // advanced past exactly the varint
  }
  std::string buf;
  PutVarint64(&buf, 300);
  EXPECT_EQ(buf, "\xac\x02");  // LEB128, as protobuf
}

TEST(CodingTest, VarintRandomSequence) {
  std::mt19937_64 rng(kSeed);
  std::vector<uint64_t> values;
  std::string buf;
  for (int i = 0; i < 5000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    values.push_back(v);
    PutVarint64(&buf, v);
  }
  absl::string_view in = buf;
  for (uint64_t want : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    ASSERT_EQ(got, want);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, VarintRejectsTruncatedOverlongAndOverflowing) {
  std::string full;
  PutVarint64(&full, std::numeric_limits<uint64_t>::max());
  for (size_t len = 0; len < full.size(); ++len) {
    absl::string_view in(full.data(), len);
    uint64_t v;
    EXPECT_FALSE(GetVarint64(&in, &v)) << len;
    EXPECT_EQ(in.size(), len);  // unchanged on failure
  }
  const std::string overlong(11, '\x80');
  absl::string_view in = overlong;
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
  // Ten bytes whose last one carries bits above 2^64.
  const std::string overflow = std::string(9, '\xff') + "\x02";
  in = overflow;
  EXPECT_FALSE(GetVarint64(&in, &v));
  EXPECT_EQ(in.size(), 10u);
}

TEST(CodingTest, ZigZag) {
  EXPECT_EQ(ZigZagEncode(0), 0u);
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
  EXPECT_EQ(ZigZagEncode(-2), 3u);
  EXPECT_EQ(ZigZagEncode(std::numeric_limits<int64_t>::max()),
            std::numeric_limits<uint64_t>::max() - 1);
  EXPECT_EQ(ZigZagEncode(std::numeric_limits<int64_t>::min()),
            std::numeric_limits<uint64_t>::max());
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < 1000; ++i) {
    const int64_t v = static_cast<int64_t>(rng());
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
    std::string buf;
    PutVarsint64(&buf, v);
    absl::string_view in = buf;
    int64_t got;
    ASSERT_TRUE(GetVarsint64(&in, &got));
    EXPECT_EQ(got, v);
  }
  std::string small;
  PutVarsint64(&small, -64);
  EXPECT_EQ(small.size(), 1u);  // small magnitudes stay small whatever the sign
  absl::string_view empty;
  int64_t got;
  EXPECT_FALSE(GetVarsint64(&empty, &got));
}

TEST(CodingTest, FixedBigEndian) {
  std::string buf;
  PutFixed64BE(&buf, 0x0102030405060708ULL);
  PutFixed32BE(&buf, 0xa1b2c3d4u);
  EXPECT_EQ(buf, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\xa1\xb2\xc3\xd4", 12));
  EXPECT_EQ(DecodeFixed64BE(buf.data()), 0x0102030405060708ULL);
  EXPECT_EQ(DecodeFixed32BE(buf.data() + 8), 0xa1b2c3d4u);
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t a = rng(), b = rng();
    std::string ka, kb;
    PutFixed64BE(&ka, a);
    PutFixed64BE(&kb, b);
    EXPECT_EQ(ka < kb, a < b);  // byte order is numeric order
  }
}

TEST(CodingTest, TimestampKeysSortNumericallyIncludingNegatives) {
  std::vector<int64_t> ts = {
      std::numeric_limits<int64_t>::min(), -1'000'000, -2, -1, 0, 1, 2, 1'700'000'000'000,
      std::numeric_limits<int64_t>::max()};
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < 500; ++i) ts.push_back(static_cast<int64_t>(rng()));
  std::vector<std::string> keys;
  for (int64_t t : ts) {
    std::string k;
    PutTimestampKey(&k, t);
    ASSERT_EQ(k.size(), 8u);
    EXPECT_EQ(DecodeTimestampKey(k.data()), t);
    keys.push_back(k);
  }
  for (size_t i = 0; i < ts.size(); ++i) {
    for (size_t j = 0; j < ts.size(); j += 7) {
      ASSERT_EQ(keys[i] < keys[j], ts[i] < ts[j]) << ts[i] << " vs " << ts[j];
    }
  }
  std::string zero;
  PutTimestampKey(&zero, 0);
  EXPECT_EQ(zero, std::string("\x80\0\0\0\0\0\0\0", 8));
}

}  // namespace
}  // namespace tally::storage
