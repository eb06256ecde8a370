// Retention by whole time buckets: expired buckets and, with a size limit
// (--storage.tsdb.retention.size), the oldest buckets go as key ranges; series bounds,
// totals and the index stay exact.
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/rocksdb_store.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

using testutil::MakeMatchers;
using testutil::QueryAll;
using testutil::TempDir;
using testutil::TestOptions;
using ::testing::ElementsAre;

constexpr int64_t kHour = 3'600'000;
constexpr int kSeries = 100;

// `hours` of data at 15 s for kSeries series; "old" series stop after the first 4 hours.
void Fill(DB* db, int hours) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> uniform(0.0, 1000.0);
  const int steps = hours * 240;
  for (int step = 0; step < steps; step += 240) {
    auto app = db->NewAppender();
    for (int s = 0; s < kSeries; ++s) {
      const bool old = s % 2 == 0;
      if (old && step >= 4 * 240) continue;
      Labels l{{"__name__", "m"}, {"i", std::to_string(s)}, {"kind", old ? "old" : "live"}};
      for (int k = step; k < step + 240; ++k) {
        // Random values (XOR-coded, incompressible): the data, not RocksDB's fixed files,
        // makes up the store's size.
        ASSERT_TRUE(app->Append(l, int64_t{k} * 15'000, uniform(rng)).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  ASSERT_TRUE(db->Flush().ok());
}

int64_t CountSamples(DB* db, int64_t mint = kMinTime, int64_t maxt = kMaxTime) {
  int64_t n = 0;
  for (const auto& [l, s] : QueryAll(db, MakeMatchers({{"=", "__name__", "m"}}), mint, maxt)) {
    n += static_cast<int64_t>(s.size());
  }
  return n;
}

TEST(BucketRetentionTest, SizeLimitDropsOldestBucketsUntilUnder) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.chunk_bucket_ms = 2 * kHour;
  o.retention_ms = 1000 * 24 * kHour;  // time retention never applies here
  {
    auto db = DB::Open(o);
    ASSERT_TRUE(db.ok()) << db.status();
    Fill(db->get(), 20);
  }
  const int64_t before = testutil::StoreDataBytes(dir.path());
  o.retention_size_bytes = before / 2;
  auto db = DB::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  const int64_t now = 20 * kHour;
  ASSERT_TRUE((*db)->ApplyRetention(now).ok());
  const int64_t after = testutil::StoreDataBytes(dir.path());
  EXPECT_LE(after, o.retention_size_bytes) << before << " -> " << after;

  auto st = (*db)->Stats();
  ASSERT_TRUE(st.ok());
  // Whole buckets went, oldest first: the minimum time is a bucket start, the newest data
  // is intact, and the old series (data only in the first 4 h) are gone from the index.
  EXPECT_GT(st->min_time_ms, 4 * kHour);
  EXPECT_EQ(st->min_time_ms % (2 * kHour), 0);
  EXPECT_EQ(st->num_series, kSeries / 2);
  EXPECT_THAT(*(*db)->NewQuerier(kMinTime, kMaxTime)->LabelValues("kind", {}),
              ElementsAre("live"));
  EXPECT_EQ(CountSamples(db->get(), 18 * kHour, now), (kSeries / 2) * 2 * 240);
  EXPECT_EQ(CountSamples(db->get()), st->num_samples);
  EXPECT_EQ(CountSamples(db->get(), kMinTime, st->min_time_ms - 1), 0);
  EXPECT_EQ(CountSamples(db->get(), st->min_time_ms, st->min_time_ms + 14'999), kSeries / 2);

  // The same after a reopen: totals and bounds were persisted.
  db->reset();
  o.retention_size_bytes = 0;
  db = DB::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  auto st2 = (*db)->Stats(0);
  ASSERT_TRUE(st2.ok());
  EXPECT_EQ(st2->num_samples, st->num_samples);
  EXPECT_EQ(st2->min_time_ms, st->min_time_ms);
  EXPECT_EQ(CountSamples(db->get()), st->num_samples);
}

TEST(BucketRetentionTest, TimeRetentionDropsWholeBucketsAndTrimsThePartialOne) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.chunk_bucket_ms = 2 * kHour;
  o.retention_ms = 5 * kHour;
  auto db = DB::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  Fill(db->get(), 10);
  const int64_t now = 10 * kHour;
  ASSERT_TRUE((*db)->ApplyRetention(now).ok());
  // No chunk key is left in a bucket that ended before the cutoff's bucket.
  db->reset();
  {
    kv::StoreOptions so;
    so.path = dir.path();
    auto store = kv::RocksStore::Open(so);
    ASSERT_TRUE(store.ok());
    auto it = (*store)->NewIterator(kv::Cf::kChunks);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      kv::ChunkRecord c;
      ASSERT_TRUE(kv::DecodeChunkRecord(it->key(), it->value(), &c));
      EXPECT_GE(c.maxt_ms, now - o.retention_ms) << "expired chunk left at " << c.mint_ms;
      EXPECT_GE(c.bucket, 4 * kHour);
    }
  }
  db = DB::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  // The retained window is exact (chunk granularity, as before buckets).
  EXPECT_EQ(CountSamples(db->get(), now - o.retention_ms + 30 * 60'000, now),
            (kSeries / 2) * (4 * 240 + 120));
  auto st = (*db)->Stats(0);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->num_series, kSeries / 2);
  EXPECT_EQ(CountSamples(db->get()), st->num_samples);
}

}  // namespace
}  // namespace tally::storage
