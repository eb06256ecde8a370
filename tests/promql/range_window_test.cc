// RangeWindow: closed windows [start, end] swept by non-decreasing bounds.
#include "promql/range_window.h"

#include <vector>

#include "gtest/gtest.h"

namespace tally::promql {
namespace {

std::vector<int64_t> Times(absl::Span<const storage::Sample> w) {
  std::vector<int64_t> t;
  for (const auto& s : w) t.push_back(s.t_ms);
  return t;
}

TEST(RangeWindowTest, ClosedAtBothEndsAndSlides) {
  std::vector<storage::Sample> s = {{10, 1}, {20, 2}, {30, 3}, {40, 4}, {50, 5}};
  RangeWindow w(s);
  EXPECT_EQ(Times(w.Advance(0, 5)), (std::vector<int64_t>{}));
  EXPECT_EQ(Times(w.Advance(10, 30)), (std::vector<int64_t>{10, 20, 30}));
  EXPECT_EQ(Times(w.Advance(20, 40)), (std::vector<int64_t>{20, 30, 40}));
  EXPECT_EQ(Times(w.Advance(21, 49)), (std::vector<int64_t>{30, 40}));
  EXPECT_EQ(Times(w.Advance(60, 90)), (std::vector<int64_t>{}));
}

TEST(RangeWindowTest, RepeatedBoundsGiveTheSameWindow) {
  // @-pinned windows call Advance with the same bounds at every step.
  std::vector<storage::Sample> s = {{10, 1}, {20, 2}, {30, 3}};
  RangeWindow w(s);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Times(w.Advance(15, 30)), (std::vector<int64_t>{20, 30}));
  }
}

TEST(RangeWindowTest, EmptySeries) {
  std::vector<storage::Sample> s;
  RangeWindow w(s);
  EXPECT_TRUE(w.Advance(0, 100).empty());
}

}  // namespace
}  // namespace tally::promql
