#include "storage/db.h"

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/chunk/xor_chunk.h"
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
using ::testing::HasSubstr;

std::unique_ptr<DB> OpenOrDie(const DBOptions& o) {
  auto db = DB::Open(o);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

TEST(DBTest, AppendQueryRoundTripAcrossManyChunks) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  const Labels a{{"__name__", "cost"}, {"model", "a"}};
  const Labels b{{"__name__", "cost"}, {"model", "b"}};
  constexpr int kN = 1000;  // > 8 chunks of 120
  auto app = db->NewAppender();
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(app->Append(a, i * 15000, i * 0.5).ok());
    ASSERT_TRUE(app->Append(b, i * 15000, -i).ok());
  }
  auto r = app->Commit();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->appended, 2 * kN);
  EXPECT_EQ(r->rejected(), 0);

  auto res = QueryAll(db.get(), MakeMatchers({{"=", "__name__", "cost"}}));
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0].first, a.ToString());
  EXPECT_EQ(res[1].first, b.ToString());
  ASSERT_EQ(res[0].second.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(res[0].second[i].t_ms, i * 15000);
    EXPECT_EQ(res[0].second[i].v, i * 0.5);
    EXPECT_EQ(res[1].second[i].v, -i);
  }
  // A sub-range cuts inside chunks on both ends.
  auto part = QueryAll(db.get(), MakeMatchers({{"=", "model", "a"}}), 15000 * 100 + 1,
                       15000 * 500);
  ASSERT_EQ(part.size(), 1u);
  ASSERT_EQ(part[0].second.size(), 400u);
  EXPECT_EQ(part[0].second.front().t_ms, 15000 * 101);
  EXPECT_EQ(part[0].second.back().t_ms, 15000 * 500);
  // Out of range: no series.
  EXPECT_TRUE(QueryAll(db.get(), MakeMatchers({{"=", "model", "a"}}), kN * 15000, kN * 20000)
                  .empty());
}

TEST(DBTest, AppendByRefAndUnknownRef) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  auto app = db->NewAppender();
  auto ref = app->Append(Labels{{"__name__", "x"}}, 1, 1);
  ASSERT_TRUE(ref.ok());
  EXPECT_TRUE(app->Append(*ref, 2, 2).ok());
  EXPECT_EQ(app->Append(*ref + 1000, 3, 3).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(app->Commit().ok());
  auto res = QueryAll(db.get(), MakeMatchers({{"=", "__name__", "x"}}));
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].second.size(), 2u);
}

