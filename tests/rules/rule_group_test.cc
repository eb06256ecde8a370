// RuleGroup, RecordingRule and AlertingRule over a real DB through LocalBackend: rule
// ordering, staleness, duplicate and limit errors, the alert state machine (for,
// keep_firing_for, resolved retention, resends), ALERTS / ALERTS_FOR_STATE and restore.
// Expected behaviour follows Prometheus 2.42's rules/group.go and rules/alerting.go.
#include "rules/rule_group.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rules/group_hash.h"
#include "rules/local_backend.h"
#include "rules/recording_rule.h"
#include "tests/testutil/temp_dir.h"

namespace tally::rules {
namespace {

constexpr int64_t kMin = 60'000;

class RuleGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    backend_ = std::make_unique<LocalBackend>(db_.get(), promql::QueryOptions{});
  }

  void Add(const storage::Labels& l, int64_t t_ms, double v) {
    auto app = db_->NewAppender();
    ASSERT_TRUE(app->Append(l, t_ms, v).ok());
    ASSERT_TRUE(app->Commit().ok());
  }

  std::vector<storage::Sample> Samples(const std::string& metric) {
    auto all = testutil::QueryAll(db_.get(), testutil::MakeMatchers({{"=", "__name__", metric}}));
    return all.empty() ? std::vector<storage::Sample>{} : all[0].second;
  }
  std::vector<std::pair<std::string, std::vector<storage::Sample>>> All(
      const std::string& metric) {
    return testutil::QueryAll(db_.get(), testutil::MakeMatchers({{"=", "__name__", metric}}));
  }

  std::unique_ptr<Rule> Record(const std::string& name, const std::string& expr,
                               std::vector<std::pair<std::string, std::string>> labels = {}) {
    RuleSpec s;
    s.record = name;
    s.expr = expr;
    s.labels = std::move(labels);
    return *RecordingRule::Create(s);
  }
  std::unique_ptr<AlertingRule> AlertRule(const std::string& name, const std::string& expr,
                                          int64_t for_ms = 0, int64_t keep_ms = 0,
                                          bool restored = true) {
    RuleSpec s;
    s.alert = name;
    s.expr = expr;
    s.for_ms = for_ms;
    s.keep_firing_for_ms = keep_ms;
    s.labels = {{"severity", "page"}};
    return *AlertingRule::Create(s, AlertingRuleEnv{}, restored);
  }
  std::unique_ptr<RuleGroup> Group(std::vector<std::unique_ptr<Rule>> rules, int64_t limit = 0,
                                   NotifyFunc notify = nullptr) {
    RuleGroupOptions o;
    o.backend = backend_.get();
    o.notify = std::move(notify);
    o.for_state = [this](const storage::Labels& l, int64_t mint, int64_t maxt) {
      return backend_->LastSample(l, mint, maxt);
    };
    return std::make_unique<RuleGroup>("g", "f.yml", absl::Minutes(1), limit, std::move(rules),
                                       o, false);
  }
  static absl::Time T(int64_t ms) { return absl::FromUnixMillis(ms); }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
  std::unique_ptr<LocalBackend> backend_;
};

TEST_F(RuleGroupTest, RecordingRuleRenamesAndOverridesLabels) {
  Add({{"__name__", "x"}, {"job", "a"}, {"env", "dev"}}, 0, 3);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(Record("job:x", "x * 2", {{"env", "prod"}}));
  auto g = Group(std::move(rules));
  g->Eval(T(kMin));
  auto all = All("job:x");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].first, R"({__name__="job:x", env="prod", job="a"})");
  ASSERT_EQ(all[0].second.size(), 1u);
  EXPECT_EQ(all[0].second[0].t_ms, kMin);
  EXPECT_EQ(all[0].second[0].v, 6);
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kGood);
}

