// One test per finding kind of the rule linter, each over a real temp storage::DB filled
// through its Appender, plus the clean variant of the same rule (which must report nothing).
#include "rules/lint/rule_linter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testutil/temp_dir.h"

namespace tally::rules::lint {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kStart = 1'700'000'000'000;
constexpr int64_t kScrape = 15'000;
constexpr int64_t kHour = 3'600'000;

class RuleLinterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  // One sample every 15 s for an hour; value = base + slope * minutes.
  void AddSeries(storage::Labels labels, double base, double slope = 0, int64_t step = kScrape) {
    auto app = db_->NewAppender();
    for (int64_t t = kStart; t <= kStart + kHour; t += step) {
      ASSERT_TRUE(app->Append(labels, t, base + slope * (t - kStart) / 60'000.0).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  void SetType(const std::string& metric, const std::string& type) {
    ASSERT_TRUE(db_->SetMetadata(metric, storage::MetricMetadata{type, "", ""}).ok());
  }

  // Lints one group (interval 1m) of the given rules; rule i's lines are 10*i+1 (rule),
  // 10*i+2 (expr), 10*i+3 (for), 10*i+4.. (labels, then annotations).
  std::vector<Finding> LintRules(std::vector<LintRule> rules, int64_t interval_ms = 60'000) {
    LintFile f{"rules.yml", {}};
    LintGroup g{"g", 1, interval_ms, {}};
    for (size_t i = 0; i < rules.size(); ++i) {
      LintRule r = rules[i];
      r.line = static_cast<int>(10 * i + 1);
      r.expr_line = r.line + 1;
      r.expr_column = 11;
      if (r.for_ms > 0) r.for_line = r.line + 2;
      int l = r.line + 4;
      for (auto& t : r.labels) t.line = l++;
      for (auto& t : r.annotations) t.line = l++;
      g.rules.push_back(std::move(r));
    }
    f.groups.push_back(std::move(g));
    auto res = Lint({f}, db_.get(), LintOptions{});
    EXPECT_TRUE(res.ok()) << res.status();
    if (!res.ok()) return {};
    for (const Finding& x : res->findings) std::cerr << FormatFinding(x) << "\n";
    return res->findings;
  }

  static LintRule Record(std::string name, std::string expr) {
    LintRule r;
    r.kind = LintRule::Kind::kRecording;
    r.name = std::move(name);
    r.expr = std::move(expr);
    return r;
  }
  static LintRule Alert(std::string name, std::string expr, int64_t for_ms = 0) {
    LintRule r;
    r.kind = LintRule::Kind::kAlerting;
    r.name = std::move(name);
    r.expr = std::move(expr);
    r.for_ms = for_ms;
    return r;
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
};

TEST_F(RuleLinterTest, FormatsCompilerStyle) {
  EXPECT_EQ(FormatFinding(Finding{"a.yml", 12, Severity::kError, "R", "boom"}),
            "a.yml:12: error: R: boom");
  EXPECT_EQ(FormatFinding(Finding{"a.yml", 3, Severity::kWarning, "R", "hm"}),
            "a.yml:3: warning: R: hm");
}

TEST_F(RuleLinterTest, ReportsParseErrorAtItsLineAndColumn) {
  AddSeries({{"__name__", "up"}, {"job", "a"}}, 1);
  auto f = LintRules({Alert("Bad", "sum(up) by"), Alert("Good", "sum(up) by (job) < 1")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].line, 2);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].rule, "Bad");
  EXPECT_THAT(f[0].message, HasSubstr("parse error"));
  EXPECT_THAT(f[0].message, HasSubstr("column"));
}

TEST_F(RuleLinterTest, MultiLineParseErrorPointsAtTheExpressionLine) {
  AddSeries({{"__name__", "up"}, {"job", "a"}}, 1);
  auto f = LintRules({Alert("Bad", "up\n  > on(job\n 1")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_GE(f[0].line, 3);  // the error is on the expression's second or third line
  EXPECT_THAT(f[0].message, HasSubstr("parse error"));
}

TEST_F(RuleLinterTest, SelectorMatchingNothingExplained) {
  AddSeries({{"__name__", "up"}, {"job", "a"}}, 1);
  auto f = LintRules({Alert("Missing", "health_ratio < 0.95"), Alert("Ok", "up < 0.95")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "Missing");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_THAT(f[0].message, HasSubstr("always returns nothing"));
  EXPECT_THAT(f[0].message, HasSubstr("there is no metric health_ratio"));
}

TEST_F(RuleLinterTest, SelectorMatchingNothingBesideOrIsAWarning) {
  AddSeries({{"__name__", "up"}, {"job", "a"}}, 1);
  auto f = LintRules({Alert("HalfMissing", "up < 1 or helth_ratio < 0.9"),
                      Alert("Absent", "absent(helth_ratio)")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "HalfMissing");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_THAT(f[0].message, HasSubstr("helth_ratio matches no series"));
}

TEST_F(RuleLinterTest, SelectorFilteredByLabelValueExplained) {
  AddSeries({{"__name__", "up"}, {"job", "a"}}, 1);
  auto f = LintRules({Alert("Wrong", "up{job=\"b\"} < 1")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].message, HasSubstr("up exists (labels {job}) but none of its series match"));
}

TEST_F(RuleLinterTest, BinaryOperationWithNoSharedMatchGroupNamesTheLabels) {
  AddSeries({{"__name__", "cost"}, {"model", "m1"}, {"application", "a"}}, 5);
  AddSeries({{"__name__", "budget"}, {"application", "a"}, {"user", "u"}}, 10);
  auto f = LintRules({Record("app:cost:ratio", "cost / on(application, model) budget"),
                      Record("app:cost:ratio2", "cost / on(application) group_left budget")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "app:cost:ratio");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_THAT(f[0].message,
              HasSubstr("left side has {application,model} but right side has "
                        "{application,user}; no series match on (application, model)"));
  EXPECT_THAT(f[0].message, HasSubstr("model is not on the right side"));
}

// Two filters on the same series that never hold at the same step make a quiet alert, not
// a matching problem: `and` is judged on the series the filters pass through. (Before, the
// shipped ModelCostEfficiencyDegraded was reported as "no series match" because each side's
// filter had kept a different model.)
TEST_F(RuleLinterTest, DisjointFiltersOnBothSidesOfAndAreNotAFinding) {
  AddSeries({{"__name__", "eff"}, {"model", "m1"}}, 5);
  AddSeries({{"__name__", "eff"}, {"model", "m2"}}, 0.001);
  auto f = LintRules({Alert("Quiet", "(eff > 1) and eff < 0.01"),
                      Alert("Disjoint", "(eff > 1) and on(model) absent_metric_x")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "Disjoint");
}

TEST_F(RuleLinterTest, OneToOneWithoutModifiersNamesLabelsOnlyOneSideHas) {
  AddSeries({{"__name__", "errors_total"}, {"model", "m1"}, {"type", "t"}}, 1, 1);
  AddSeries({{"__name__", "requests_total"}, {"model", "m1"}, {"status", "ok"}}, 1, 10);
  SetType("errors_total", "counter");
  SetType("requests_total", "counter");
  auto f = LintRules(
      {Record("model:errors:ratio5m", "rate(errors_total[5m]) / rate(requests_total[5m])"),
       Record("model:errors:ratio5m_ok",
              "sum by (model) (rate(errors_total[5m])) / sum by (model) "
              "(rate(requests_total[5m]))")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "model:errors:ratio5m");
  EXPECT_THAT(f[0].message, HasSubstr("only the left has {type}, only the right has {status}"));
}

TEST_F(RuleLinterTest, LatentManyToManyHiddenByComparisonIsAnError) {
  // Two series per application on the left; the comparison filters both today.
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m1"}}, 1);
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m2"}}, 2);
  AddSeries({{"__name__", "budget"}, {"application", "a"}}, 10);
  auto f = LintRules({Alert("Latent", "cost > on(application) budget"),
                      Alert("Fixed", "sum by (application) (cost) > on(application) budget")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "Latent");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_THAT(f[0].message, HasSubstr("the left side has up to 2 series per match group on "
                                      "(application)"));
  EXPECT_THAT(f[0].message, HasSubstr("multiple matches for labels"));
}

TEST_F(RuleLinterTest, DuplicatesHiddenByAFilterInsideASideAreAnError) {
  // Two budget series per application, one of them 0 (filtered out by `> 0` today).
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m1"}}, 1);
  AddSeries({{"__name__", "budget"}, {"application", "a"}, {"instance", "i1"}}, 10);
  AddSeries({{"__name__", "budget"}, {"application", "a"}, {"instance", "i2"}}, 0);
  auto f = LintRules(
      {Record("app:cost:ratio", "cost / on(application) group_left() (budget > 0)"),
       Record("app:cost:ratio2",
              "cost / on(application) group_left() (max by (application) (budget) > 0)")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "app:cost:ratio");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_THAT(f[0].message, HasSubstr("the right side has up to 2 series per match group on "
                                      "(application)"));
  EXPECT_THAT(f[0].message, HasSubstr("today the filters in `(budget > 0)` remove them"));
}

TEST_F(RuleLinterTest, ManyToManyFailingTodayIsExplained) {
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m1"}}, 1);
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m2"}}, 2);
  AddSeries({{"__name__", "budget"}, {"application", "a"}, {"instance", "i1"}}, 10);
  AddSeries({{"__name__", "budget"}, {"application", "a"}, {"instance", "i2"}}, 10);
  auto f = LintRules({Record("app:cost:ratio", "cost / on(application) group_left budget")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].message, HasSubstr("evaluation fails with \"found duplicate series for the "
                                      "match group {application=\"a\"} on the right"));
  EXPECT_THAT(f[0].message, HasSubstr("the right side has up to 2 series per match group"));
}

TEST_F(RuleLinterTest, DuplicateOneSideGroupFailsEvenWhereTheOtherSideHasNoMatch) {
  // Prometheus checks the right side of group_left for duplicates before matching: budget's
  // two series for application b fail the evaluation although cost has no b.
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m1"}}, 1);
  AddSeries({{"__name__", "budget"}, {"application", "a"}}, 10);
  AddSeries({{"__name__", "budget"}, {"application", "b"}, {"instance", "i1"}}, 10);
  AddSeries({{"__name__", "budget"}, {"application", "b"}, {"instance", "i2"}}, 10);
  auto f = LintRules({Record("app:cost:ratio", "cost / on(application) group_left() budget")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0].message, HasSubstr("evaluation fails with \"found duplicate series for the "
                                      "match group {application=\"b\"}"));
  EXPECT_THAT(f[0].message, HasSubstr("the right side has up to 2 series per match group on "
                                      "(application) (e.g. {application=\"b\"}"));
}

TEST_F(RuleLinterTest, CounterFunctionsOverGaugesAndGaugeFunctionsOverCounters) {
  AddSeries({{"__name__", "cpu_ratio"}}, 0.5);
  AddSeries({{"__name__", "reqs_total"}}, 0, 60);
  SetType("cpu_ratio", "gauge");
  SetType("reqs_total", "counter");
  auto f = LintRules({Alert("RateOnGauge", "rate(cpu_ratio[5m]) > 0.7"),
                      Alert("DerivOnCounter", "deriv(reqs_total[5m]) > 1"),
                      Alert("Fine", "rate(reqs_total[5m]) > 100 or deriv(cpu_ratio[5m]) > 1")});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].rule, "RateOnGauge");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_THAT(f[0].message, HasSubstr("rate() is for counters but cpu_ratio has TYPE gauge"));
  EXPECT_EQ(f[1].rule, "DerivOnCounter");
  EXPECT_EQ(f[1].severity, Severity::kWarning);
  EXPECT_THAT(f[1].message, HasSubstr("deriv() is for gauges but reqs_total has TYPE counter"));
}

TEST_F(RuleLinterTest, HistogramQuantileWithoutLe) {
  for (const char* le : {"0.1", "1", "+Inf"}) {
    AddSeries({{"__name__", "lat_bucket"}, {"le", le}, {"model", "m"}}, 0, 10);
  }
  SetType("lat", "histogram");
  auto f = LintRules(
      {Record("model:lat:p90", "histogram_quantile(0.9, sum by (model) (rate(lat_bucket[5m])))"),
       Record("model:lat:p99",
              "histogram_quantile(0.99, sum by (le, model) (rate(lat_bucket[5m])))")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "model:lat:p90");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_THAT(f[0].message, HasSubstr("has only {model}"));
}

TEST_F(RuleLinterTest, TemplateReferencingALabelTheExpressionCannotProduce) {
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m1"}}, 1);
  LintRule bad = Alert("Bad", "sum by (application) (cost) > 0");
  bad.labels = {{"severity", "warning", 0}};
  bad.annotations = {{"summary", "{{ $labels.model }} on {{ $labels.application }}", 0}};
  LintRule good = Alert("Good", "sum by (application) (cost) > 0");
  good.annotations = {{"summary",
                       "{{ $labels.application }} {{ $labels.alertname }} "
                       "{{ $value }} {{ $labels.severity }}",
                       0}};
  good.labels = {{"severity", "warning", 0}};
  auto f = LintRules({bad, good});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "Bad");
  EXPECT_EQ(f[0].line, 6);  // the annotation's line (after one label on line 5)
  EXPECT_THAT(f[0].message, HasSubstr("annotation summary uses $labels.model"));
}

TEST_F(RuleLinterTest, TemplateLabelsFollowOnAndGroupLeftAndLabelReplace) {
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m1"}}, 1);
  AddSeries({{"__name__", "budget"}, {"application", "a"}, {"team", "t"}}, 10);
  LintRule on_only = Alert("OnOnly", "cost > on(application) budget");
  on_only.annotations = {{"d", "{{ $labels.model }}", 0}};
  LintRule group_left = Alert("GroupLeft", "cost > on(application) group_left(team) budget");
  group_left.annotations = {{"d", "{{ $labels.model }} {{ $labels.team }}", 0}};
  LintRule replaced = Alert("Replaced",
                            "label_replace(sum by (application) (cost), \"x\", \"$1\", "
                            "\"application\", \"(.*)\") > 0");
  replaced.annotations = {{"d", "{{ $labels.x }}", 0}};
  auto f = LintRules({on_only, group_left, replaced});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "OnOnly");
  EXPECT_THAT(f[0].message, HasSubstr("$labels.model, which the alert never has: its labels are "
                                      "{alertname,application}"));
}

TEST_F(RuleLinterTest, ForShorterThanGroupInterval) {
  AddSeries({{"__name__", "up"}}, 1);
  auto f = LintRules({Alert("Short", "up < 1", 30'000), Alert("Long", "up < 1", 120'000)});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "Short");
  EXPECT_EQ(f[0].line, 3);
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_THAT(f[0].message, HasSubstr("shorter than the group interval 1m"));
}

TEST_F(RuleLinterTest, RangeWindowShorterThanTwoSampleSpacings) {
  AddSeries({{"__name__", "reqs_total"}}, 0, 60);
  SetType("reqs_total", "counter");
  auto f = LintRules({Alert("Short", "rate(reqs_total[20s]) > 1000"),
                      Alert("Long", "rate(reqs_total[1m]) > 1000")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "Short");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_THAT(f[0].message, HasSubstr("whose samples are 15s apart"));
}

TEST_F(RuleLinterTest, RecordingRuleNaming) {
  AddSeries({{"__name__", "up"}, {"job", "a"}}, 1);
  auto f =
      LintRules({Record("up_sum", "sum by (job) (up)"), Record("job:up:sum", "sum by (job) (up)")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "up_sum");
  EXPECT_EQ(f[0].line, 1);
  EXPECT_THAT(f[0].message, HasSubstr("level:metric:operations"));
}

TEST_F(RuleLinterTest, LaterRulesSeeWhatRecordingRulesProduce) {
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m1"}}, 1, 1);
  AddSeries({{"__name__", "tokens"}, {"application", "a"}, {"status", "ok"}}, 1, 1);
  LintRule uses = Alert("UsesRecorded", "app:cost:sum > 0");
  uses.annotations = {{"d", "{{ $labels.application }} {{ $labels.agg }}", 0}};
  LintRule rec = Record("app:cost:sum", "sum by (application) (cost)");
  rec.labels = {{"agg", "sum", 0}};
  auto f = LintRules({rec, uses, Record("app:cost:per_token", "cost / tokens"),
                      Alert("UsesEmptyRecorded", "app:cost:per_token > 1")});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].rule, "app:cost:per_token");
  EXPECT_EQ(f[1].rule, "UsesEmptyRecorded");
  EXPECT_THAT(f[1].message,
              HasSubstr("app:cost:per_token comes from the recording rule at rules.yml:21, "
                        "which produces nothing on this data"));
}

TEST_F(RuleLinterTest, RulesSeeSeriesRecordedByLaterGroupsAndFiles) {
  AddSeries({{"__name__", "cost"}, {"application", "a"}, {"model", "m1"}}, 1, 1);
  LintRule alert = Alert("UsesRecorded", "app:cost:sum > 0");
  alert.line = 3;
  LintRule derived = Record("app:cost:double", "app:cost:sum * 2");
  derived.line = 4;
  LintRule rec = Record("app:cost:sum", "sum by (application) (cost)");
  rec.line = 3;
  LintFile alerts{"alerts.yml", {LintGroup{"a", 1, 60'000, {alert, derived}}}};
  LintFile recording{"recording.yml", {LintGroup{"r", 1, 60'000, {rec}}}};
  auto res = Lint({alerts, recording}, db_.get(), LintOptions{});
  ASSERT_TRUE(res.ok()) << res.status();
  for (const Finding& x : res->findings) ADD_FAILURE() << FormatFinding(x);
  EXPECT_EQ(res->rules, 3);
}

TEST_F(RuleLinterTest, WindowIsBoundedByTheNumberOfSteps) {
  AddSeries({{"__name__", "up"}, {"job", "a"}}, 1);
  LintRule r = Alert("Fast", "up < 1");
  LintFile f{"rules.yml", {LintGroup{"g", 1, 10, {r}}}};  // a 10ms interval
  auto res = Lint({f}, db_.get(), LintOptions{});
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->end_ms - res->start_ms, kMaxSteps * 10);
  EXPECT_TRUE(res->findings.empty());
}

TEST_F(RuleLinterTest, RecordedRateIsAGaugeForLaterRate) {
  AddSeries({{"__name__", "reqs_total"}}, 0, 60);
  SetType("reqs_total", "counter");
  auto f = LintRules({Record("job:reqs:rate5m", "rate(reqs_total[5m])"),
                      Alert("RateOfRate", "rate(job:reqs:rate5m[5m]) > 1")});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "RateOfRate");
  EXPECT_THAT(f[0].message, HasSubstr("job:reqs:rate5m is recorded by `rate(reqs_total[5m])`"));
}

}  // namespace
}  // namespace tally::rules::lint