TEST(DBTest, RejectsInvalidLabelSets) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  auto app = db->NewAppender();
  EXPECT_EQ(app->Append(Labels{}, 1, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(app->Append(Labels{{"1bad", "x"}}, 1, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(app->Append(Labels{{"a", "\xff\xfe"}}, 1, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  // An empty value is the same as no label.
  auto r1 = app->Append(Labels{{"__name__", "m"}, {"a", ""}}, 1, 1);
  auto r2 = app->Append(Labels{{"__name__", "m"}}, 2, 1);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(*r1, *r2);
}

TEST(DBTest, StaleNaNAndSpecialValuesStoredBitExactly) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  const std::vector<uint64_t> bits = {kStaleNaNBits, 0x7ff8000000000001ULL,
                                      std::bit_cast<uint64_t>(-0.0),
                                      std::bit_cast<uint64_t>(HUGE_VAL), 1ULL /*subnormal*/};
  const Labels l{{"__name__", "s"}};
  auto app = db->NewAppender();
  for (int round = 0; round < 50; ++round) {  // crosses chunk boundaries too
    for (size_t i = 0; i < bits.size(); ++i) {
      ASSERT_TRUE(app->Append(l, round * 100 + i, std::bit_cast<double>(bits[i])).ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
  auto check = [&](DB* d) {
    auto res = QueryAll(d, MakeMatchers({{"=", "__name__", "s"}}));
    ASSERT_EQ(res.size(), 1u);
    ASSERT_EQ(res[0].second.size(), 50 * bits.size());
    for (size_t k = 0; k < res[0].second.size(); ++k) {
      EXPECT_EQ(std::bit_cast<uint64_t>(res[0].second[k].v), bits[k % bits.size()]) << k;
    }
  };
  check(db.get());
  ASSERT_TRUE(db->Flush().ok());
  db.reset();
  db = OpenOrDie(TestOptions(dir.path()));
  check(db.get());
}

TEST(DBTest, OutOfOrderAndDuplicatesRejectedAndCounted) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  const Labels l{{"__name__", "o"}};
  auto app = db->NewAppender();
  ASSERT_TRUE(app->Append(l, 100, 1).ok());
  ASSERT_TRUE(app->Append(l, 200, 2).ok());
  ASSERT_TRUE(app->Commit().ok());

  ASSERT_TRUE(app->Append(l, 150, 9).ok());   // out of order
  ASSERT_TRUE(app->Append(l, 200, 3).ok());   // duplicate, different value
  ASSERT_TRUE(app->Append(l, 200, 2).ok());   // same value: silent no-op
  ASSERT_TRUE(app->Append(l, 300, 4).ok());   // fine
  auto r = app->Commit();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->appended, 2);
  EXPECT_EQ(r->rejected_out_of_order, 1);
  EXPECT_EQ(r->rejected_duplicate, 1);
  EXPECT_THAT(r->first_error, HasSubstr("out of order sample"));
  EXPECT_THAT(r->first_error, HasSubstr("__name__=\"o\""));

  auto res = QueryAll(db.get(), MakeMatchers({{"=", "__name__", "o"}}));
  ASSERT_EQ(res.size(), 1u);
  std::vector<int64_t> ts;
  for (auto s : res[0].second) ts.push_back(s.t_ms);
  EXPECT_THAT(ts, ElementsAre(100, 200, 300));
  EXPECT_EQ(res[0].second[1].v, 2);

  auto st = db->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->rejected_out_of_order, 1);
  EXPECT_EQ(st->rejected_duplicate, 1);
}

TEST(DBTest, DuplicateWithinOneBatchRejected) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  auto app = db->NewAppender();
  const Labels l{{"__name__", "d"}};
  ASSERT_TRUE(app->Append(l, 10, 1).ok());
  ASSERT_TRUE(app->Append(l, 10, 2).ok());
  auto r = app->Commit();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->appended, 1);
  EXPECT_EQ(r->rejected_duplicate, 1);
  EXPECT_THAT(r->first_error, HasSubstr("duplicate sample for timestamp"));
}

TEST(DBTest, OutOfOrderWindowStoresLateSamplesAcrossFlushAndReopen) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.out_of_order_window_ms = 1000;
  auto db = OpenOrDie(o);
  const Labels l{{"__name__", "late"}};
  auto app = db->NewAppender();
  for (int t = 1000; t <= 5000; t += 100) ASSERT_TRUE(app->Append(l, t, t).ok());
  ASSERT_TRUE(app->Commit().ok());
  // Within the window (>= 4000): accepted, including 40 of them (> one OOO buffer).
  for (int t = 4001; t < 4100; t += 2) ASSERT_TRUE(app->Append(l, t, -t).ok());
  ASSERT_TRUE(app->Append(l, 3999, 0).ok());   // outside: rejected
  ASSERT_TRUE(app->Append(l, 4500, 7).ok());   // same t as an in-order sample, other value
  auto r = app->Commit();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected_out_of_order, 1);

  auto check = [&](DB* d) {
    auto res = QueryAll(d, MakeMatchers({{"=", "__name__", "late"}}), 4000, 4100);
    ASSERT_EQ(res.size(), 1u);
    const auto& s = res[0].second;
    ASSERT_EQ(s.size(), 2u + 50u);  // 4000, 4100 in order + 50 late ones
    for (size_t i = 1; i < s.size(); ++i) ASSERT_LT(s[i - 1].t_ms, s[i].t_ms);
    EXPECT_EQ(s[1].t_ms, 4001);
    EXPECT_EQ(s[1].v, -4001);
  };
  check(db.get());
  db.reset();  // no flush: OOO samples come back from the WAL
  db = OpenOrDie(o);
  check(db.get());
  ASSERT_TRUE(db->Flush().ok());
  db.reset();
  db = OpenOrDie(o);
  check(db.get());
}

