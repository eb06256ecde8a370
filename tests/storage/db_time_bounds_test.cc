// The DB's time bounds against the wall clock: samples too far in the future are refused,
// one far-future sample never makes current samples "too old", and retention never deletes
// data younger than the retention period relative to real time.
#include <cstdint>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

using ::testing::HasSubstr;
using testutil::MakeMatchers;
using testutil::QueryAll;
using testutil::TempDir;
using testutil::TestOptions;

constexpr int64_t kYear3000Ms = 32503680000000;

int64_t WallNowMs() { return absl::ToUnixMillis(absl::Now()); }

std::unique_ptr<DB> OpenOrDie(const DBOptions& o) {
  auto db = DB::Open(o);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

CommitResult CommitOne(DB* db, const Labels& l, int64_t t, double v) {
  auto app = db->NewAppender();
  EXPECT_TRUE(app->Append(l, t, v).ok());
  auto r = app->Commit();
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CommitResult{};
}

int64_t CountSamples(DB* db) {
  int64_t n = 0;
  for (const auto& [l, s] : QueryAll(db, MakeMatchers({{"=~", "__name__", ".+"}}))) {
    n += static_cast<int64_t>(s.size());
  }
  return n;
}

// The scenario with default options: a year-3000 sample arrives, then current ones.
// Before the fix the year-3000 sample was stored and every later current sample was
// "too old" (the bound was newest sample - retention).
TEST(DBTimeBoundsTest, FarFutureSampleIsRefusedAndCurrentSamplesKeepLanding) {
  TempDir dir;
  auto db = OpenOrDie(TestOptions(dir.path()));
  const int64_t now = WallNowMs();
  auto app = db->NewAppender();
  ASSERT_TRUE(app->Append(Labels{{"__name__", "future"}}, kYear3000Ms, 1).ok());
  ASSERT_TRUE(app->Append(Labels{{"__name__", "current"}}, now, 1).ok());
  auto r = app->Commit();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->appended, 1);
  EXPECT_EQ(r->rejected(), 1);
  EXPECT_THAT(r->first_error, HasSubstr("too far in the future"));
  EXPECT_THAT(r->first_error, HasSubstr("future"));

  for (int i = 1; i <= 3; ++i) {
    CommitResult c = CommitOne(db.get(), Labels{{"__name__", "current"}}, now + i * 15'000, i);
    EXPECT_EQ(c.appended, 1) << c.first_error;
    EXPECT_EQ(c.rejected(), 0) << c.first_error;
  }
  EXPECT_EQ(CountSamples(db.get()), 4);
}

TEST(DBTimeBoundsTest, RejectionCountsReasonAndNamesTheLimit) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  const int64_t now = 1'700'000'000'000;
  o.clock_ms = [now] { return now; };
  o.max_future_ms = 3'600'000;  // 1h
  auto db = OpenOrDie(o);
  // At the limit: accepted. One millisecond beyond: refused.
  EXPECT_EQ(CommitOne(db.get(), Labels{{"__name__", "a"}}, now + 3'600'000, 1).appended, 1);
  CommitResult r = CommitOne(db.get(), Labels{{"__name__", "b"}}, now + 3'600'001, 1);
  EXPECT_EQ(r.rejected_too_far_in_future, 1);
  EXPECT_EQ(r.appended, 0);
  EXPECT_THAT(r.first_error, HasSubstr("too far in the future sample for series {__name__=\"b\"}"));
  EXPECT_THAT(r.first_error, HasSubstr("more than 1h after the current time"));
  EXPECT_THAT(r.first_error, HasSubstr("--storage.tsdb.max-future"));
  EXPECT_STREQ(RejectReasonString(RejectReason::kTooFarInFuture), "too_far_in_future");
  auto st = db->Stats(0);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->rejected_too_far_in_future, 1);

  // 0 disables the check (Prometheus 2.42 behaviour).
  db.reset();
  o.max_future_ms = 0;
  db = OpenOrDie(o);
  EXPECT_EQ(CommitOne(db.get(), Labels{{"__name__", "c"}}, kYear3000Ms, 1).appended, 1);
}

// A far-future sample already in the store (written with the check off, or by an older
// build) must not turn the store into a "too old" wall for current data.
TEST(DBTimeBoundsTest, StoredFutureSampleDoesNotMakeCurrentSamplesTooOld) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.max_future_ms = 0;
  auto db = OpenOrDie(o);
  const int64_t now = WallNowMs();
  ASSERT_EQ(CommitOne(db.get(), Labels{{"__name__", "future"}}, kYear3000Ms, 1).appended, 1);
  CommitResult r = CommitOne(db.get(), Labels{{"__name__", "current"}}, now, 1);
  EXPECT_EQ(r.appended, 1) << r.first_error;
  EXPECT_EQ(r.rejected_too_old, 0);
  // The too-old bound itself still applies, measured from the wall clock.
  r = CommitOne(db.get(), Labels{{"__name__", "ancient"}}, now - o.retention_ms - 60'000, 1);
  EXPECT_EQ(r.rejected_too_old, 1);
}

// Retention measured from a far-future "now" (the newest sample, as the background thread
// passes it) must not delete data younger than the retention period by the wall clock.
TEST(DBTimeBoundsTest, RetentionNeverDeletesDataYoungerThanRetentionByWallClock) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.retention_ms = int64_t{24} * 3600 * 1000;
  auto db = OpenOrDie(o);
  const int64_t now = WallNowMs();
  for (int s = 0; s < 20; ++s) {
    auto app = db->NewAppender();
    Labels l{{"__name__", "m"}, {"s", std::to_string(s)}};
    for (int k = 0; k < 240; ++k) {
      ASSERT_TRUE(app->Append(l, now - 3'600'000 + int64_t{k} * 15'000, k).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  ASSERT_TRUE(db->Flush().ok());  // chunks on disk, where retention deletes
  ASSERT_TRUE(db->ApplyRetention(kYear3000Ms).ok());
  EXPECT_EQ(CountSamples(db.get()), 20 * 240);
  // Data older than retention by the wall clock still goes.
  ASSERT_EQ(
      CommitOne(db.get(), Labels{{"__name__", "old"}}, now - o.retention_ms + 1000, 1).appended, 1);
  ASSERT_TRUE(db->Flush().ok());
  o.clock_ms = [now] { return now + 3'600'000; };
  db.reset();
  db = OpenOrDie(o);
  ASSERT_TRUE(db->ApplyRetention(kYear3000Ms).ok());
  EXPECT_TRUE(QueryAll(db.get(), MakeMatchers({{"=", "__name__", "old"}})).empty());
  EXPECT_EQ(CountSamples(db.get()), 20 * 240);
}

}  // namespace
}  // namespace tally::storage
