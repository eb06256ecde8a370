#include "storage/index/postings_for_matchers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

using testutil::MakeMatchers;

// Series (by index): the table below selects them by their "id" label.
const Labels kSeries[] = {
    Labels{{"__name__", "m"}, {"id", "0"}, {"a", "x"}},
    Labels{{"__name__", "m"}, {"id", "1"}, {"a", "y"}},
    Labels{{"__name__", "m"}, {"id", "2"}, {"a", "xy"}, {"b", "1"}},
    Labels{{"__name__", "m"}, {"id", "3"}},
    Labels{{"__name__", "n"}, {"id", "4"}, {"b", "2"}},
    Labels{{"__name__", "n"}, {"id", "5"}, {"a", std::string("nul\0byte", 8)}},
};

struct Case {
  std::vector<testutil::MatcherSpec> matchers;
  std::vector<std::string> ids;
};

class PostingsForMatchersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto app = db_->NewAppender();
    for (const Labels& l : kSeries) ASSERT_TRUE(app->Append(l, 1000, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
  }

  std::vector<std::string> Ids(const Matchers& ms) {
    auto q = db_->NewQuerier(0, 2000);
    auto set = q->Select(ms);
    EXPECT_TRUE(set.ok()) << set.status();
    std::vector<std::string> ids;
    if (!set.ok()) return ids;
    for (const auto& s : *set) ids.emplace_back(s->labels().Get("id"));
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  testutil::TempDir dir_;
  std::unique_ptr<DB> db_;
};

TEST_F(PostingsForMatchersTest, PrometheusSemanticsTable) {
  const std::vector<Case> cases = {
      {{{"=", "__name__", "m"}}, {"0", "1", "2", "3"}},
      {{{"=", "__name__", "m"}, {"=", "a", "x"}}, {"0"}},
      {{{"=", "__name__", "m"}, {"!=", "a", "x"}}, {"1", "2", "3"}},
      // a="" selects series lacking the label.
      {{{"=", "__name__", "m"}, {"=", "a", ""}}, {"3"}},
      {{{"=", "__name__", "m"}, {"!=", "a", ""}}, {"0", "1", "2"}},
      // Regexes are fully anchored.
      {{{"=", "__name__", "m"}, {"=~", "a", "x"}}, {"0"}},
      {{{"=", "__name__", "m"}, {"=~", "a", "x.*"}}, {"0", "2"}},
      {{{"=", "__name__", "m"}, {"=~", "a", "x|y"}}, {"0", "1"}},
      // A regex matching "" also selects series lacking the label.
      {{{"=", "__name__", "m"}, {"=~", "a", "x|"}}, {"0", "3"}},
      {{{"=", "__name__", "m"}, {"=~", "a", ".*"}}, {"0", "1", "2", "3"}},
      {{{"=", "__name__", "m"}, {"!~", "a", ".+"}}, {"3"}},
      {{{"=", "__name__", "m"}, {"!~", "a", "x.*"}}, {"1", "3"}},
      {{{"=", "__name__", "m"}, {"!~", "a", "x|y"}}, {"2", "3"}},
      {{{"=~", "a", ".+"}}, {"0", "1", "2", "5"}},
      {{{"=~", "__name__", "m|n"}, {"=", "b", ""}}, {"0", "1", "3", "5"}},
      {{{"=~", "__name__", ".+"}, {"=~", "b", "1|2"}}, {"2", "4"}},
      {{{"=", "a", "nul"}}, {}},
      {{{"=~", "a", "nul.byte"}}, {"5"}},
      {{{"=", "__name__", "absent"}}, {}},
      {{{"=", "__name__", "m"}, {"=", "nolabel", "v"}}, {}},
      {{{"=", "__name__", "m"}, {"!=", "nolabel", "v"}}, {"0", "1", "2", "3"}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Matchers ms = MakeMatchers(cases[i].matchers);
    EXPECT_EQ(Ids(ms), cases[i].ids) << "case " << i;
  }
}

TEST_F(PostingsForMatchersTest, ExactNulByteValueLookup) {
  auto m = Matcher::Make(MatchType::kEqual, "a", std::string("nul\0byte", 8));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Ids({*m}), std::vector<std::string>{"5"});
}

TEST_F(PostingsForMatchersTest, SelectIsSortedByLabels) {
  auto q = db_->NewQuerier(0, 2000);
  auto set = q->Select(MakeMatchers({{"=~", "id", ".+"}}));
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->size(), 6u);
  for (size_t i = 1; i < set->size(); ++i) {
    EXPECT_LT(Compare((*set)[i - 1]->labels(), (*set)[i]->labels()), 0);
  }
}

}  // namespace
}  // namespace tally::storage