TEST(DBTest, HeadOnlySeriesWithLateSamplesReadsInTimeOrder) {
  // No persisted chunk at all: the read skips RocksDB but must still merge the
  // out-of-order buffer into time order.
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.out_of_order_window_ms = 1000;
  auto db = OpenOrDie(o);
  const Labels l{{"__name__", "late"}};
  auto app = db->NewAppender();
  for (int t = 1000; t <= 2000; t += 100) ASSERT_TRUE(app->Append(l, t, t).ok());
  ASSERT_TRUE(app->Commit().ok());
  for (int t = 1450; t < 1500; t += 10) ASSERT_TRUE(app->Append(l, t, -t).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto res = QueryAll(db.get(), MakeMatchers({{"=", "__name__", "late"}}));
  ASSERT_EQ(res.size(), 1u);
  const auto& s = res[0].second;
  ASSERT_EQ(s.size(), 11u + 5u);
  for (size_t i = 1; i < s.size(); ++i) ASSERT_LT(s[i - 1].t_ms, s[i].t_ms) << i;
}

TEST(DBTest, FlushAndReopenKeepsEverythingAndOrdering) {
  TempDir dir;
  const Labels l{{"__name__", "f"}, {"job", "j"}};
  {
    auto db = OpenOrDie(TestOptions(dir.path()));
    auto app = db->NewAppender();
    for (int i = 0; i < 250; ++i) ASSERT_TRUE(app->Append(l, i, i).ok());
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE(db->Flush().ok());
  }
  auto db = OpenOrDie(TestOptions(dir.path()));
  auto app = db->NewAppender();
  // The last persisted sample still guards ordering after a reopen.
  ASSERT_TRUE(app->Append(l, 249, 1000).ok());
  ASSERT_TRUE(app->Append(l, 100, 1).ok());
  ASSERT_TRUE(app->Append(l, 250, 250).ok());
  auto r = app->Commit();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected_duplicate, 1);
  EXPECT_EQ(r->rejected_out_of_order, 1);
  auto res = QueryAll(db.get(), MakeMatchers({{"=", "job", "j"}}));
  ASSERT_EQ(res.size(), 1u);
  ASSERT_EQ(res[0].second.size(), 251u);
  for (int i = 0; i <= 250; ++i) EXPECT_EQ(res[0].second[i].v, i);
  auto st = db->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->num_series, 1);
  EXPECT_EQ(st->num_samples, 251);
  EXPECT_EQ(st->min_time_ms, 0);
  EXPECT_EQ(st->max_time_ms, 250);
  EXPECT_GE(st->num_chunks, 3);
  EXPECT_GT(st->bytes_on_disk, 0);
}

TEST(DBTest, SecondOpenOfSameDirFailsWithLockError) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  auto second = DB::Open(TestOptions(dir.path()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use by another process"));
  db.reset();
  EXPECT_TRUE(DB::Open(TestOptions(dir.path())).ok());
}

TEST(DBTest, ReadOnlyOpenSeesLoggedSamplesBesideAWriterAndNeverWrites) {
  TempDir dir;
  auto writer = OpenOrDie(TestOptions(dir.path()));
  const Labels a{{"__name__", "cost"}, {"model", "a"}};
  auto app = writer->NewAppender();
  // 300 samples: two sealed chunks plus an open one that exists only in the log.
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(app->Append(a, i * 15000, i).ok());
  ASSERT_TRUE(app->Commit().ok());

  DBOptions ro = TestOptions(dir.path());
  ro.read_only = true;
  auto reader = DB::Open(ro);  // the writer holds the lock; a reader does not need it
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto res = QueryAll(reader->get(), MakeMatchers({{"=", "model", "a"}}));
  ASSERT_EQ(res.size(), 1u);
  ASSERT_EQ(res[0].second.size(), 300u);
  EXPECT_EQ(res[0].second.back().t_ms, 299 * 15000);

  auto app2 = (*reader)->NewAppender();
  ASSERT_TRUE(app2->Append(a, 300 * 15000, 1).ok());
  auto commit = app2->Commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->SetMetadata("cost", MetricMetadata{"counter", "h", ""}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->Flush().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->ApplyRetention(kMaxTime).code(), absl::StatusCode::kFailedPrecondition);
  reader->reset();

  // The writer is unaffected and still owns the data.
  auto again = QueryAll(writer.get(), MakeMatchers({{"=", "model", "a"}}));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].second.size(), 300u);
}

