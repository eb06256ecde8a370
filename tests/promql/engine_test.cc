// Engine-level behaviour the script corpus does not cover: range queries equal per-step
// instant queries, limits (max samples, resolution, timeout, cancellation), result shapes
// and ordering, @ start()/end(), and the lookback option.
#include "promql/engine.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/temp_dir.h"

namespace tally::promql {
namespace {

using ::testing::HasSubstr;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto app = db_->NewAppender();
    // Two counters with a reset and a gap, one gauge with a stale marker; 15 s scrapes.
    for (int i = 0; i <= 240; ++i) {
      int64_t t = i * 15'000;
      double a = i < 100 ? i * 2.0 : (i - 100) * 2.0;  // reset at i = 100
      ASSERT_TRUE(app->Append(storage::Labels({{"__name__", "req_total"}, {"job", "a"}}), t, a).ok());
      if (i < 50 || i > 70) {
        ASSERT_TRUE(
            app->Append(storage::Labels({{"__name__", "req_total"}, {"job", "b"}}), t, i * 3.0)
                .ok());
      }
      double g = i == 120 ? storage::StaleNaN() : std::sin(i / 10.0);
      if (i <= 120 || i > 160) {
        ASSERT_TRUE(app->Append(storage::Labels({{"__name__", "temp"}, {"job", "a"}}), t, g).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  absl::StatusOr<Value> Instant(const std::string& q, int64_t t, QueryOptions o = {}) {
    Engine e(o);
    auto query = e.NewInstantQuery(db_.get(), q, t);
    if (!query.ok()) return query.status();
    return (*query)->Exec();
  }
  absl::StatusOr<Value> Range(const std::string& q, int64_t s, int64_t e, int64_t step,
                              QueryOptions o = {}) {
    Engine eng(o);
    auto query = eng.NewRangeQuery(db_.get(), q, s, e, step);
    if (!query.ok()) return query.status();
    return (*query)->Exec();
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
};

TEST_F(EngineTest, RangeQueryEqualsInstantQueryAtEveryStep) {
  const char* queries[] = {
      "rate(req_total[1m])",
      "sum by (job) (increase(req_total[5m]))",
      "temp * 2 > 0",
      "req_total / on(job) group_left temp",
      "max_over_time(rate(req_total[1m])[5m:30s])",
      "topk(1, req_total)",
      "avg_over_time(temp[2m] offset 1m)",
      "time() - timestamp(temp)",
      "absent(req_total{job=\"c\"})",
      "predict_linear(temp[5m], 60)",
  };
  for (const char* q : queries) {
    SCOPED_TRACE(q);
    auto r = Range(q, 0, 3'600'000, 45'000);
    ASSERT_TRUE(r.ok()) << r.status();
    const Matrix& m = std::get<Matrix>(*r);
    for (int64_t t = 0; t <= 3'600'000; t += 45'000) {
      auto v = Instant(q, t);
      ASSERT_TRUE(v.ok()) << v.status();
      const Vector& vec = std::get<Vector>(*v);
      size_t at_t = 0;
      for (const MatrixSeries& s : m) {
        for (const storage::Sample& p : s.points) {
          if (p.t_ms != t) continue;
          ++at_t;
          bool found = false;
          for (const VectorSample& x : vec) {
            if (x.metric == s.metric) {
              found = true;
              EXPECT_TRUE(x.v == p.v || (std::isnan(x.v) && std::isnan(p.v)))
                  << s.metric.ToString() << " at " << t << ": " << x.v << " vs " << p.v;
            }
          }
          EXPECT_TRUE(found) << s.metric.ToString() << " at " << t;
        }
      }
      EXPECT_EQ(at_t, vec.size()) << "at " << t;
    }
  }
}

TEST_F(EngineTest, RangeResultIsSortedByLabels) {
  auto r = Range("sort_desc(req_total)", 600'000, 700'000, 50'000);
  ASSERT_TRUE(r.ok()) << r.status();
  const Matrix& m = std::get<Matrix>(*r);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].metric.Get("job"), "a");
  EXPECT_EQ(m[1].metric.Get("job"), "b");
}

TEST_F(EngineTest, ScalarRangeQueryIsOneUnlabelledSeries) {
  auto r = Range("time()", 0, 60'000, 30'000);
  ASSERT_TRUE(r.ok()) << r.status();
  const Matrix& m = std::get<Matrix>(*r);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(m[0].metric.empty());
  ASSERT_EQ(m[0].points.size(), 3u);
  EXPECT_EQ(m[0].points[2].v, 60);
}

TEST_F(EngineTest, InstantRangeSelectorReturnsRawSamplesClosedWindow) {
  auto r = Instant("req_total{job=\"a\"}[30s]", 60'000);
  ASSERT_TRUE(r.ok()) << r.status();
  const Matrix& m = std::get<Matrix>(*r);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m[0].points.size(), 3u);  // 30 s, 45 s, 60 s
  EXPECT_EQ(m[0].points[0].t_ms, 30'000);
  EXPECT_EQ(m[0].metric.MetricName(), "req_total");
}

TEST_F(EngineTest, StaleMarkerEndsSeriesAndLookbackOptionApplies) {
  // temp has a stale marker at 1800 s and no samples until 2415 s.
  auto before = Instant("temp", 1'799'000);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(std::get<Vector>(*before).size(), 1u);
  auto after = Instant("temp", 1'801'000);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(std::get<Vector>(*after).empty());
  // job="b" has a gap from 750 s to 1050 s: visible with 5m lookback, not with 1m.
  QueryOptions short_lookback;
  short_lookback.lookback_delta = absl::Minutes(1);
  auto gap = Instant("req_total{job=\"b\"}", 1'000'000);
  auto gap_short = Instant("req_total{job=\"b\"}", 1'000'000, short_lookback);
  ASSERT_TRUE(gap.ok() && gap_short.ok());
  EXPECT_EQ(std::get<Vector>(*gap).size(), 1u);
  EXPECT_TRUE(std::get<Vector>(*gap_short).empty());
}

TEST_F(EngineTest, AtStartAndEndResolveToTheQueryRange) {
  auto r = Range("req_total{job=\"a\"} @ end() - req_total{job=\"a\"} @ start()", 300'000,
                 600'000, 150'000);
  ASSERT_TRUE(r.ok()) << r.status();
  const Matrix& m = std::get<Matrix>(*r);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m[0].points.size(), 3u);
  for (const auto& p : m[0].points) EXPECT_EQ(p.v, 40.0);  // (40 - 20) samples x 2
}

TEST_F(EngineTest, TooManySamplesIsResourceExhausted) {
  QueryOptions o;
  o.max_samples = 10;
  auto r = Range("req_total", 0, 3'600'000, 15'000, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "query processing would load too many samples into memory in query execution");
  auto fine = Range("req_total", 0, 3'600'000, 15'000);
  EXPECT_TRUE(fine.ok());
  // A fine-grained subquery is refused before its per-step grid is allocated.
  QueryOptions sub;
  sub.max_samples = 100'000;
  auto grid = Instant("max_over_time(req_total[1h:10ms])", 3'600'000, sub);
  ASSERT_FALSE(grid.ok());
  EXPECT_EQ(grid.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Instant("max_over_time(req_total[1h:1m])", 3'600'000, sub).ok());
  // Samples of finished sub-expressions are released: a chain of operators needs only
  // about twice one operand's samples, not the sum over all nodes.
  QueryOptions chain;
  chain.max_samples = 1000;  // req_total: ~460 points over this range
  auto c = Range("((req_total + 1) + 1) + 1", 0, 3'600'000, 15'000, chain);
  EXPECT_TRUE(c.ok()) << c.status();
  chain.max_samples = 400;
  EXPECT_FALSE(Range("((req_total + 1) + 1) + 1", 0, 3'600'000, 15'000, chain).ok());
}

// A range function's windows are views into the series' decoded samples: those count once
// (241 samples of req_total{job="a"} in the last hour, plus the one-cell result row).
TEST_F(EngineTest, RangeFunctionCountsItsSeriesSamplesOnce) {
  QueryOptions o;
  o.max_samples = 242;
  auto r = Instant("count_over_time(req_total{job=\"a\"}[1h])", 3'600'000, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(std::get<Vector>(*r).size(), 1u);
  EXPECT_EQ(std::get<Vector>(*r)[0].v, 241);
  o.max_samples = 241;
  r = Instant("count_over_time(req_total{job=\"a\"}[1h])", 3'600'000, o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(EngineTest, RejectsTooManyPointsAndBadStepAndRangeTypes) {
  auto many = Range("req_total", 0, 11'001'000, 1'000);
  ASSERT_FALSE(many.ok());
  EXPECT_THAT(many.status().message(), HasSubstr("exceeded maximum resolution of 11,000 points"));
  EXPECT_TRUE(Range("req_total", 0, 11'000'000, 1'000).ok());
  auto step = Range("req_total", 0, 10, 0);
  ASSERT_FALSE(step.ok());
  EXPECT_EQ(step.status().code(), absl::StatusCode::kInvalidArgument);
  auto type = Range("req_total[5m]", 0, 10, 1);
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().message(),
            "invalid expression type \"range vector\" for range query, must be Scalar or "
            "instant Vector");
}

TEST_F(EngineTest, TimeoutAndCancellation) {
  QueryOptions o;
  o.timeout = absl::ZeroDuration() - absl::Seconds(1);
  auto r = Instant("req_total", 60'000, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(), "query timed out in query execution");

  Engine e;
  auto q = e.NewInstantQuery(db_.get(), "req_total", 60'000);
  ASSERT_TRUE(q.ok());
  (*q)->Cancel();
  auto c = (*q)->Exec();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(EngineTest, EvaluationErrorsAreFailedPreconditionWithPrometheusText) {
  auto r = Instant("req_total / on() group_left temp", 60'000);  // one temp series
  EXPECT_TRUE(r.ok()) << r.status();
  auto one = Instant("req_total / on() temp", 60'000);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().message(),
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
  auto dup = Instant("temp / on() req_total", 60'000);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(dup.status().message(),
              HasSubstr("found duplicate series for the match group {} on the right hand-side"));
  auto labelset = Instant("label_replace(req_total, \"job\", \"x\", \"job\", \".*\")", 60'000);
  ASSERT_FALSE(labelset.ok());
  EXPECT_EQ(labelset.status().message(), "vector cannot contain metrics with the same labelset");
}

TEST_F(EngineTest, DuplicateSeriesErrorNamesBothSeriesWithManySignatures) {
  // Enough distinct signatures to make the signature table rehash before the error.
  auto app = db_->NewAppender();
  for (int i = 0; i < 64; ++i) {
    std::string g = "g" + std::to_string(i);
    ASSERT_TRUE(app->Append(storage::Labels({{"__name__", "lhs"}, {"grp", g}}), 0, 1).ok());
    ASSERT_TRUE(
        app->Append(storage::Labels({{"__name__", "rhs"}, {"grp", g}, {"k", "a"}}), 0, 1).ok());
  }
  ASSERT_TRUE(
      app->Append(storage::Labels({{"__name__", "rhs"}, {"grp", "g63"}, {"k", "b"}}), 0, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto r = Instant("lhs / on(grp) rhs", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "found duplicate series for the match group {grp=\"g63\"} on the right hand-side "
            "of the operation: [{__name__=\"rhs\", grp=\"g63\", k=\"b\"}, "
            "{__name__=\"rhs\", grp=\"g63\", k=\"a\"}];many-to-many matching not allowed: "
            "matching labels must be unique on one side");
  auto ok = Instant("lhs / on(grp) group_left rhs{k=\"a\"}", 0);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(std::get<Vector>(*ok).size(), 64u);
}

TEST_F(EngineTest, SubqueryStepsAreAlignedToAbsoluteMultiples) {
  // Inner steps are multiples of 20 s, independent of the outer evaluation time.
  auto v = Instant("count_over_time(vector(time())[1m:20s])", 70'000);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(std::get<Vector>(*v).size(), 1u);
  EXPECT_EQ(std::get<Vector>(*v)[0].v, 3);  // 20 s, 40 s, 60 s in [10 s, 70 s]
  auto last = Instant("last_over_time(vector(time())[1m:20s])", 70'000);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(std::get<Vector>(*last)[0].v, 60);
}

}  // namespace
}  // namespace tally::promql
