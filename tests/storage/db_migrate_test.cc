// Opening a format-1 data dir (ref-first chunk keys, chunk bounds not in the series
// states, postings on disk) migrates it in place; a read-only open refuses it with a
// message that says how to migrate.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/rocksdb_store.h"
#include "storage/util/coding.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

using testutil::MakeMatchers;
using testutil::QueryAll;
using testutil::TempDir;
using testutil::TestOptions;
using ::testing::ElementsAre;

constexpr int kSeries = 3, kSamples = 300;  // 3 chunks per series (120, 120, 60)

void Fill(const std::string& path) {
  auto db = DB::Open(TestOptions(path));
  ASSERT_TRUE(db.ok()) << db.status();
  auto app = (*db)->NewAppender();
  for (int i = 0; i < kSeries; ++i) {
    for (int k = 0; k < kSamples; ++k) {
      ASSERT_TRUE(app->Append(Labels{{"__name__", "m"}, {"i", std::to_string(i)}},
                              int64_t{k} * 15'000 + i, k + i * 1000.0)
                      .ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE((*db)->Flush().ok());
}

// Rewrites a current dir into format 1: ref | ts(mint) | id chunk keys, no bucket totals,
// 28-byte states, one postings key per label, marker 1.
void DowngradeToV1(const std::string& path) {
  kv::StoreOptions so;
  so.path = path;
  auto store = kv::RocksStore::Open(so);
  ASSERT_TRUE(store.ok()) << store.status();
  kv::KvBatch b(store->get());
  auto ch = (*store)->NewIterator(kv::Cf::kChunks);
  int chunks = 0;
  for (ch->SeekToFirst(); ch->Valid(); ch->Next(), ++chunks) {
    int64_t bucket, mint;
    SeriesRef ref;
    uint64_t id;
    ASSERT_TRUE(kv::DecodeChunkKey(ch->key(), &bucket, &ref, &mint, &id));
    std::string legacy;
    PutFixed64BE(&legacy, ref);
    PutFixed64BE(&legacy, static_cast<uint64_t>(mint) ^ (uint64_t{1} << 63));
    PutFixed64BE(&legacy, id);
    b.Delete(kv::Cf::kChunks, ch->key());
    b.Put(kv::Cf::kChunks, legacy, ch->value());
  }
  ASSERT_EQ(chunks, kSeries * 3);
  auto meta = (*store)->NewIterator(kv::Cf::kMeta);
  for (meta->Seek(kv::kBucketStatsPrefix);
       meta->Valid() && meta->key().substr(0, 7) == kv::kBucketStatsPrefix; meta->Next()) {
    b.Delete(kv::Cf::kMeta, meta->key());
  }
  b.Delete(kv::Cf::kMeta, kv::kChunkBucketMsKey);
  auto st = (*store)->NewIterator(kv::Cf::kState);
  for (st->SeekToFirst(); st->Valid(); st->Next()) {
    ASSERT_EQ(st->value().size(), 44u);
    b.Put(kv::Cf::kState, st->key(), st->value().substr(0, 28));
  }
  auto se = (*store)->NewIterator(kv::Cf::kSeries);
  for (se->SeekToFirst(); se->Valid(); se->Next()) {
    SeriesRef ref;
    Labels l;
    ASSERT_TRUE(kv::DecodeSeriesKey(se->key(), &ref) && kv::DecodeLabels(se->value(), &l));
    for (const auto& x : l) b.Put(kv::Cf::kPostings, kv::PostingsKey(x.name, x.value, ref), "");
  }
  std::string v(kv::kMagic);
  PutFixed32BE(&v, 1);
  b.Put(kv::Cf::kMeta, kv::kMagicKey, v);
  ASSERT_TRUE((*store)->Write(&b, true).ok());
}

void ExpectData(DB* db) {
  auto all = QueryAll(db, MakeMatchers({{"=", "__name__", "m"}}));
  ASSERT_EQ(all.size(), static_cast<size_t>(kSeries));
  for (const auto& [l, samples] : all) EXPECT_EQ(samples.size(), static_cast<size_t>(kSamples));
  // A range inside the second chunk of each series: needs the chunk bounds.
  auto mid = QueryAll(db, MakeMatchers({{"=", "i", "1"}}), 150 * 15'000, 160 * 15'000 + 1);
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid[0].second.size(), 11u);
  // Before the first sample: nothing.
  EXPECT_TRUE(QueryAll(db, MakeMatchers({{"=", "__name__", "m"}}), -1000, -1).empty());
  EXPECT_THAT(*db->NewQuerier(kMinTime, kMaxTime)->LabelValues("i", {}),
              ElementsAre("0", "1", "2"));
  auto st = db->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->min_time_ms, 0);
  EXPECT_EQ(st->num_samples, kSeries * kSamples);
}

TEST(DBMigrateTest, FormatOneDirIsRefusedReadOnlyAndMigratedOnWritableOpen) {
  TempDir dir;
  Fill(dir.path());
  DowngradeToV1(dir.path());
  {
    DBOptions o = TestOptions(dir.path());
    o.read_only = true;
    auto db = DB::Open(o);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(db.status().message()),
                ::testing::HasSubstr("has format version 1; open it once with a writable"));
  }
  {
    auto db = DB::Open(TestOptions(dir.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    ExpectData(db->get());
  }
  {
    // And again: the migrated dir opens as a current one.
    auto db = DB::Open(TestOptions(dir.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    ExpectData(db->get());
  }
  kv::StoreOptions so;
  so.path = dir.path();
  auto store = kv::RocksStore::Open(so);
  ASSERT_TRUE(store.ok());
  auto magic = (*store)->Get(kv::Cf::kMeta, kv::kMagicKey);
  ASSERT_TRUE(magic.ok());
  EXPECT_EQ(DecodeFixed32BE(magic->data() + 8), kv::kFormatVersion);
  auto st = (*store)->NewIterator(kv::Cf::kState);
  int states = 0;
  for (st->SeekToFirst(); st->Valid(); st->Next(), ++states) {
    kv::SeriesState s;
    ASSERT_TRUE(kv::DecodeSeriesState(st->value(), &s));
    EXPECT_TRUE(s.has_bounds);
    EXPECT_LE(s.disk_mint, 2);
    EXPECT_EQ(s.disk_maxt, (kSamples - 1) * 15'000 + s.disk_mint);
  }
  EXPECT_EQ(states, kSeries);
  auto ch = (*store)->NewIterator(kv::Cf::kChunks);
  int chunks = 0;
  for (ch->SeekToFirst(); ch->Valid(); ch->Next(), ++chunks) EXPECT_EQ(ch->key().size(), 32u);
  EXPECT_EQ(chunks, kSeries * 3);
  auto p = (*store)->NewIterator(kv::Cf::kPostings);
  p->SeekToFirst();
  EXPECT_FALSE(p->Valid()) << "postings family not emptied";
}

TEST(DBMigrateTest, NewerFormatIsRefusedWithVersions) {
  TempDir dir;
  Fill(dir.path());
  {
    kv::StoreOptions so;
    so.path = dir.path();
    auto store = kv::RocksStore::Open(so);
    ASSERT_TRUE(store.ok());
    kv::KvBatch b(store->get());
    std::string v(kv::kMagic);
    PutFixed32BE(&v, kv::kFormatVersion + 1);
    b.Put(kv::Cf::kMeta, kv::kMagicKey, v);
    ASSERT_TRUE((*store)->Write(&b, true).ok());
  }
  auto db = DB::Open(TestOptions(dir.path()));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(db.status().message()),
              ::testing::HasSubstr("this build reads version"));
}

}  // namespace
}  // namespace tally::storage
