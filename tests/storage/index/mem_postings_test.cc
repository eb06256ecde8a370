#include "storage/index/mem_postings.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::storage::index {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(MemPostingsTest, ListsStaySortedWhenRefsArriveOutOfOrder) {
  MemPostings p;
  p.Add(5, Labels{{"__name__", "up"}, {"job", "a"}});
  p.Add(3, Labels{{"__name__", "up"}, {"job", "b"}});
  p.Add(4, Labels{{"__name__", "up"}, {"job", "a"}, {"empty", ""}});
  EXPECT_THAT(p.Get("__name__", "up"), ElementsAre(3, 4, 5));
  EXPECT_THAT(p.Get("job", "a"), ElementsAre(4, 5));
  EXPECT_THAT(p.Get("job", "c"), IsEmpty());
  EXPECT_THAT(p.Get("nope", "a"), IsEmpty());
  EXPECT_THAT(p.All(), ElementsAre(3, 4, 5));
  // Empty values are absent labels: never indexed.
  EXPECT_THAT(p.LabelNames(), ElementsAre("__name__", "job"));
  EXPECT_THAT(p.LabelValues("job"), ElementsAre("a", "b"));
  EXPECT_THAT(p.Where("job", [](absl::string_view v) { return v != "a"; }), ElementsAre(3));
  EXPECT_EQ(p.num_series(), 3);
}

TEST(MemPostingsTest, RemoveDropsEmptyValuesAndNames) {
  MemPostings p;
  p.Add(1, Labels{{"__name__", "up"}, {"job", "a"}, {"x", "1"}});
  p.Add(2, Labels{{"__name__", "up"}, {"job", "b"}});
  const std::vector<std::pair<SeriesRef, Labels>> dead = {
      {1, Labels{{"__name__", "up"}, {"job", "a"}, {"x", "1"}}}, {9, Labels{{"job", "zz"}}}};
  p.Remove(dead);
  EXPECT_THAT(p.All(), ElementsAre(2));
  EXPECT_THAT(p.LabelNames(), ElementsAre("__name__", "job"));
  EXPECT_THAT(p.LabelValues("job"), ElementsAre("b"));
  EXPECT_THAT(p.Get("__name__", "up"), ElementsAre(2));
  auto card = p.Cardinality();
  ASSERT_EQ(card.size(), 2u);
  EXPECT_EQ(card[1].name, "job");
  EXPECT_EQ(card[1].values, 1);
  EXPECT_EQ(card[1].series, 1);
  EXPECT_GT(p.MemoryBytes(), 0);
}

}  // namespace
}  // namespace tally::storage::index