TEST_F(RuleGroupTest, LaterRuleSeesEarlierResultOfSameEvaluation) {
  Add({{"__name__", "x"}}, 0, 1);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(Record("r1", "x + 1"));
  rules.push_back(Record("r2", "r1 * 10"));
  auto g = Group(std::move(rules));
  g->Eval(T(kMin));
  auto r2 = Samples("r2");
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].v, 20);
}

TEST_F(RuleGroupTest, DisappearedSeriesGetStaleMarker) {
  Add({{"__name__", "x"}}, 0, 10);
  Add({{"__name__", "x"}}, kMin, 1);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(Record("big", "x > 5"));
  auto g = Group(std::move(rules));
  g->Eval(T(0));
  g->Eval(T(kMin));
  auto s = Samples("big");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].v, 10);
  EXPECT_EQ(s[1].t_ms, kMin);
  EXPECT_TRUE(storage::IsStaleNaN(s[1].v));
}

TEST_F(RuleGroupTest, FailedRuleKeepsSeriesAndReportsError) {
  Add({{"__name__", "x"}, {"a", "1"}}, 0, 1);
  Add({{"__name__", "y"}, {"a", "1"}}, 0, 2);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(Record("r", R"({__name__=~"x|y"})"));
  auto g = Group(std::move(rules));
  g->Eval(T(0));
  RuleStatus st = g->rules()[0]->status();
  EXPECT_EQ(st.health, RuleHealth::kBad);
  EXPECT_EQ(st.last_error,
            "vector contains metrics with the same labelset after applying rule labels");
  EXPECT_TRUE(All("r").empty());
}

TEST_F(RuleGroupTest, RecordingLimit) {
  Add({{"__name__", "x"}, {"a", "1"}}, 0, 1);
  Add({{"__name__", "x"}, {"a", "2"}}, 0, 1);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(Record("r", "x"));
  auto g = Group(std::move(rules), /*limit=*/1);
  g->Eval(T(0));
  EXPECT_EQ(g->rules()[0]->status().last_error, "exceeded limit of 1 with 2 series");
}

TEST_F(RuleGroupTest, AlertGoesPendingFiringResolved) {
  for (int i = 0; i <= 3; ++i) Add({{"__name__", "x"}, {"job", "a"}}, i * kMin, 5);
  Add({{"__name__", "x"}, {"job", "a"}}, 4 * kMin, 0);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("High", "x > 1", 2 * kMin));
  auto g = Group(std::move(rules));
  auto* ar = static_cast<AlertingRule*>(g->rules()[0].get());

  g->Eval(T(0));
  ASSERT_EQ(ar->ActiveAlerts().size(), 1u);
  EXPECT_EQ(ar->State(), AlertState::kPending);
  EXPECT_EQ(ar->ActiveAlerts()[0].labels.ToString(),
            R"({alertname="High", job="a", severity="page"})");
  g->Eval(T(kMin));
  EXPECT_EQ(ar->State(), AlertState::kPending);
  g->Eval(T(2 * kMin));  // ts - activeAt >= for
  EXPECT_EQ(ar->State(), AlertState::kFiring);
  g->Eval(T(3 * kMin));
  g->Eval(T(4 * kMin));  // x = 0: resolved
  EXPECT_EQ(ar->State(), AlertState::kInactive);
  EXPECT_TRUE(ar->ActiveAlerts().empty());
  ASSERT_EQ(ar->CurrentAlerts().size(), 1u);  // kept for resending
  EXPECT_EQ(ar->CurrentAlerts()[0].resolved_at, T(4 * kMin));

  auto alerts = All("ALERTS");
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].first,
            R"({__name__="ALERTS", alertname="High", alertstate="firing", job="a", severity="page"})");
  // firing at 2m and 3m, stale at 4m.
  ASSERT_EQ(alerts[0].second.size(), 3u);
  EXPECT_TRUE(storage::IsStaleNaN(alerts[0].second[2].v));
  // pending at 0 and 1m, stale once it turned firing at 2m.
  ASSERT_EQ(alerts[1].second.size(), 3u);
  EXPECT_EQ(alerts[1].second[1].v, 1);
  EXPECT_TRUE(storage::IsStaleNaN(alerts[1].second[2].v));
  EXPECT_EQ(alerts[1].second[2].t_ms, 2 * kMin);
  auto fs = Samples("ALERTS_FOR_STATE");
  ASSERT_EQ(fs.size(), 5u);
  EXPECT_EQ(fs[0].v, 0);  // activeAt in Unix seconds
  EXPECT_TRUE(storage::IsStaleNaN(fs[4].v));
}

