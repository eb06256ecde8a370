// Retention passes do not hold up the commit path: while a pass has scanned the store and
// not yet deleted, a commit from another thread completes (bounded wait). Before the
// scan/apply split the whole walk ran under the commit mutex and the commit waited for it.
#include <chrono>
#include <future>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

using testutil::MakeMatchers;
using testutil::QueryAll;
using testutil::TempDir;
using testutil::TestOptions;

TEST(RetentionTest, CommitsProceedWhileRetentionScans) {
  TempDir dir;
  DBOptions o = TestOptions(dir.path());
  o.retention_ms = 3'600'000;  // 1h
  std::promise<void> in_scan;
  std::promise<void> release_p;
  std::shared_future<void> release = release_p.get_future().share();
  bool hook_armed = false;
  o.retention_scan_hook = [&] {
    if (!hook_armed) return;
    in_scan.set_value();
    // Bounded: the test releases the pass as soon as its commit is done (or timed out).
    release.wait_for(std::chrono::seconds(30));
  };
  auto opened = DB::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  DB* db = opened->get();
  // 2 h of data for 500 series: the first hour expires.
  for (int s = 0; s < 500; ++s) {
    auto app = db->NewAppender();
    Labels l{{"__name__", "m"}, {"s", std::to_string(s)}};
    for (int k = 0; k < 480; ++k) ASSERT_TRUE(app->Append(l, int64_t{k} * 15'000, k).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  ASSERT_TRUE(db->Flush().ok());

  hook_armed = true;
  auto pass = std::async(std::launch::async, [&] { return db->ApplyRetention(480 * 15'000); });
  ASSERT_EQ(in_scan.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  // The pass is between its scan and its deletions. A commit must not wait for it.
  auto commit = std::async(std::launch::async, [&] {
    auto app = db->NewAppender();
    auto ref = app->Append(Labels{{"__name__", "live"}}, 480 * 15'000, 1);
    if (!ref.ok()) return ref.status();
    return app->Commit().status();
  });
  const bool committed = commit.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  release_p.set_value();
  EXPECT_TRUE(committed) << "a commit waited for the retention pass";
  EXPECT_TRUE(commit.get().ok());
  ASSERT_TRUE(pass.get().ok());

  // And the pass did its job: the first hour is gone, the second intact.
  auto all = QueryAll(db, MakeMatchers({{"=", "__name__", "m"}}));
  ASSERT_EQ(all.size(), 500u);
  for (const auto& [l, samples] : all) {
    ASSERT_FALSE(samples.empty());
    EXPECT_GT(samples.front().t_ms, 1'800'000) << l;  // the oldest chunks went
    EXPECT_LE(samples.front().t_ms, 3'600'000) << l;  // nothing after the cutoff did
    EXPECT_EQ(samples.back().t_ms, 479 * 15'000) << l;
  }
  EXPECT_EQ(QueryAll(db, MakeMatchers({{"=", "__name__", "live"}})).size(), 1u);
}

}  // namespace
}  // namespace tally::storage
