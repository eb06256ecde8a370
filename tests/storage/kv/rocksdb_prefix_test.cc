// The chunks family has a prefix Bloom filter on (time bucket, series ref): per-series
// reads use prefix iterators, every other chunk scan must still see the total key order.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/rocksdb_store.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage::kv {
namespace {

constexpr int64_t kBucket = 86'400'000;

// One SST file per write: bucket 0 holds series 1, bucket 1 series 2, bucket 2 series 1.
std::unique_ptr<RocksStore> OpenWithChunks(const std::string& dir) {
  StoreOptions so;
  so.path = dir;
  auto store = std::move(*RocksStore::Open(so));
  const std::vector<std::pair<int64_t, SeriesRef>> chunks = {{0, 1}, {1, 2}, {2, 1}};
  uint64_t id = 0;
  for (const auto& [b, ref] : chunks) {
    KvBatch batch(store.get());
    for (int i = 0; i < 3; ++i) {
      batch.Put(Cf::kChunks, ChunkKey(b * kBucket, ref, b * kBucket + i * 1000, ++id), "v");
    }
    EXPECT_TRUE(store->Write(&batch, false).ok());
    EXPECT_TRUE(store->FlushMemtables().ok());
  }
  return store;
}

TEST(RocksPrefixTest, PrefixIteratorStaysInOneBucketAndSeries) {
  testutil::TempDir dir;
  auto store = OpenWithChunks(dir.path());
  auto it = store->NewPrefixIterator(Cf::kChunks);
  // Series 1 has no chunk in bucket 1 (series 2 has): nothing, not series 2's chunks.
  it->Seek(ChunkSeekKey(1 * kBucket, 1, 1 * kBucket));
  EXPECT_FALSE(it->Valid());
  ASSERT_TRUE(it->status().ok());
  // Series 1 in bucket 0: its three chunks, then the end (not bucket 1's keys).
  int n = 0;
  for (it->Seek(ChunkSeekKey(0, 1, 0)); it->Valid(); it->Next()) {
    int64_t b, mint;
    SeriesRef ref;
    uint64_t id;
    ASSERT_TRUE(DecodeChunkKey(it->key(), &b, &ref, &mint, &id));
    EXPECT_EQ(b, 0);
    EXPECT_EQ(ref, 1u);
    ++n;
  }
  EXPECT_EQ(n, 3);
  // The same iterator serves the next bucket.
  it->Seek(ChunkSeekKey(2 * kBucket, 1, 2 * kBucket));
  EXPECT_TRUE(it->Valid());
}

TEST(RocksPrefixTest, OrdinaryIteratorsKeepTotalOrderAcrossPrefixes) {
  testutil::TempDir dir;
  auto store = OpenWithChunks(dir.path());
  auto it = store->NewIterator(Cf::kChunks);
  // A seek to a prefix no file holds lands on the next key in key order: series 2 in
  // bucket 1 (a prefix-mode seek would let the Bloom filter skip that file).
  it->Seek(BucketSeriesPrefix(1 * kBucket, 1));
  ASSERT_TRUE(it->Valid());
  int64_t b, mint;
  SeriesRef ref;
  uint64_t id;
  ASSERT_TRUE(DecodeChunkKey(it->key(), &b, &ref, &mint, &id));
  EXPECT_EQ(b, 1 * kBucket);
  EXPECT_EQ(ref, 2u);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_EQ(n, 9);
  auto scan = store->NewScanIterator(Cf::kChunks);
  n = 0;
  for (scan->Seek(BucketSeriesPrefix(0, 2)); scan->Valid(); scan->Next()) ++n;
  EXPECT_EQ(n, 6);  // buckets 1 and 2
}

}  // namespace
}  // namespace tally::storage::kv