TEST(DBTest, ReadOnlyOpenRefusesMissingEmptyAndForeignDirs) {
  TempDir dir;
  DBOptions ro = TestOptions(dir.Sub("missing"));
  ro.read_only = true;
  EXPECT_EQ(DB::Open(ro).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("missing")));  // nothing created
  ro.path = dir.path();
  auto empty = DB::Open(ro);
  EXPECT_FALSE(empty.ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(DBTest, ForeignDirectoryIsRefusedAndUntouched) {
  TempDir dir;
  {
    std::ofstream f(dir.Sub("precious.txt"));
    f << "not a database";
  }
  auto db = DB::Open(TestOptions(dir.path()));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(db.status().message()), HasSubstr("not a Tally database"));
  // Nothing was created next to the foreign file.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(DBTest, CorruptDirectoryGivesDataLossNotCrash) {
  TempDir dir;
  {
    auto db = OpenOrDie(TestOptions(dir.path()));
    auto app = db->NewAppender();
    ASSERT_TRUE(app->Append(Labels{{"__name__", "c"}}, 1, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  // Point CURRENT at garbage: RocksDB reports corruption.
  {
    std::ofstream f(dir.Sub("CURRENT"), std::ios::trunc);
    f << "MANIFEST-garbage";
  }
  auto db = DB::Open(TestOptions(dir.path()));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
  EXPECT_THAT(std::string(db.status().message()), HasSubstr("corrupt"));
}

TEST(DBTest, DamagedWalRecordGivesDataLoss) {
  TempDir dir;
  {
    auto db = OpenOrDie(TestOptions(dir.path()));
    auto app = db->NewAppender();
    ASSERT_TRUE(app->Append(Labels{{"__name__", "w"}}, 1, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  {
    kv::StoreOptions so;
    so.path = dir.path();
    auto store = kv::RocksStore::Open(so);
    ASSERT_TRUE(store.ok()) << store.status();
    kv::KvBatch b(store->get());
    b.Put(kv::Cf::kWal, kv::WalKey(1), "\x05garbage");
    ASSERT_TRUE((*store)->Write(&b, true).ok());
  }
  auto db = DB::Open(TestOptions(dir.path()));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << db.status();
  EXPECT_THAT(std::string(db.status().message()), HasSubstr("WAL record"));
}

TEST(DBTest, RocksDbWithoutOrWithWrongFormatMarkerIsRefused) {
  TempDir dir;
  kv::StoreOptions so;
  so.path = dir.path();
  {
    auto store = kv::RocksStore::Open(so);
    ASSERT_TRUE(store.ok()) << store.status();
    kv::KvBatch b(store->get());
    b.Put(kv::Cf::kSeries, kv::SeriesKey(1), "someone else's data");
    ASSERT_TRUE((*store)->Write(&b, true).ok());
  }
  auto db = DB::Open(TestOptions(dir.path()));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(db.status().message()), HasSubstr("format marker"));
  {
    auto store = kv::RocksStore::Open(so);
    ASSERT_TRUE(store.ok());
    kv::KvBatch b(store->get());
    b.Put(kv::Cf::kMeta, kv::kMagicKey, "OTHERDB\0\0\0\0\1");
    ASSERT_TRUE((*store)->Write(&b, true).ok());
  }
  db = DB::Open(TestOptions(dir.path()));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(db.status().message()), HasSubstr("not a Tally database"));
  // The foreign data is still there.
  auto store = kv::RocksStore::Open(so);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Get(kv::Cf::kSeries, kv::SeriesKey(1)).ok());
}

TEST(DBTest, MetadataPersists) {
  TempDir dir;
  {
    auto db = OpenOrDie(TestOptions(dir.path()));
    ASSERT_TRUE(db->SetMetadata("llm_cost_usd_total", {"counter", "Spend.", "usd"}).ok());
    ASSERT_TRUE(db->SetMetadata("gpu_util", {"gauge", "Util.", ""}).ok());
    ASSERT_TRUE(db->SetMetadata("gpu_util", {"gauge", "Utilisation.", ""}).ok());
  }
  auto db = OpenOrDie(TestOptions(dir.path()));
  auto md = db->Metadata();
  ASSERT_TRUE(md.ok());
  ASSERT_EQ(md->size(), 2u);
  EXPECT_EQ((*md)[0].first, "gpu_util");
  EXPECT_EQ((*md)[0].second, (MetricMetadata{"gauge", "Utilisation.", ""}));
  EXPECT_EQ((*md)[1].second, (MetricMetadata{"counter", "Spend.", "usd"}));
}

TEST(DBTest, LabelNamesAndValuesWithMatchersAndTimeRange) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  auto app = db->NewAppender();
  ASSERT_TRUE(app->Append(Labels{{"__name__", "up"}, {"job", "api"}, {"zone", "eu"}}, 100, 1).ok());
  ASSERT_TRUE(app->Append(Labels{{"__name__", "up"}, {"job", "db"}}, 5000, 1).ok());
  ASSERT_TRUE(app->Append(Labels{{"__name__", "cost"}, {"model", "m1"}}, 5000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());

  auto all = db->NewQuerier(kMinTime, kMaxTime);
  EXPECT_THAT(*all->LabelNames({}), ElementsAre("__name__", "job", "model", "zone"));
  EXPECT_THAT(*all->LabelValues("job", {}), ElementsAre("api", "db"));
  EXPECT_THAT(*all->LabelNames(MakeMatchers({{"=", "__name__", "up"}})),
              ElementsAre("__name__", "job", "zone"));
  EXPECT_THAT(*all->LabelValues("__name__", MakeMatchers({{"=~", "job", "a.*"}})),
              ElementsAre("up"));

  auto late = db->NewQuerier(1000, 10000);  // excludes the job="api" sample
  EXPECT_THAT(*late->LabelNames({}), ElementsAre("__name__", "job", "model"));
  EXPECT_THAT(*late->LabelValues("job", {}), ElementsAre("db"));
  EXPECT_THAT(*late->LabelValues("zone", {}), ElementsAre());
}

TEST(DBTest, SelectValidatesSelector) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  auto q = db->NewQuerier(0, 10);
  auto r = q->Select(MakeMatchers({{"=~", "job", ".*"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("at least one non-empty matcher"));
}

TEST(DBTest, RetentionDeletesOldChunksAndSeriesAndShrinksDisk) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.retention_ms = 1000LL * 3600;  // 1h
  auto db = OpenOrDie(o);
  constexpr int kSeries = 200, kSteps = 2400;  // 10 h at 15 s
  // Old series: data only in the first 5 hours; live series: all 10 hours. Random values
  // (XOR-coded, incompressible), so the chunks, not RocksDB's fixed files, fill the disk.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 1000.0);
  for (int step = 0; step < kSteps; step += 240) {
    auto app = db->NewAppender();
    for (int s = 0; s < kSeries; ++s) {
      const bool old = s % 2 == 0;
      Labels l{{"__name__", "m"}, {"i", std::to_string(s)}, {"kind", old ? "old" : "live"}};
      for (int k = step; k < step + 240; ++k) {
        if (old && k >= kSteps / 2) break;
        ASSERT_TRUE(app->Append(l, int64_t{k} * 15000, uniform(rng)).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  ASSERT_TRUE(db->Flush().ok());
  // The data only (RocksDB's fixed OPTIONS/LOG files now outweigh these compressed chunks).
  auto data_bytes = [&] { return testutil::StoreDataBytes(dir.path()); };
  const int64_t before = data_bytes();
  const int64_t now = int64_t{kSteps} * 15000;
  ASSERT_TRUE(db->ApplyRetention(now).ok());
  const int64_t after = data_bytes();
  EXPECT_LT(after, before / 2) << before << " -> " << after;

  auto st = db->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->num_series, kSeries / 2);
  EXPECT_GE(st->min_time_ms, now - o.retention_ms - o.max_chunk_span_ms);
  EXPECT_TRUE(QueryAll(db.get(), MakeMatchers({{"=", "kind", "old"}})).empty());
  auto live = QueryAll(db.get(), MakeMatchers({{"=", "kind", "live"}}), now - o.retention_ms,
                       now);
  ASSERT_EQ(live.size(), static_cast<size_t>(kSeries / 2));
  EXPECT_EQ(live[0].second.size(), 240u);  // the last hour is intact
  EXPECT_THAT(*db->NewQuerier(kMinTime, kMaxTime)->LabelValues("kind", {}), ElementsAre("live"));

  // The persisted totals Stats() reports stay exact across retention and a reopen.
  auto count_all = [](DB* d) {
    int64_t n = 0;
    for (const auto& [l, samples] : QueryAll(d, MakeMatchers({{"=", "__name__", "m"}}))) {
      n += static_cast<int64_t>(samples.size());
    }
    return n;
  };
  const int64_t total = count_all(db.get());
  EXPECT_EQ(st->num_samples, total);
  db.reset();
  db = OpenOrDie(o);
  auto st2 = db->Stats(0);
  ASSERT_TRUE(st2.ok());
  EXPECT_EQ(st2->num_samples, total);
  EXPECT_EQ(st2->num_chunks, st->num_chunks);
  EXPECT_EQ(st2->min_time_ms, st->min_time_ms);
  EXPECT_TRUE(st2->label_names.empty());
}

TEST(DBTest, TooOldSamplesRejected) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.retention_ms = 1000;
  auto db = OpenOrDie(o);
  auto app = db->NewAppender();
  ASSERT_TRUE(app->Append(Labels{{"__name__", "a"}}, 10000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE(app->Append(Labels{{"__name__", "b"}}, 5000, 1).ok());
  auto r = app->Commit();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected_too_old, 1);
  EXPECT_THAT(r->first_error, HasSubstr("too old"));
}

}  // namespace
}  // namespace tally::storage
