#include "server/scrape/scrape_scheduler.h"

#include <atomic>

#include "gtest/gtest.h"

namespace tally::server::scrape {
namespace {

TEST(ScrapeSchedulerTest, RunsManyTasksOnFewWorkersAtTheirSlots) {
  ScrapeScheduler s(2);
  EXPECT_EQ(s.workers(), 2);
  constexpr int kTasks = 500;
  std::atomic<int> runs{0};
  std::atomic<int> early{0};
  const absl::Time start = absl::Now();
  for (int i = 0; i < kTasks; ++i) {
    s.Add(start + absl::Milliseconds(i % 50), [&](absl::Time slot) {
      if (absl::Now() < slot) ++early;
      ++runs;
      return runs.load() < 3 * kTasks ? slot + absl::Milliseconds(100) : absl::InfiniteFuture();
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (runs.load() < 3 * kTasks && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_GE(runs.load(), 3 * kTasks);
  EXPECT_EQ(early.load(), 0);  // never before its slot
  s.Stop();
}

TEST(ScrapeSchedulerTest, RemoveWaitsForARunningTaskAndStopsIt) {
  ScrapeScheduler s(2);
  std::atomic<bool> inside{false};
  std::atomic<int> runs{0};
  const uint64_t id = s.Add(absl::Now(), [&](absl::Time slot) {
    inside = true;
    absl::SleepFor(absl::Milliseconds(200));
    ++runs;
    inside = false;
    return slot + absl::Milliseconds(1);
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!inside.load() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_TRUE(inside.load());
  s.Remove(id);
  EXPECT_FALSE(inside.load());  // Remove returned only after the run
  const int after = runs.load();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(runs.load(), after);
  EXPECT_EQ(s.tasks(), 0u);
}

TEST(ScrapeSchedulerTest, StopSkipsPendingTasks) {
  std::atomic<int> runs{0};
  {
    ScrapeScheduler s(1);
    s.Add(absl::Now() + absl::Hours(1), [&](absl::Time) {
      ++runs;
      return absl::InfiniteFuture();
    });
    s.Stop();
  }
  EXPECT_EQ(runs.load(), 0);
}

TEST(ScrapeSchedulerTest, RescheduleMovesTheNextRun) {
  ScrapeScheduler s(1);
  std::atomic<int> runs{0};
  const uint64_t id = s.Add(absl::Now() + absl::Hours(1), [&](absl::Time) {
    ++runs;
    return absl::InfiniteFuture();
  });
  s.Reschedule(id, absl::Now());
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (runs.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace tally::server::scrape