TEST_F(RuleGroupTest, ResolvedAlertDroppedAfterRetention) {
  Add({{"__name__", "x"}}, 0, 5);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("A", "x > 1"));
  auto g = Group(std::move(rules));
  auto* ar = static_cast<AlertingRule*>(g->rules()[0].get());
  g->Eval(T(0));           // firing at once (for: 0)
  EXPECT_EQ(ar->State(), AlertState::kFiring);
  g->Eval(T(10 * kMin));   // x is beyond the 5m lookback: resolved
  EXPECT_EQ(ar->CurrentAlerts().size(), 1u);
  g->Eval(T(25 * kMin));   // exactly 15m after resolve: still kept (> 15m drops)
  EXPECT_EQ(ar->CurrentAlerts().size(), 1u);
  g->Eval(T(26 * kMin));
  EXPECT_TRUE(ar->CurrentAlerts().empty());
}

TEST_F(RuleGroupTest, KeepFiringFor) {
  Add({{"__name__", "x"}}, 0, 5);
  Add({{"__name__", "x"}}, kMin, 0);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("A", "x > 1", 0, 2 * kMin));
  auto g = Group(std::move(rules));
  auto* ar = static_cast<AlertingRule*>(g->rules()[0].get());
  g->Eval(T(0));
  g->Eval(T(kMin));      // condition gone: keeps firing (since 1m)
  EXPECT_EQ(ar->State(), AlertState::kFiring);
  g->Eval(T(2 * kMin));  // 1m < 2m: still firing
  EXPECT_EQ(ar->State(), AlertState::kFiring);
  g->Eval(T(3 * kMin));  // 2m >= keep_firing_for: resolved
  EXPECT_EQ(ar->State(), AlertState::kInactive);
}

TEST_F(RuleGroupTest, PendingAlertThatVanishesIsDeleted) {
  Add({{"__name__", "x"}}, 0, 5);
  Add({{"__name__", "x"}}, kMin, 0);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("A", "x > 1", 5 * kMin));
  auto g = Group(std::move(rules));
  auto* ar = static_cast<AlertingRule*>(g->rules()[0].get());
  g->Eval(T(0));
  EXPECT_EQ(ar->State(), AlertState::kPending);
  g->Eval(T(kMin));
  EXPECT_TRUE(ar->CurrentAlerts().empty());
}

