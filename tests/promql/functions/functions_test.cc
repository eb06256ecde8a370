// Function edge cases beyond the script corpus, checked through the engine: `le` parsing,
// histogram_quantile without +Inf, label_replace expansion rules, date functions.
#include <cmath>

#include "gtest/gtest.h"
#include "promql/engine.h"
#include "tests/testutil/temp_dir.h"

namespace tally::promql {
namespace {

class FunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  void Add(const storage::Labels& l, double v) {
    auto app = db_->NewAppender();
    ASSERT_TRUE(app->Append(l, 0, v).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  Vector Eval(const std::string& q, int64_t t = 0) {
    Engine e;
    auto query = e.NewInstantQuery(db_.get(), q, t);
    EXPECT_TRUE(query.ok()) << query.status();
    if (!query.ok()) return {};
    auto v = (*query)->Exec();
    EXPECT_TRUE(v.ok()) << v.status();
    if (!v.ok()) return {};
    return std::get<Vector>(*v);
  }
  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
};

TEST_F(FunctionsTest, HistogramQuantileParsesGoFloatLeValues) {
  Add(storage::Labels({{"__name__", "h_bucket"}, {"le", "1e+00"}}), 5);
  Add(storage::Labels({{"__name__", "h_bucket"}, {"le", "2.0"}}), 10);
  Add(storage::Labels({{"__name__", "h_bucket"}, {"le", "+Inf"}}), 10);
  Add(storage::Labels({{"__name__", "h_bucket"}, {"le", "garbage"}}), 1000);
  Vector v = Eval("histogram_quantile(0.75, h_bucket)");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].metric.empty());
  EXPECT_DOUBLE_EQ(v[0].v, 1.5);  // rank 7.5 in (1, 2]
}

TEST_F(FunctionsTest, HistogramQuantileWithoutInfBucketIsNaN) {
  Add(storage::Labels({{"__name__", "h_bucket"}, {"le", "1"}}), 5);
  Vector v = Eval("histogram_quantile(0.5, h_bucket)");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(std::isnan(v[0].v));
}

TEST_F(FunctionsTest, LabelReplaceFollowsGoExpand) {
  Add(storage::Labels({{"__name__", "m"}, {"src", "ab-cd"}}), 1);
  auto get = [&](const std::string& repl) {
    Vector v = Eval("label_replace(m, \"dst\", \"" + repl + "\", \"src\", \"(\\\\w+)-(?P<x>\\\\w+)\")");
    EXPECT_EQ(v.size(), 1u);
    return v.empty() ? std::string("?") : std::string(v[0].metric.Get("dst"));
  };
  EXPECT_EQ(get("$1"), "ab");
  EXPECT_EQ(get("${1}x"), "abx");
  EXPECT_EQ(get("$1x"), "");  // group "1x" does not exist
  EXPECT_EQ(get("$x"), "cd");
  EXPECT_EQ(get("$$1"), "$1");
}

TEST_F(FunctionsTest, DateFunctionsUseUtc) {
  Vector v = Eval("day_of_week(vector(1735689600))");  // 2025-01-01, a Wednesday
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].v, 3);
  EXPECT_EQ(Eval("days_in_month(vector(1738368000))")[0].v, 28);  // 2025-02-01
  EXPECT_EQ(Eval("day_of_year(vector(1735689600 + 86400 * 59))")[0].v, 60);
  EXPECT_EQ(Eval("hour()", 3'600'000 * 5)[0].v, 5);
}

// Values from Prometheus 2.42 (tests/compat differential run): Go's amd64 math.Log reads a
// subnormal's exponent from its bits; log10 is Log(x)/ln(10) and inherits it; log2 does not.
TEST_F(FunctionsTest, LogOfSubnormalMatchesGo) {
  // Within 1e-12: Go's and glibc's log differ in the last bit (docs/compatibility.md).
  EXPECT_NEAR(Eval("ln(vector(5e-324))")[0].v, -709.0895657128241, 1e-12 * 709);
  EXPECT_NEAR(Eval("log10(vector(5e-324))")[0].v, -307.9536855642528, 1e-12 * 308);
  EXPECT_EQ(Eval("log2(vector(5e-324))")[0].v, -1074);
  EXPECT_EQ(Eval("log2(vector(8))")[0].v, 3);
}

// Prometheus 2.42's sum_over_time is a compensated (Kahan-Neumaier) sum: subnormal terms
// next to integers are not lost (checked against the binary: 21 x 5e-324 survive).
TEST_F(FunctionsTest, SumOverTimeIsCompensated) {
  const storage::Labels l({{"__name__", "m"}});
  auto app = db_->NewAppender();
  const double vals[] = {1, 5e-324, -1, 5e-324, 1e100, 1, -1e100};
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(app->Append(l, i * 1000, vals[i]).ok());
  ASSERT_TRUE(app->Commit().ok());
  Vector v = Eval("sum_over_time(m[10s])", 6000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].v, 1.0);  // a plain running sum gives 0
}

}  // namespace
}  // namespace tally::promql
