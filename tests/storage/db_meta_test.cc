// Meta records written on open: max_chunk_span only grows, and an open that changes
// nothing writes nothing (no fsync on every start).
#include <chrono>

#include "gtest/gtest.h"
#include "storage/db.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

using testutil::TempDir;
using testutil::TestOptions;

constexpr int64_t kHour = 3'600'000;

TEST(DBMetaTest, LargestChunkSpanSurvivesReopensWithSmallerSpans) {
  TempDir dir;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t t0 = now - 20 * kHour;
  DBOptions o = TestOptions(dir.path());
  o.max_future_ms = 0;
  ASSERT_TRUE(DB::Open(o).ok());  // default span (2 h) recorded
  {
    // A chunk spanning 9 h, allowed by this open's span.
    o.max_chunk_span_ms = 10 * kHour;
    auto db = std::move(*DB::Open(o));
    auto app = db->NewAppender();
    for (int h = 0; h <= 9; ++h) ASSERT_TRUE(app->Append(Labels{{"__name__", "x"}}, t0 + h * kHour, h).ok());
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE(db->Flush().ok());
  }
  for (int reopen = 0; reopen < 2; ++reopen) {
    // Smaller spans later: reads must still seek back 10 h to find that chunk's start.
    o.max_chunk_span_ms = kHour;
    auto db = std::move(*DB::Open(o));
    auto q = db->NewQuerier(t0 + 8 * kHour + 1, t0 + 9 * kHour);
    auto set = q->Select({*Matcher::Make(MatchType::kEqual, "__name__", "x")});
    ASSERT_TRUE(set.ok());
    ASSERT_EQ(set->size(), 1u);
    std::vector<Sample> samples;
    ASSERT_TRUE((*set)[0]->Samples(t0 + 8 * kHour + 1, t0 + 9 * kHour, &samples).ok());
    ASSERT_EQ(samples.size(), 1u) << "reopen " << reopen;
    EXPECT_EQ(samples[0].t_ms, t0 + 9 * kHour);
  }
}

}  // namespace
}  // namespace tally::storage
