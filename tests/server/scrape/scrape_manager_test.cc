#include "server/scrape/scrape_manager.h"

#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config.h"
#include "tests/testutil/fake_http_server.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server::scrape {
namespace {

using testutil::FakeRequest;
using testutil::FakeResponse;

FakeResponse Text(const std::string& body) {
  FakeResponse r;
  r.body = body;
  r.content_type = "text/plain; version=0.0.4";
  return r;
}

class ScrapeManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  config::Config Parse(const std::string& yaml) {
    absl::StatusOr<config::Config> c = config::ParseConfig(yaml);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : config::Config{};
  }

  // Waits (bounded) until `pred` holds.
  template <typename Pred>
  bool WaitFor(Pred pred, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (pred()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return pred();
  }

  std::vector<storage::Sample> Samples(const std::string& name) {
    auto all = testutil::QueryAll(db_.get(), testutil::MakeMatchers({{"=", "__name__", name}}));
    return all.empty() ? std::vector<storage::Sample>{} : all[0].second;
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
};

TEST_F(ScrapeManagerTest, ScrapesStaticTargetsAndShowsThem) {
  testutil::FakeHttpServer a([](const FakeRequest&) { return Text("m 1\n"); });
  ScrapeManager m(db_.get(), {.workers = 2});
  const std::string yaml = absl::StrCat(R"(
scrape_configs:
  - job_name: j
    scrape_interval: 1s
    scrape_timeout: 500ms
    static_configs:
      - targets: ['127.0.0.1:)", a.port(), R"(']
        labels: {team: x}
)");
  ASSERT_TRUE(m.ApplyConfig(Parse(yaml)).ok());
  ASSERT_TRUE(WaitFor([&] { return Samples("up").size() >= 2; }));
  std::vector<ActiveTargetInfo> t = m.ActiveTargets();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].pool, "j");
  EXPECT_EQ(t[0].labels.Get("team"), "x");
  EXPECT_EQ(t[0].labels.Get("instance"), absl::StrCat("127.0.0.1:", a.port()));
  EXPECT_EQ(t[0].scrape_url, absl::StrCat("http://127.0.0.1:", a.port(), "/metrics"));
  EXPECT_EQ(t[0].status.health, TargetHealth::kUp);
  EXPECT_EQ(t[0].interval_ms, 1000);
  EXPECT_EQ(t[0].timeout_ms, 500);
  // Slots are about one interval apart.
  std::vector<storage::Sample> up = Samples("up");
  EXPECT_GE(up[1].t_ms - up[0].t_ms, 900);
  std::string metrics;
  m.RenderMetrics(&metrics);
  EXPECT_THAT(metrics, ::testing::HasSubstr("prometheus_target_scrape_pool_targets{scrape_job=\"j\"} 1"));
}

TEST_F(ScrapeManagerTest, ReloadKeepsUnchangedTargetsAndEndsRemovedOnesWithStaleMarkers) {
  testutil::FakeHttpServer a([](const FakeRequest&) { return Text("ma 1\n"); });
  testutil::FakeHttpServer b([](const FakeRequest&) { return Text("mb 1\n"); });
  ScrapeManager m(db_.get(), {.workers = 2});
  auto cfg = [&](bool with_b) {
    std::string targets = absl::StrCat("'127.0.0.1:", a.port(), "'");
    if (with_b) absl::StrAppend(&targets, ", '127.0.0.1:", b.port(), "'");
    return Parse(absl::StrCat("scrape_configs:\n  - job_name: j\n    scrape_interval: 1s\n"
                              "    scrape_timeout: 500ms\n    static_configs:\n      - targets: [",
                              targets, "]\n"));
  };
  ASSERT_TRUE(m.ApplyConfig(cfg(true)).ok());
  ASSERT_TRUE(WaitFor([&] { return !Samples("ma").empty() && !Samples("mb").empty(); }));
  std::shared_ptr<const ScrapeLoop> loop_a;
  for (const auto& t : m.ActiveTargets()) {
    if (t.scrape_url.find(std::to_string(a.port())) != std::string::npos) loop_a = t.loop;
  }
  ASSERT_TRUE(m.ApplyConfig(cfg(false)).ok());
  // Discovery reports the job's new static groups from its own thread, soon.
  ASSERT_TRUE(WaitFor([&] { return m.ActiveTargets().size() == 1; }));
  std::vector<ActiveTargetInfo> t = m.ActiveTargets();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].loop, loop_a);  // same loop object: cache and staleness state kept
  // b ends with stale markers about one interval (+10%) after its next slot.
  ASSERT_TRUE(WaitFor([&] {
    auto s = Samples("mb");
    return !s.empty() && storage::IsStaleNaN(s.back().v);
  }));
  EXPECT_FALSE(storage::IsStaleNaN(Samples("ma").back().v));
}

TEST_F(ScrapeManagerTest, DroppedTargetsAndRelabelingFromConfig) {
  testutil::FakeHttpServer a([](const FakeRequest&) { return Text("keep_me 1\ndrop_me 2\n"); });
  ScrapeManager m(db_.get(), {.workers = 2});
  ASSERT_TRUE(m.ApplyConfig(Parse(absl::StrCat(R"(
scrape_configs:
  - job_name: j
    scrape_interval: 1s
    scrape_timeout: 500ms
    static_configs:
      - targets: ['127.0.0.1:)", a.port(), R"(', 'dropped.example:80']
    relabel_configs:
      - source_labels: [__address__]
        regex: 'dropped.*'
        action: drop
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: drop_me
        action: drop
)"))).ok());
  ASSERT_TRUE(WaitFor([&] { return !Samples("keep_me").empty(); }));
  EXPECT_TRUE(Samples("drop_me").empty());
  ASSERT_EQ(m.DroppedTargets().size(), 1u);
  EXPECT_EQ(m.DroppedTargets()[0].discovered_labels.Get("__address__"), "dropped.example:80");
  EXPECT_EQ(m.ActiveTargets().size(), 1u);
}

TEST_F(ScrapeManagerTest, StopWritesNoStaleMarkers) {
  testutil::FakeHttpServer a([](const FakeRequest&) { return Text("m 1\n"); });
  auto m = std::make_unique<ScrapeManager>(db_.get(), ScrapeManagerOptions{.workers = 1});
  ASSERT_TRUE(m->ApplyConfig(Parse(absl::StrCat(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 1s\n    scrape_timeout: 500ms\n"
      "    static_configs:\n      - targets: ['127.0.0.1:", a.port(), "']\n"))).ok());
  ASSERT_TRUE(WaitFor([&] { return !Samples("m").empty(); }));
  m->Stop();
  m.reset();
  for (const storage::Sample& s : Samples("m")) EXPECT_FALSE(storage::IsStaleNaN(s.v));
}

TEST(ScrapeManagerSlotTest, NextSlotIsAlignedToAbsoluteTime) {
  const absl::Time now = absl::FromUnixMillis(10'250);
  EXPECT_EQ(NextSlot(now, absl::Seconds(1), 300'000'000), absl::FromUnixMillis(10'300));
  EXPECT_EQ(NextSlot(now, absl::Seconds(1), 100'000'000), absl::FromUnixMillis(11'100));
  EXPECT_EQ(NextSlot(absl::FromUnixMillis(10'300), absl::Seconds(1), 300'000'000),
            absl::FromUnixMillis(11'300));
}

}  // namespace
}  // namespace tally::server::scrape
