// The seal-time chunk encoding through the whole DB: sealed chunks of integer and decimal
// series are persisted packed, and every value (stale markers, -0.0, arbitrary bits) reads
// back bit for bit after a reopen.
#include <bit>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/chunk/chunk.h"
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

TEST(ChunkEncodingDBTest, SealedChunksArePackedAndReadBackExactly) {
  TempDir dir;
  std::mt19937_64 rng(7);
  const std::vector<std::string> kinds = {"ints", "cents", "specials", "bits"};
  std::map<std::string, std::vector<Sample>> want;
  {
    auto db = DB::Open(TestOptions(dir.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    auto app = (*db)->NewAppender();
    int64_t m = 0;
    for (int i = 0; i < 500; ++i) {
      const int64_t t = 1'700'000'000'000 + 15000LL * i + static_cast<int64_t>(rng() % 7) - 3;
      m += static_cast<int64_t>(rng() % 100);
      for (const std::string& k : kinds) {
        double v = 0;
        if (k == "ints") v = static_cast<double>(m);
        if (k == "cents") v = static_cast<double>(m) / 100.0;
        if (k == "specials") {
          v = i % 11 == 3   ? std::bit_cast<double>(uint64_t{0x7ff0000000000002})
              : i % 7 == 1 ? -0.0
                           : static_cast<double>(i);
        }
        if (k == "bits") v = std::bit_cast<double>(rng() & ~(uint64_t{0x7ff} << 52));
        ASSERT_TRUE(app->Append(Labels{{"__name__", "m"}, {"kind", k}}, t, v).ok());
        want["{__name__=\"m\", kind=\"" + k + "\"}"].push_back({t, v});
      }
    }
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE((*db)->Flush().ok());
  }
  {
    kv::StoreOptions so;
    so.path = dir.path();
    auto store = kv::RocksStore::Open(so);
    ASSERT_TRUE(store.ok()) << store.status();
    std::map<std::string, int> encodings;
    auto it = (*store)->NewIterator(kv::Cf::kChunks);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      kv::ChunkRecord c;
      ASSERT_TRUE(kv::DecodeChunkRecord(it->key(), it->value(), &c));
      ++encodings[std::string(EncodingName(c.bytes))];
    }
    EXPECT_GT(encodings["packed-int"], 0);
    EXPECT_GT(encodings["packed-dec"], 0);
    EXPECT_EQ(encodings["unknown"], 0);
  }
  auto db = DB::Open(TestOptions(dir.path()));
  ASSERT_TRUE(db.ok()) << db.status();
  const auto got = QueryAll(db->get(), MakeMatchers({{"=", "__name__", "m"}}));
  ASSERT_EQ(got.size(), kinds.size());
  for (const auto& [labels, samples] : got) {
    const std::vector<Sample>& w = want[labels];
    ASSERT_EQ(samples.size(), w.size()) << labels;
    for (size_t i = 0; i < w.size(); ++i) {
      ASSERT_EQ(samples[i].t_ms, w[i].t_ms) << labels << " " << i;
      ASSERT_EQ(std::bit_cast<uint64_t>(samples[i].v), std::bit_cast<uint64_t>(w[i].v))
          << labels << " " << i;
    }
  }
}

}  // namespace
}  // namespace tally::storage