TEST_F(RuleGroupTest, NotifiesFiringEveryResendDelayAndResolvedOnce) {
  for (int i = 0; i <= 3; ++i) Add({{"__name__", "x"}}, i * kMin, 5);
  Add({{"__name__", "x"}}, 4 * kMin, 0);
  std::vector<std::pair<int64_t, Alert>> sent;
  int64_t now_ms = 0;
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("A", "x > 1"));
  auto g = Group(std::move(rules), 0, [&](const std::string& expr, const std::vector<Alert>& as) {
    EXPECT_EQ(expr, "x > 1");
    for (const Alert& a : as) sent.push_back({now_ms, a});
  });
  for (int64_t t : {0LL, 30'000LL, 60'000LL, 90'000LL, 120'000LL, 240'000LL, 270'000LL}) {
    now_ms = t;
    g->Eval(T(t));
  }
  // Prometheus compat: resend when lastSentAt + 1m is *before* ts: 0, 90s (not 60s), then
  // the resolve at 240s; nothing at 270s.
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].first, 0);
  EXPECT_EQ(sent[0].second.valid_until, T(4 * kMin));  // ts + 4 * max(resend 1m, interval 1m)
  EXPECT_EQ(sent[1].first, 90'000);
  EXPECT_EQ(sent[2].first, 240'000);
  EXPECT_EQ(sent[2].second.resolved_at, T(240'000));
}

TEST_F(RuleGroupTest, DuplicateAlertLabelsetIsAnError) {
  Add({{"__name__", "x"}, {"a", "1"}}, 0, 5);
  Add({{"__name__", "y"}, {"a", "1"}}, 0, 5);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("A", R"({__name__=~"x|y"})"));
  auto g = Group(std::move(rules));
  g->Eval(T(0));
  EXPECT_EQ(g->rules()[0]->status().last_error,
            "vector contains metrics with the same labelset after applying alert labels");
}

TEST_F(RuleGroupTest, UnrestoredRuleWritesNoAlertsSeries) {
  Add({{"__name__", "x"}}, 0, 5);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("A", "x > 1", 0, 0, /*restored=*/false));
  auto g = Group(std::move(rules));
  g->Eval(T(0));
  EXPECT_TRUE(All("ALERTS").empty());
  static_cast<AlertingRule*>(g->rules()[0].get())->SetRestored(true);
  g->Eval(T(kMin));
  EXPECT_EQ(All("ALERTS").size(), 1u);
}

TEST_F(RuleGroupTest, RestoreForStateShiftsActiveAtByDowntime) {
  // Before the "restart": the alert was pending since t=0 with for=30m, last written at 10m.
  const int64_t down_ms = 10 * kMin;
  Add({{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "A"}, {"severity", "page"}}, down_ms, 0);
  for (int i = 0; i <= 40; ++i) Add({{"__name__", "x"}}, i * kMin, 5);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("A", "x > 1", 30 * kMin, 0, /*restored=*/false));
  auto g = Group(std::move(rules));
  auto* ar = static_cast<AlertingRule*>(g->rules()[0].get());
  const int64_t restart_ms = 20 * kMin;
  g->Eval(T(restart_ms));
  g->RestoreForState(T(restart_ms));
  ASSERT_EQ(ar->ActiveAlerts().size(), 1u);
  // 10m spent pending, 20m remaining >= grace 10m: activeAt moves by the 10m downtime.
  EXPECT_EQ(ar->ActiveAlerts()[0].active_at, T(10 * kMin));
  EXPECT_TRUE(ar->restored());
  g->Eval(T(39 * kMin));
  EXPECT_EQ(ar->State(), AlertState::kPending);
  g->Eval(T(40 * kMin));
  EXPECT_EQ(ar->State(), AlertState::kFiring);
}

TEST_F(RuleGroupTest, RestoreWithinGracePeriodFiresAfterGrace) {
  // for=30m, pending since 0, down at 25m: 5m remaining < 10m grace -> fires at ts + 10m.
  Add({{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "A"}, {"severity", "page"}}, 25 * kMin, 0);
  for (int i = 25; i <= 50; ++i) Add({{"__name__", "x"}}, i * kMin, 5);
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(AlertRule("A", "x > 1", 30 * kMin, 0, false));
  auto g = Group(std::move(rules));
  auto* ar = static_cast<AlertingRule*>(g->rules()[0].get());
  g->Eval(T(30 * kMin));
  g->RestoreForState(T(30 * kMin));
  EXPECT_EQ(ar->ActiveAlerts()[0].active_at, T(30 * kMin + 10 * kMin - 30 * kMin));
}

TEST_F(RuleGroupTest, CopyStateKeepsAlertsOfUnchangedRules) {
  Add({{"__name__", "x"}}, 0, 5);
  std::vector<std::unique_ptr<Rule>> a;
  a.push_back(AlertRule("A", "x > 1", 10 * kMin));
  a.push_back(Record("gone", "x"));
  auto g1 = Group(std::move(a));
  g1->Eval(T(0));
  std::vector<std::unique_ptr<Rule>> b;
  b.push_back(AlertRule("A", "x > 1", 10 * kMin));
  auto g2 = Group(std::move(b));
  EXPECT_FALSE(g2->Equals(*g1));
  g2->CopyState(*g1);
  auto* ar = static_cast<AlertingRule*>(g2->rules()[0].get());
  ASSERT_EQ(ar->ActiveAlerts().size(), 1u);
  EXPECT_EQ(ar->ActiveAlerts()[0].active_at, T(0));
  g2->Eval(T(kMin));  // the removed rule's series is marked stale
  auto gone = Samples("gone");
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_TRUE(storage::IsStaleNaN(gone[1].v));
}

