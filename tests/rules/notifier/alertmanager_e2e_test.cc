// End to end: the Notifier delivers to a real Alertmanager 0.25 (Debian package
// prometheus-alertmanager) on 127.0.0.1, and the alerts appear in, then leave, its
// GET /api/v2/alerts. Skips when the binary is absent. Alertmanager is polled with a
// bounded deadline (it has no completion signal to wait on).
#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rules/client/http_client.h"
#include "rules/notifier/alert_json.h"
#include "rules/notifier/notifier.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::rules {
namespace {

constexpr char kAlertmanager[] = "/usr/bin/prometheus-alertmanager";

class AlertmanagerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::HaveBinary(kAlertmanager)) {
      GTEST_SKIP() << kAlertmanager << " not installed (Debian package prometheus-alertmanager)";
    }
    const std::string cfg = dir_.Sub("alertmanager.yml");
    std::ofstream(cfg) << "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n";
    port_ = testutil::FreePort();
    base_ = absl::StrCat("http://127.0.0.1:", port_);
    am_ = testutil::ChildProcess::Start(
        kAlertmanager,
        {"--config.file=" + cfg, "--storage.path=" + dir_.Sub("am-data"),
         absl::StrCat("--web.listen-address=127.0.0.1:", port_), "--cluster.listen-address="},
        dir_.Sub("alertmanager.log"));
    ASSERT_NE(am_, nullptr);
    bool ready = testutil::PollUntil(
        [&] {
          auto r = client_.Get(base_ + "/-/ready");
          return r.ok() && r->status == 200;
        },
        absl::Seconds(30));
    ASSERT_TRUE(ready) << "alertmanager did not become ready:\n" << am_->Log();
  }

  // GET /api/v2/alerts as JSON; null on failure.
  nlohmann::json Alerts() {
    auto r = client_.Get(base_ + "/api/v2/alerts");
    if (!r.ok() || r->status != 200) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  }
  static const nlohmann::json* Find(const nlohmann::json& alerts, const std::string& name) {
    if (!alerts.is_array()) return nullptr;
    for (const nlohmann::json& a : alerts) {
      if (a["labels"].value("alertname", "") == name) return &a;
    }
    return nullptr;
  }

  testutil::TempDir dir_;
  int port_ = 0;
  std::string base_;
  std::unique_ptr<testutil::ChildProcess> am_;
  HttpClient client_;
};

TEST_F(AlertmanagerE2ETest, FiringAlertsAppearAndResolvedOnesLeave) {
  NotifierOptions o;
  o.alertmanager_urls = {base_};
  o.external_labels = storage::Labels{{"cluster", "e2e"}};
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();

  const absl::Time now = absl::FromUnixMillis(absl::ToUnixMillis(absl::Now()));
  std::vector<NotifierAlert> firing;
  for (const char* name : {"BudgetExceeded", "LatencyHigh"}) {
    NotifierAlert a;
    a.labels = storage::Labels{{"alertname", name}, {"severity", "page"}};
    a.annotations = storage::Labels{{"summary", absl::StrCat(name, " on \"e2e\"")}};
    a.starts_at = now - absl::Minutes(2) + absl::Milliseconds(123);
    // Prometheus sends firing alerts with endsAt = now + 4 x resend delay.
    a.ends_at = now + absl::Minutes(4);
    a.generator_url = "http://tally.example:9090/graph?g0.expr=up&g0.tab=1";
    firing.push_back(a);
  }
  (*n)->Send(firing);

  nlohmann::json alerts;
  bool seen = testutil::PollUntil(
      [&] {
        alerts = Alerts();
        return Find(alerts, "BudgetExceeded") && Find(alerts, "LatencyHigh");
      },
      absl::Seconds(20));
  ASSERT_TRUE(seen) << "alerts never appeared; last /api/v2/alerts: " << alerts.dump()
                    << "\nnotifier errors: " << (*n)->Stats().errors_total;
  for (const NotifierAlert& want : firing) {
    const std::string name(want.labels.Get("alertname"));
    const nlohmann::json& got = *Find(alerts, name);
    EXPECT_EQ(got["labels"], nlohmann::json::parse(absl::StrCat(
                                 R"({"alertname":")", name,
                                 R"(","cluster":"e2e","severity":"page"})")))
        << got.dump();
    EXPECT_EQ(got["annotations"]["summary"], absl::StrCat(name, " on \"e2e\""));
    EXPECT_EQ(got["startsAt"], FormatRfc3339Millis(want.starts_at)) << got.dump();
    EXPECT_EQ(got["endsAt"], FormatRfc3339Millis(want.ends_at)) << got.dump();
    EXPECT_EQ(got["generatorURL"], want.generator_url);
    EXPECT_EQ(got["status"]["state"], "active") << got.dump();
  }

  // Resolved: the same alerts with endsAt in the past.
  std::vector<NotifierAlert> resolved = firing;
  for (NotifierAlert& a : resolved) a.ends_at = absl::Now() - absl::Seconds(1);
  (*n)->Send(resolved);
  bool gone = testutil::PollUntil(
      [&] {
        alerts = Alerts();
        return alerts.is_array() && !Find(alerts, "BudgetExceeded") && !Find(alerts, "LatencyHigh");
      },
      absl::Seconds(20));
  EXPECT_TRUE(gone) << "resolved alerts still listed: " << alerts.dump();

  NotifierStats s = (*n)->Stats();
  EXPECT_EQ(s.sent_total, 4);
  EXPECT_EQ(s.errors_total, 0);
  EXPECT_EQ(s.dropped_total, 0);
}

TEST_F(AlertmanagerE2ETest, MalformedAlertIsRejectedWithoutRetry) {
  // Alertmanager answers 400 to an alert without labels; the notifier must not retry it.
  NotifierOptions o;
  o.alertmanager_urls = {base_};
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({NotifierAlert{}});
  bool failed = testutil::PollUntil([&] { return (*n)->Stats().errors_total == 1; },
                                    absl::Seconds(10));
  EXPECT_TRUE(failed) << "sent_total=" << (*n)->Stats().sent_total;
  EXPECT_EQ((*n)->Stats().dropped_total, 1);
}

}  // namespace
}  // namespace tally::rules
