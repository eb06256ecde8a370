#include "storage/head/wal_record.h"

#include <bit>
#include <random>

#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/rocksdb_store.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage::head {
namespace {

TEST(WalRecordTest, RoundTripsRandomSamples) {
  const uint64_t seed = 20261127;
  std::mt19937_64 rng(seed);
  std::vector<WalSample> in;
  for (int i = 0; i < 5000; ++i) {
    in.push_back(WalSample{rng() >> (rng() % 63 + 1), static_cast<int64_t>(rng()), rng(),
                           (rng() & 1) != 0});
  }
  in.push_back(WalSample{1, kMinTime, kStaleNaNBits, false});
  in.push_back(WalSample{1, kMaxTime, 0, true});
  WalWriter w;
  for (const auto& s : in) w.Add(s);
  const std::string rec = w.Finish();
  WalReader r;
  ASSERT_TRUE(r.Init(rec));
  WalSample s;
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_TRUE(r.Next(&s)) << "seed " << seed << " i " << i;
    EXPECT_EQ(s.ref, in[i].ref);
    EXPECT_EQ(s.t_ms, in[i].t_ms);
    EXPECT_EQ(s.v_bits, in[i].v_bits);
    EXPECT_EQ(s.ooo, in[i].ooo);
  }
  EXPECT_FALSE(r.Next(&s));
  EXPECT_FALSE(r.corrupt());
}

TEST(WalRecordTest, TruncatedRecordIsCorrupt) {
  WalWriter w;
  w.Add(WalSample{5, 1000, 42, false});
  w.Add(WalSample{6, 2000, 43, false});
  std::string rec = w.Finish();
  rec.resize(rec.size() - 3);
  WalReader r;
  ASSERT_TRUE(r.Init(rec));
  WalSample s;
  EXPECT_TRUE(r.Next(&s));
  EXPECT_FALSE(r.Next(&s));
  EXPECT_TRUE(r.corrupt());
}

int CountKeys(const std::string& dir, kv::Cf cf) {
  kv::StoreOptions so;
  so.path = dir;
  auto store = kv::RocksStore::Open(so);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return -1;
  auto it = (*store)->NewIterator(cf);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  return n;
}

TEST(WalRecordTest, FlushEmptiesTheWalAndKeepsData) {
  testutil::TempDir dir;
  {
    auto db = DB::Open(testutil::TestOptions(dir.path()));
    ASSERT_TRUE(db.ok());
    for (int b = 0; b < 10; ++b) {
      auto app = (*db)->NewAppender();
      for (int s = 0; s < 20; ++s) {
        ASSERT_TRUE(app->Append(Labels{{"__name__", "w"}, {"s", std::to_string(s)}}, b, b).ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }
  EXPECT_EQ(CountKeys(dir.path(), kv::Cf::kWal), 10);  // no flush: all records kept
  EXPECT_EQ(CountKeys(dir.path(), kv::Cf::kChunks), 0);
  {
    auto db = DB::Open(testutil::TestOptions(dir.path()));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Flush().ok());
  }
  EXPECT_EQ(CountKeys(dir.path(), kv::Cf::kWal), 0);
  EXPECT_EQ(CountKeys(dir.path(), kv::Cf::kChunks), 20);
  auto db = DB::Open(testutil::TestOptions(dir.path()));
  ASSERT_TRUE(db.ok());
  auto st = (*db)->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->num_samples, 200);
  EXPECT_EQ(st->num_chunks, 20);
}

}  // namespace
}  // namespace tally::storage::head
