// Aggregations over range functions are streamed chunk by chunk, in parallel
// (eval_aggregate_stream.cc); their results must be bit-identical to aggregating the
// materialised rows, sequential or parallel.
#include <bit>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "promql/engine.h"
#include "tests/testutil/temp_dir.h"

namespace tally::promql {
namespace {

class AggregateStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    std::mt19937_64 rng(7);
    auto app = db_->NewAppender();
    for (int s = 0; s < 400; ++s) {
      storage::Labels l({{"__name__", "x_total"}, {"g", absl::StrCat("g", s % 7)},
                         {"i", absl::StrCat(s)}});
      double c = 0;
      for (int k = 0; k < 800; ++k) {
        if (rng() % 200 == 0) c = 0;  // counter reset
        c += static_cast<double>(rng() % 100000) / 3.0;
        ASSERT_TRUE(app->Append(l, k * 15'000, c).ok());
      }
    }
    // Two series that differ only by name: rate() makes their label sets equal.
    for (const char* name : {"dup_a", "dup_b"}) {
      storage::Labels l({{"__name__", name}, {"g", "x"}});
      for (int k = 0; k < 800; ++k) ASSERT_TRUE(app->Append(l, k * 15'000, k).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  absl::StatusOr<Matrix> Range(const std::string& q, bool parallel) {
    QueryOptions o;
    o.parallel = parallel;
    Engine e(o);
    auto query = e.NewRangeQuery(db_.get(), q, 600'000, 800 * 15'000, 15'000);
    if (!query.ok()) return query.status();
    auto v = (*query)->Exec();
    if (!v.ok()) return v.status();
    return std::get<Matrix>(*v);
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
};

void ExpectSameBits(const Matrix& a, const Matrix& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t s = 0; s < a.size(); ++s) {
    ASSERT_EQ(a[s].metric, b[s].metric) << what;
    ASSERT_EQ(a[s].points.size(), b[s].points.size()) << what;
    for (size_t p = 0; p < a[s].points.size(); ++p) {
      EXPECT_EQ(a[s].points[p].t_ms, b[s].points[p].t_ms) << what;
      EXPECT_EQ(std::bit_cast<uint64_t>(a[s].points[p].v),
                std::bit_cast<uint64_t>(b[s].points[p].v))
          << what << " " << a[s].metric.ToString() << " at " << a[s].points[p].t_ms;
    }
  }
}

TEST_F(AggregateStreamTest, StreamedEqualsMaterialisedBitForBit) {
  for (const char* op : {"sum", "avg", "stddev", "stdvar", "min", "max", "count", "group"}) {
    for (const char* fn : {"rate(x_total[5m])", "increase(x_total[1h])",
                           "avg_over_time(x_total[10m])"}) {
      const std::string streamed = absl::StrCat(op, " by (g) (", fn, ")");
      // `* 1` is exact and makes the argument a binary operation: the materialising path.
      const std::string materialised = absl::StrCat(op, " by (g) (", fn, " * 1)");
      auto ref = Range(materialised, false);
      ASSERT_TRUE(ref.ok()) << ref.status();
      ASSERT_FALSE(ref->empty());
      for (bool parallel : {false, true}) {
        auto got = Range(streamed, parallel);
        ASSERT_TRUE(got.ok()) << got.status();
        ExpectSameBits(*got, *ref, streamed + (parallel ? " parallel" : " sequential"));
      }
    }
  }
}

TEST_F(AggregateStreamTest, DuplicateOutputLabelsStillFail) {
  // Prometheus compat: rate() drops the name, the two series collide at every step.
  for (bool parallel : {false, true}) {
    auto got = Range("sum(rate({__name__=~\"dup_.*\"}[5m]))", parallel);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().message(), "vector cannot contain metrics with the same labelset");
  }
}

}  // namespace
}  // namespace tally::promql
