// SampleBudget / SampleReservation bookkeeping, and the promise they exist for: a query
// that would hold more than --query.max-samples samples is refused before it allocates
// them, so its peak memory stays near max_samples x 16 B and it fails quickly. The memory
// checks run the query in a forked child (address-space limit, alarm) and read the child's
// peak RSS from wait4(), so a regression fails the test instead of exhausting the machine.
#include "promql/sample_budget.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "promql/engine.h"
#include "tests/testutil/child_process.h"

namespace tally::promql {
namespace {

using testutil::ChildResult;
using testutil::RunInChild;

TEST(SampleBudgetTest, ReserveIsAllOrNothingAndReleaseReturnsSamples) {
  SampleBudget b(100);
  EXPECT_TRUE(b.Reserve(60).ok());
  absl::Status s = b.Reserve(41);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "query processing would load too many samples into memory in query execution");
  EXPECT_EQ(b.used(), 60);  // the refused reservation took nothing
  EXPECT_TRUE(b.Reserve(40).ok());
  b.Release(100);
  EXPECT_EQ(b.used(), 0);
  EXPECT_EQ(b.peak(), 100);
}

TEST(SampleBudgetTest, ReservationReleasesOnDestructionAndFollowsMoves) {
  SampleBudget b(10);
  {
    SampleReservation r(&b);
    ASSERT_TRUE(r.Resize(7).ok());
    EXPECT_FALSE(r.Grow(4).ok());
    EXPECT_EQ(r.held(), 7);
    SampleReservation moved = std::move(r);
    EXPECT_EQ(r.held(), 0);
    EXPECT_EQ(b.used(), 7);
    ASSERT_TRUE(moved.Resize(2).ok());
    EXPECT_EQ(b.used(), 2);
  }
  EXPECT_EQ(b.used(), 0);
}

// 0 when the instant query fails with ResourceExhausted, 1 otherwise.
int ExpectTooManySamples(const std::string& query, int64_t max_samples) {
  QueryOptions o;
  o.max_samples = max_samples;
  o.parallel = false;  // no oneTBB in a forked child
  Engine engine(o);
  // Only literals and subqueries: the query never reads storage.
  auto q = engine.NewInstantQuery(nullptr, query, 1'700'000'000'000);
  if (!q.ok()) return 2;
  absl::StatusOr<Value> v = (*q)->Exec();
  return !v.ok() && v.status().code() == absl::StatusCode::kResourceExhausted ? 0 : 1;
}

constexpr int64_t kMiB = 1 << 20;

// The query from issue 8: a 3.2e10-step subquery grid. It used to run for minutes and
// reach 11.5 GB before answering "too many samples"; now it is refused before anything of
// the grid exists.
TEST(SampleBudgetTest, HugeSubqueryGridIsRefusedBeforeAllocating) {
  ChildResult r = RunInChild(
      [] { return ExpectTooManySamples("count_over_time(vector(1)[1y:1ms])", 50'000'000); },
      /*extra_address_space_bytes=*/2048 * kMiB, /*seconds=*/20);
  EXPECT_EQ(r.code, 0) << "exit code (14 = alarm, 6 = abort on out of memory)";
  EXPECT_LT(r.elapsed, absl::Seconds(10));
  EXPECT_LT(r.max_rss_bytes, 512 * kMiB);
}

// Grids that fit the limit on their own but not together: the second operand is refused
// when it is reserved, so the peak stays within a small multiple of max_samples x 16 B.
TEST(SampleBudgetTest, PeakMemoryStaysWithinTheSampleLimit) {
  constexpr int64_t kMaxSamples = 5'000'000;  // 80 MB of 16-byte samples
  const char* queries[] = {
      "count_over_time(vector(1)[1d:1ms])",                 // 8.6e7 steps > limit
      "count_over_time((vector(1) + vector(2))[1h:1ms])",   // 3.6e6 + 3.6e6 cells
      "count_over_time(vector(1)[1h:1ms]) + count_over_time(vector(1)[1h:1ms])",
      "sum_over_time(vector(time() * 2)[80m:1ms])",  // 4.8e6 + 4.8e6 cells
  };
  for (const char* q : queries) {
    SCOPED_TRACE(q);
    ChildResult r = RunInChild([q] { return ExpectTooManySamples(q, kMaxSamples); },
                               /*extra_address_space_bytes=*/2048 * kMiB, /*seconds=*/20);
    EXPECT_EQ(r.code, 0);
    EXPECT_LT(r.max_rss_bytes, 64 * kMiB + 2 * kMaxSamples * 16);
  }
}

}  // namespace
}  // namespace tally::promql
