// LlmCostLive is the generator's model run step by step: after N steps its values equal the
// generator's N-th samples, series by series (same names, labels and numbers).
#include "tools/sim/llm_cost_live.h"

#include <cmath>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/ingest/text_parser.h"
#include "tools/sim/llm_cost_generator.h"

namespace tally::sim {
namespace {

// Last value of every series in a Prometheus-text exposition.
std::map<std::string, double> LastValues(const std::string& text) {
  storage::TextParser p(text, storage::TextFormat::kPrometheus);
  std::map<std::string, double> out;
  while (true) {
    absl::StatusOr<storage::TextEntry> e = p.Next();
    if (!e.ok()) {
      ADD_FAILURE() << "line " << p.line() << ": " << e.status();
      break;
    }
    if (*e == storage::TextEntry::kEnd) break;
    if (*e == storage::TextEntry::kSample) out[std::string(p.series_text())] = p.value();
  }
  return out;
}

void ExpectSameAsGenerator(LlmCostOptions o, double hours) {
  o.hours = hours;
  o.format = storage::TextFormat::kPrometheus;
  std::string gen;
  ASSERT_TRUE(WriteLlmCostData(o, [&](absl::string_view piece) {
                gen.append(piece.data(), piece.size());
                return absl::OkStatus();
              }).ok());
  const std::map<std::string, double> want = LastValues(gen);
  LlmCostLive live(o);
  const int64_t steps = static_cast<int64_t>(hours * 3600 * 1000 / o.step_ms);
  EXPECT_EQ(live.AdvanceTo(o.start_ms + (steps - 1) * o.step_ms), steps);
  const std::map<std::string, double> got = LastValues(live.RenderText());
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [series, v] : want) {
    auto it = got.find(series);
    ASSERT_NE(it, got.end()) << series;
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(it->second)) << series;
    } else {
      EXPECT_DOUBLE_EQ(it->second, v) << series;
    }
  }
}

TEST(LlmCostLiveTest, EqualsTheGeneratorAfterNSteps) {
  LlmCostOptions o;
  o.start_ms = 1'700'000'000'000;  // aligned to 15 s
  o.series_scale = 2;
  ExpectSameAsGenerator(o, 2);
}

TEST(LlmCostLiveTest, EqualsTheGeneratorWithAScenarioAndASubset) {
  LlmCostOptions o;
  o.start_ms = 1'700'000'000'000;
  o.seed = 7;
  o.models = 3;
  o.applications = 2;
  o.scenario = Scenario::kLatencySpike;
  o.scenario_start_ms = o.start_ms + 1'800'000;
  ExpectSameAsGenerator(o, 1);
}

TEST(LlmCostLiveTest, EqualsTheGeneratorWithUsers) {
  LlmCostOptions o;
  o.start_ms = 1'700'000'000'000;
  o.users = 5;
  o.models = 2;
  ExpectSameAsGenerator(o, 1);
}

// Users split a (model, application)'s requests: the per-user series sum to what the same
// seed gives without users, and the first user (Zipf weight 1) is the busiest.
TEST(LlmCostLiveTest, UsersSplitTheSameTraffic) {
  LlmCostOptions o;
  o.start_ms = 1'700'000'000'000;
  LlmCostOptions with_users = o;
  with_users.users = 4;
  LlmCostLive a(o), b(with_users);
  a.AdvanceTo(o.start_ms + 3'600'000);
  b.AdvanceTo(o.start_ms + 3'600'000);
  double total = 0, split = 0, first = 0, last = 0;
  for (const auto& [series, v] : LastValues(a.RenderText())) {
    if (absl::StartsWith(series, "llm_cost_tracker_requests_total")) total += v;
  }
  for (const auto& [series, v] : LastValues(b.RenderText())) {
    if (!absl::StartsWith(series, "llm_cost_tracker_requests_total")) continue;
    split += v;
    if (absl::StrContains(series, "user_id=\"user-1\"")) first += v;
    if (absl::StrContains(series, "user_id=\"user-4\"")) last += v;
  }
  EXPECT_GT(total, 100);
  EXPECT_EQ(split, total);
  EXPECT_GT(first, 2 * last);
}

