// OverlayDB: recorded series are visible next to the base DB's, hide the base's series of
// the same name, honour matchers and time ranges, and come back sorted by labels.
#include "rules/lint/overlay_db.h"

#include <gtest/gtest.h>

#include "tests/testutil/temp_dir.h"

namespace tally::rules::lint {
namespace {

TEST(OverlayDBTest, AddsRecordedSeriesAndHidesStoredOnesOfThatName) {
  testutil::TempDir dir;
  auto db = storage::DB::Open(testutil::TestOptions(dir.path()));
  ASSERT_TRUE(db.ok()) << db.status();
  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append({{"__name__", "rec"}, {"old", "1"}}, 1000, 1).ok());
  ASSERT_TRUE(app->Append({{"__name__", "raw"}, {"a", "x"}}, 1000, 2).ok());
  ASSERT_TRUE(app->Commit().ok());

  OverlayDB overlay(db->get());
  overlay.Record("rec", {OverlaySeries{{{"__name__", "rec"}, {"a", "y"}}, {{1000, 5}, {2000, 6}}},
                         OverlaySeries{{{"__name__", "rec"}, {"a", "b"}}, {{3000, 7}}}});
  EXPECT_TRUE(overlay.IsRecorded("rec"));

  auto q = overlay.NewQuerier(0, 2500);
  auto all = q->Select(testutil::MakeMatchers({{"=~", "__name__", "r.*"}}));
  ASSERT_TRUE(all.ok()) << all.status();
  // The stored rec{old="1"} is hidden; rec{a="b"} has no sample before 2500.
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0]->labels().ToString(), "{__name__=\"raw\", a=\"x\"}");
  EXPECT_EQ((*all)[1]->labels().ToString(), "{__name__=\"rec\", a=\"y\"}");
  std::vector<storage::Sample> s;
  ASSERT_TRUE((*all)[1]->Samples(1500, 2500, &s).ok());
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].t_ms, 2000);

  auto names = q->LabelNames(testutil::MakeMatchers({{"=", "__name__", "rec"}}));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "a"}));
  auto values = q->LabelValues("a", {});
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(*values, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(overlay.NewAppender()->Append({{"__name__", "x"}}, 1, 1).ok());
}

}  // namespace
}  // namespace tally::rules::lint
