#include "tools/sim/llm_cost_generator.h"

#include <bit>
#include <cmath>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/ingest/text_parser.h"
#include "storage/model/sample.h"

namespace tally::sim {
namespace {

using storage::TextEntry;
using storage::TextFormat;

std::string Generate(const LlmCostOptions& o) {
  std::string out;
  absl::Status s = WriteLlmCostData(o, [&](absl::string_view p) {
    out.append(p.data(), p.size());
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

LlmCostOptions Small(TextFormat f) {
  LlmCostOptions o;
  o.seed = 7;
  o.hours = 0.5;
  o.series_scale = 2;
  o.format = f;
  return o;
}

TEST(LlmCostGeneratorTest, DeterministicForASeed) {
  const std::string a = Generate(Small(TextFormat::kOpenMetrics));
  EXPECT_EQ(a, Generate(Small(TextFormat::kOpenMetrics)));
  LlmCostOptions other = Small(TextFormat::kOpenMetrics);
  other.seed = 8;
  EXPECT_NE(a, Generate(other));
}

// Parses the output with the ingest parser and checks shape: every series in time order,
// counts as promised, counters monotonic except at resets, histograms cumulative.
void CheckShape(TextFormat f) {
  const LlmCostOptions o = Small(f);
  const std::string text = Generate(o);
  storage::TextParser p(text, f);
  absl::flat_hash_map<std::string, std::vector<storage::Sample>> series;
  std::map<std::string, std::string> types;
  int64_t samples = 0;
  while (true) {
    absl::StatusOr<TextEntry> e = p.Next();
    ASSERT_TRUE(e.ok()) << e.status();
    if (*e == TextEntry::kEnd) break;
    if (*e == TextEntry::kType) types[std::string(p.family())] = storage::MetricTypeString(p.type());
    if (*e != TextEntry::kSample) continue;
    ASSERT_TRUE(p.has_timestamp());
    series[p.BuildLabels().ToString()].push_back({p.timestamp_ms(), p.value()});
    ++samples;
  }
  EXPECT_EQ(static_cast<int64_t>(series.size()), LlmCostSeriesPerInstance() * 2);
  EXPECT_EQ(samples, LlmCostSampleCount(o));
  EXPECT_EQ(samples, static_cast<int64_t>(series.size()) * 120);  // 30 min at 15 s
  for (const auto& [name, s] : series) {
    for (size_t i = 1; i < s.size(); ++i) {
      ASSERT_GT(s[i].t_ms, s[i - 1].t_ms) << name;
      EXPECT_LE(std::abs(s[i].t_ms - s[i - 1].t_ms - 15'000), 6) << name;
    }
  }
  // The guide's names exist; the cost counter grows.
  const std::string cost = series.begin()->first;
  int found = 0;
  for (const auto& [name, s] : series) {
    if (absl::StrContains(name, "llm_cost_tracker_total_cost_usd") &&
        absl::StrContains(name, "gpt-4o-mini") && absl::StrContains(name, "chatbot") &&
        absl::StrContains(name, "tracker-0")) {
      ++found;
      EXPECT_GT(s.back().v, s.front().v);
      for (size_t i = 1; i < s.size(); ++i) EXPECT_GE(s[i].v, s[i - 1].v);
    }
  }
  EXPECT_EQ(found, 1);
  EXPECT_EQ(types.count("llm_cost_tracker_request_duration_seconds"), 1u);
  EXPECT_EQ(types["llm_cost_tracker_request_duration_seconds"], "histogram");
  EXPECT_EQ(types["llm_cost_tracker_cost_per_request"], "summary");
  if (f == TextFormat::kOpenMetrics) {
    EXPECT_EQ(types["llm_cost_tracker_requests"], "counter");
  } else {
    EXPECT_EQ(types["llm_cost_tracker_requests_total"], "counter");
    EXPECT_EQ(types["llm_cost_tracker_total_cost_usd"], "counter");
  }
}

TEST(LlmCostGeneratorTest, OpenMetricsParsesAndHasRealisticShape) {
  CheckShape(TextFormat::kOpenMetrics);
}
TEST(LlmCostGeneratorTest, PrometheusTextParsesAndHasRealisticShape) {
  CheckShape(TextFormat::kPrometheus);
}

TEST(LlmCostGeneratorTest, CountersResetWhenAnInstanceRestarts) {
  LlmCostOptions o = Small(TextFormat::kPrometheus);
  o.hours = 48;
  o.series_scale = 1;
  o.step_ms = 300'000;  // restarts come about every 6 h of simulated time at any step
  const std::string text = Generate(o);
  storage::TextParser p(text, TextFormat::kPrometheus);
  double prev = -1;
  std::string prev_series;
  int resets = 0;
  while (true) {
    absl::StatusOr<TextEntry> e = p.Next();
    ASSERT_TRUE(e.ok()) << e.status();
    if (*e == TextEntry::kEnd) break;
    if (*e != TextEntry::kSample || p.metric_name() != "llm_cost_tracker_requests_total") continue;
    if (std::string(p.series_text()) == prev_series && p.value() < prev) ++resets;
    prev_series = std::string(p.series_text());
    prev = p.value();
  }
  // ~1 restart per 6 h: every request counter series sees the same restarts.
  EXPECT_GT(resets, 0);
}

TEST(LlmCostGeneratorTest, SinkErrorsStopGeneration) {
  int calls = 0;
  absl::Status s = WriteLlmCostData(Small(TextFormat::kOpenMetrics), [&](absl::string_view) {
    ++calls;
    return absl::CancelledError("stop");
  });
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(calls, 1);
  LlmCostOptions bad;
  bad.hours = 0;
  EXPECT_FALSE(WriteLlmCostData(bad, [](absl::string_view) { return absl::OkStatus(); }).ok());
}

}  // namespace
}  // namespace tally::sim
