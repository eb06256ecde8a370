#include "server/remote/forward_log.h"

#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server::remote {
namespace {

using storage::CommittedSample;
using storage::Labels;
using storage::SeriesRef;

// Feeds OnCommit as the DB would: refs 1..n with labels {__name__="m", i="<ref>"}.
void Commit(ForwardLog* log, std::vector<CommittedSample> samples) {
  log->OnCommit(samples, [](SeriesRef ref, Labels* out) {
    *out = Labels{{"__name__", "m"}, {"i", std::to_string(ref)}};
  });
}

std::vector<std::string> ReadAll(ForwardLog::Reader* r, int64_t max = 1 << 20) {
  ForwardBatch b;
  std::vector<std::string> out;
  EXPECT_TRUE(r->Read(1, max, absl::Now(), &b).ok());
  for (const CommittedSample& s : b.samples) {
    out.push_back(absl::StrCat(b.labels.at(s.ref).Get("i"), "@", s.t_ms, "=", s.v));
  }
  return out;
}

TEST(ForwardLogTest, ReaderStartsAtEndAndReadsInCommitOrder) {
  testutil::TempDir dir;
  auto log = ForwardLog::Open({.dir = dir.path() + "/q"});
  ASSERT_TRUE(log.ok()) << log.status();
  Commit(log->get(), {{1, 1000, 1}});  // before the reader exists: not for it
  auto r = (*log)->NewReader("ep");
  ASSERT_TRUE(r.ok());
  Commit(log->get(), {{1, 2000, 2}, {2, 2000, 5}});
  Commit(log->get(), {{1, 3000, 3}});
  EXPECT_EQ(ReadAll(r->get()), (std::vector<std::string>{"1@2000=2", "2@2000=5", "1@3000=3"}));
  EXPECT_TRUE(ReadAll(r->get()).empty());
  EXPECT_EQ((*log)->written_samples(), 4);
  EXPECT_EQ((*log)->highest_timestamp_ms(), 3000);
}

TEST(ForwardLogTest, UncommittedPositionIsReadAgainAfterRestart) {
  testutil::TempDir dir;
  ForwardLogOptions o{.dir = dir.path() + "/q", .segment_bytes = 100};  // many segments
  {
    auto log = ForwardLog::Open(o);
    ASSERT_TRUE(log.ok());
    auto r = (*log)->NewReader("ep");
    ASSERT_TRUE(r.ok());
    for (int i = 0; i < 20; ++i) Commit(log->get(), {{1, i * 1000, double(i)}});
    ForwardBatch b;
    ASSERT_TRUE((*r)->Read(1, 5, absl::Now(), &b).ok());
    EXPECT_EQ(b.samples.size(), 5u);
    ASSERT_TRUE((*r)->Commit().ok());  // 5 delivered
    ASSERT_TRUE((*r)->Read(1, 5, absl::Now(), &b).ok());  // read, never committed
    EXPECT_EQ(b.samples.size(), 5u);
  }
  auto log = ForwardLog::Open(o);
  ASSERT_TRUE(log.ok());
  auto r = (*log)->NewReader("ep");
  ASSERT_TRUE(r.ok());
  Commit(log->get(), {{2, 99000, 7}});
  std::vector<std::string> got = ReadAll(r->get());
  ASSERT_EQ(got.size(), 16u);  // 15 left from before + 1 new, labels known in every segment
  EXPECT_EQ(got.front(), "1@5000=5");
  EXPECT_EQ(got[14], "1@19000=19");
  EXPECT_EQ(got.back(), "2@99000=7");
}

TEST(ForwardLogTest, DeliveredSegmentsAreDeletedAndOverflowDropsOldestCounted) {
  testutil::TempDir dir;
  ForwardLogOptions o{.dir = dir.path() + "/q", .segment_bytes = 64, .max_bytes = 400};
  auto log = ForwardLog::Open(o);
  ASSERT_TRUE(log.ok());
  auto r = (*log)->NewReader("ep");
  ASSERT_TRUE(r.ok());
  // The reader never commits: the queue grows past max_bytes and drops its oldest segments.
  for (int i = 0; i < 100; ++i) Commit(log->get(), {{1, i * 1000, double(i)}});
  EXPECT_LE((*log)->bytes(), 400 + 64 + 64);
  EXPECT_GT((*log)->dropped_samples(), 0);
  std::vector<std::string> got = ReadAll(r->get());
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), "1@99000=99");
  // What was dropped plus what is left is everything.
  EXPECT_EQ(static_cast<int64_t>(got.size()) + (*r)->dropped_samples(), 100);
  ASSERT_TRUE((*r)->Commit().ok());
  Commit(log->get(), std::vector<CommittedSample>(20, {1, 200000, 1}));  // rotates
  int segs = 0;
  for (auto& e : std::filesystem::directory_iterator(o.dir)) segs += e.path().extension() == ".seg";
  EXPECT_LE(segs, 2);
}

TEST(ForwardLogTest, ReadWaitsForMinSamplesUntilDeadline) {
  testutil::TempDir dir;
  auto log = ForwardLog::Open({.dir = dir.path() + "/q"});
  ASSERT_TRUE(log.ok());
  auto r = (*log)->NewReader("ep");
  ASSERT_TRUE(r.ok());
  Commit(log->get(), {{1, 1000, 1}});
  ForwardBatch b;
  const absl::Time t0 = absl::Now();
  ASSERT_TRUE((*r)->Read(10, 100, t0 + absl::Milliseconds(200), &b).ok());
  EXPECT_EQ(b.samples.size(), 1u);
  EXPECT_GE(absl::Now() - t0, absl::Milliseconds(150));
  EXPECT_FALSE((*log)->NewReader("ep").ok());  // one reader per id
}

}  // namespace
}  // namespace tally::server::remote
