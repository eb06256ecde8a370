#include "server/api/query_gate.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace tally::server::api {
namespace {

TEST(QueryGateTest, QueuesPastTheLimitThenTimesOutAsPrometheus) {
  QueryGate g(1);
  ASSERT_TRUE(g.Acquire(absl::Now() + absl::Seconds(1), nullptr).ok());
  absl::Status st = g.Acquire(absl::Now() + absl::Milliseconds(150), nullptr);
  EXPECT_TRUE(absl::IsDeadlineExceeded(st));
  EXPECT_EQ(st.message(), "query timed out in query queue");
  // A waiter gets the slot as soon as it is released.
  std::atomic<bool> got{false};
  std::thread t([&] {
    got = g.Acquire(absl::Now() + absl::Seconds(10), nullptr).ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got.load());
  g.Release();
  t.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(g.running(), 1);
  g.Release();
}

TEST(QueryGateTest, AWaiterWhoseClientLeftStopsWaiting) {
  QueryGate g(1);
  ASSERT_TRUE(g.Acquire(absl::InfiniteFuture(), nullptr).ok());
  http::ClientDisconnect d;
  std::thread t([&] { d.Fire(); });
  absl::Status st = g.Acquire(absl::Now() + absl::Seconds(30), &d);
  t.join();
  EXPECT_TRUE(absl::IsCancelled(st)) << st;
  g.Release();
}

}  // namespace
}  // namespace tally::server::api
