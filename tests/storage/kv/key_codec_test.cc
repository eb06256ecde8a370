#include "storage/kv/key_codec.h"

#include <random>

#include "gtest/gtest.h"

namespace tally::storage::kv {
namespace {

TEST(KeyCodecTest, PostingsKeysRoundTripAndKeepValueOrder) {
  const std::vector<std::string> values = {std::string("\0", 1), std::string("\x01", 1),
                                           std::string("\x01\x01", 2), "a", std::string("a\0", 2),
                                           "a\x01", "ab", "b", "\xff"};
  std::vector<std::string> keys;
  for (size_t i = 0; i < values.size(); ++i) {
    keys.push_back(PostingsKey("job", values[i], 7));
    std::string n, v;
    SeriesRef ref;
    ASSERT_TRUE(DecodePostingsKey(keys.back(), &n, &v, &ref));
    EXPECT_EQ(n, "job");
    EXPECT_EQ(v, values[i]);
    EXPECT_EQ(ref, 7u);
    // No escaped value contains the 0x00 separator.
    EXPECT_EQ(keys.back().find('\0', 4), keys.back().size() - 9);
  }
  for (size_t i = 1; i < keys.size(); ++i) EXPECT_LT(keys[i - 1], keys[i]) << i;
}

TEST(KeyCodecTest, ChunkKeysSortByBucketThenRefThenTime) {
  constexpr int64_t kBucket = 7'200'000;
  std::mt19937_64 rng(42);
  // (bucket, ref, mint, id), mint inside its bucket; negative times included.
  std::vector<std::tuple<int64_t, SeriesRef, int64_t, uint64_t>> in;
  for (int i = 0; i < 2000; ++i) {
    const int64_t t = static_cast<int64_t>(rng() % 100'000'000) - 50'000'000;
    in.emplace_back(BucketStart(t, kBucket), rng() % 5, t, rng() % 3);
  }
  std::sort(in.begin(), in.end());
  for (size_t i = 1; i < in.size(); ++i) {
    const auto& [b0, r0, t0, c0] = in[i - 1];
    const auto& [b1, r1, t1, c1] = in[i];
    EXPECT_LE(b1, t1);
    EXPECT_GT(b1 + kBucket, t1);
    EXPECT_LE(ChunkKey(b0, r0, t0, c0), ChunkKey(b1, r1, t1, c1));
    int64_t b;
    SeriesRef r;
    int64_t t;
    uint64_t c;
    ASSERT_TRUE(DecodeChunkKey(ChunkKey(b1, r1, t1, c1), &b, &r, &t, &c));
    EXPECT_EQ(b, b1);
    EXPECT_EQ(r, r1);
    EXPECT_EQ(t, t1);
    EXPECT_EQ(c, c1);
    EXPECT_EQ(ChunkKey(b1, r1, t1, c1).substr(0, 16), BucketSeriesPrefix(b1, r1));
  }
  EXPECT_EQ(BucketStart(-1, kBucket), -kBucket);
  EXPECT_EQ(BucketStart(0, kBucket), 0);
  EXPECT_EQ(BucketStart(kBucket - 1, kBucket), 0);
}

TEST(KeyCodecTest, LabelsAndChunkValuesRoundTrip) {
  const Labels l{{"__name__", "x"}, {"a", std::string("\0\xff", 2)}, {"b", ""}};
  std::string enc;
  EncodeLabels(l, &enc);
  Labels back;
  ASSERT_TRUE(DecodeLabels(enc, &back));
  EXPECT_EQ(back, l);
  EXPECT_TRUE(EncodedLabelsEqual(enc, l));
  EXPECT_FALSE(EncodedLabelsEqual(enc, Labels{{"__name__", "x"}}));
  EXPECT_FALSE(DecodeLabels("\x05" "ab", &back));

  std::string v;
  EncodeChunkValue(-5, 1000, 120, "xyz", &v);
  int64_t maxt;
  int n;
  absl::string_view bytes;
  ASSERT_TRUE(DecodeChunkValue(v, -5, &maxt, &n, &bytes));
  EXPECT_EQ(maxt, 1000);
  EXPECT_EQ(n, 120);
  EXPECT_EQ(bytes, "xyz");
  EXPECT_FALSE(DecodeChunkValue("\xff", 0, &maxt, &n, &bytes));
}

// Opening a data dir hashes series from their encoding (EncodedLabelsStableHash); a
// different hash than Labels::StableHash would make appends create duplicate series.
}  // namespace
}  // namespace tally::storage::kv