TEST(LlmCostLiveTest, DetailedHealthHasOneEntryPerProvider) {
  LlmCostOptions o;
  o.start_ms = 1'700'000'000'000;
  o.scenario = Scenario::kLatencySpike;
  o.scenario_start_ms = o.start_ms + 600'000;
  LlmCostLive live(o);
  live.AdvanceTo(o.start_ms + 300'000);
  const std::string ok = live.HealthJson(true, o.start_ms + 300'000);
  for (const char* p : {"\"openai\": {\"status\": \"healthy\"", "\"anthropic\": {", "\"google\": {",
                        "\"together\": {", "\"database\": {", "\"cache\": {"}) {
    EXPECT_TRUE(absl::StrContains(ok, p)) << p << " in " << ok;
  }
  EXPECT_TRUE(absl::StartsWith(live.HealthJson(false, o.start_ms), "{\"status\": \"healthy\""));
  // The guide's component checks.
  EXPECT_TRUE(absl::StrContains(live.ComponentHealthJson("database", 0),
                                R"("component": "database", "details": {"status": "healthy", "connections": )"));
  EXPECT_TRUE(absl::StrContains(live.ComponentHealthJson("providers", 0), R"("openai": {)"));
  EXPECT_TRUE(absl::StrContains(live.ComponentHealthJson("budget-engine", 0),
                                "max_daily_utilization_percent"));
  EXPECT_TRUE(absl::StrContains(live.ComponentHealthJson("cache", 0), "hit_ratio"));
  EXPECT_EQ(live.ComponentHealthJson("detailed2", 0), "");
  live.AdvanceTo(o.start_ms + 900'000);  // 5 minutes into the spike
  EXPECT_TRUE(absl::StartsWith(live.HealthJson(false, o.start_ms), "{\"status\": \"degraded\""))
      << live.HealthJson(true, o.start_ms);
}

// A 60s-step history replayed, then 15s live steps: the history's last values are the
// generator's, and the counters go on from them (no reset at the seam).
TEST(LlmCostLiveTest, ContinuesACoarseHistoryAtTheScrapeInterval) {
  LlmCostOptions o;
  o.start_ms = 1'700'000'040'000;  // aligned to 60 s
  o.step_ms = 60'000;
  o.models = 2;
  ExpectSameAsGenerator(o, 2);
  LlmCostLive live(o);
  EXPECT_EQ(live.AdvanceTo(o.start_ms + 119 * 60'000), 120);
  auto requests = [&] {
    double sum = 0;
    for (const auto& [series, v] : LastValues(live.RenderText())) {
      if (absl::StartsWith(series, "llm_cost_tracker_requests_total")) sum += v;
    }
    return sum;
  };
  const double before = requests();
  live.ContinueWithStep(15'000);
  // The next 15s grid point after the last 60s step, then every 15s.
  EXPECT_EQ(live.AdvanceTo(o.start_ms + 119 * 60'000 + 14'999), 0);
  EXPECT_EQ(live.AdvanceTo(o.start_ms + 120 * 60'000 + 60'000), 5);
  EXPECT_GE(live.last_scrape_ms(), o.start_ms + 120 * 60'000 + 60'000 - 3);
  EXPECT_GT(requests(), before);
}

TEST(LlmCostLiveTest, LatencySpikeSlowsRequests) {
  LlmCostOptions o;
  o.start_ms = 1'700'000'000'000;
  o.series_scale = 4;
  LlmCostOptions spiked = o;
  spiked.scenario = Scenario::kLatencySpike;
  auto mean_latency = [](const LlmCostOptions& opt) {
    LlmCostLive live(opt);
    live.AdvanceTo(opt.start_ms + 3'600'000);
    double sum = 0, count = 0;
    for (const auto& [series, v] : LastValues(live.RenderText())) {
      if (absl::StartsWith(series, "llm_cost_tracker_request_duration_seconds_sum")) sum += v;
      if (absl::StartsWith(series, "llm_cost_tracker_request_duration_seconds_count")) count += v;
    }
    return sum / count;
  };
  // Errors (30-40 s timeouts) are unchanged, successes 4x slower.
  EXPECT_GT(mean_latency(spiked), 2.5 * mean_latency(o));
}

TEST(LlmCostLiveTest, ErrorsScenarioFailsHealthChecksBelowTheAlertThreshold) {
  LlmCostOptions o;
  o.start_ms = 1'700'000'000'000;
  LlmCostOptions failing = o;
  failing.scenario = Scenario::kErrors;
  auto ratio = [](const LlmCostOptions& opt) {
    LlmCostLive live(opt);
    live.AdvanceTo(opt.start_ms + 600'000);  // 10 minutes
    return LastValues(live.RenderText())
        ["llm_cost_tracker_health_check_success_ratio{instance=\"tracker-0:8000\",job=\"llm-cost-"
         "tracker\"}"];
  };
  EXPECT_GT(ratio(o), 0.95);  // HealthCheckFailing: ratio < 0.95 for 2m
  EXPECT_LT(ratio(failing), 0.93);
}

}  // namespace
}  // namespace tally::sim