TEST(GroupHashTest, XxHash64KnownValues) {
  EXPECT_EQ(XxHash64(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(XxHash64("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(XxHash64("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(XxHash64("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ULL);
}

TEST(GroupHashTest, EvalTimestampIsAlignedToTheGroupOffset) {
  RuleGroupOptions o;
  RuleGroup g("g", "/f.yml", absl::Seconds(15), 0, {}, o, false);
  const int64_t iv = absl::ToInt64Nanoseconds(absl::Seconds(15));
  const int64_t offset = static_cast<int64_t>(GroupHash("/f.yml", "g") % iv);
  for (int64_t now : {int64_t{1'700'000'000'123'456'789}, int64_t{1'700'000'007'000'000'000}}) {
    const int64_t ts = absl::ToUnixNanos(g.EvalTimestamp(absl::FromUnixNanos(now)));
    EXPECT_EQ((ts - offset) % iv, 0);
    EXPECT_LE(ts, now);
    EXPECT_GT(ts, now - iv);
  }
}

}  // namespace
}  // namespace tally::rules

namespace tally::rules {
namespace {

TEST_F(RuleGroupTest, TemplatesInLabelsAndAnnotations) {
  Add({{"__name__", "cost"}, {"app", "chatbot"}}, 0, 1234.5);
  RuleSpec s;
  s.alert = "Cost";
  s.expr = "cost > 100";
  s.labels = {{"team", "{{ $labels.app }}-oncall"}, {"tier", "{{ if gt $value 1000.0 }}high{{ else }}low{{ end }}"}};
  s.annotations = {{"summary", "{{ $labels.app }} spent {{ $value | humanize }} in {{ $externalLabels.cluster }}"},
                   {"url", "{{ $externalURL }}/x"},
                   {"broken", "{{ index $labels 3 }}"}};  // fails when executed
  AlertingRuleEnv env{storage::Labels{{"cluster", "prod"}}, "http://tally:9090"};
  std::vector<std::unique_ptr<Rule>> rules;
  rules.push_back(*AlertingRule::Create(s, env, true));
  auto g = Group(std::move(rules));
  g->Eval(T(0));
  auto* ar = static_cast<AlertingRule*>(g->rules()[0].get());
  ASSERT_EQ(ar->ActiveAlerts().size(), 1u);
  const Alert a = ar->ActiveAlerts()[0];
  EXPECT_EQ(a.labels.ToString(),
            R"({alertname="Cost", app="chatbot", team="chatbot-oncall", tier="high"})");
  EXPECT_EQ(a.annotations.Get("summary"), "chatbot spent 1.234k in prod");
  EXPECT_EQ(a.annotations.Get("url"), "http://tally:9090/x");
  // Prometheus compat: an expansion error becomes the value; the rule stays healthy.
  // (Text recorded from promtool test rules 2.42 on the same template.)
  EXPECT_EQ(a.annotations.Get("broken"),
            "<error expanding template: error executing template __alert_Cost: template: "
            "__alert_Cost:1:115: executing \"__alert_Cost\" at <index $labels 3>: error calling "
            "index: value has type int; should be string>");
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kGood);
  // ALERTS carries the expanded labels.
  auto alerts = All("ALERTS");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].first,
            R"({__name__="ALERTS", alertname="Cost", alertstate="firing", app="chatbot", team="chatbot-oncall", tier="high"})");
}

}  // namespace
}  // namespace tally::rules
