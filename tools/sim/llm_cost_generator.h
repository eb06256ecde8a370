// A seeded generator of realistic LLM-cost monitoring data, shaped by the LLM Cost Tracker
// monitoring guide (shared/seed/monitoring-guide.md): the llm_cost_tracker_* families it
// queries (cost, requests, tokens, errors, latency and token histograms, a cost-per-request
// summary, budgets, memory/CPU/DB/cache/queue gauges, database query counters, health
// checks), per instance × model/provider × application (× user with options.users), at a
// fixed scrape interval, with a diurnal traffic curve, error bursts, scrape-timestamp
// jitter of a few milliseconds and counter resets when an instance "restarts" (~every 6 h).
//
// Output is a pure function of the options (own PRNG, no std distributions), grouped as
// exposition formats want it: family by family (HELP/TYPE/UNIT first), then series by
// series, each in time order. Series names are the guide's in both formats; in
// OpenMetrics, counters ending in `_total` are declared under their family name without it,
// and the one counter without the suffix (llm_cost_tracker_total_cost_usd) is declared
// `unknown` so the file stays valid OpenMetrics.
//
// Thread-safe (no shared state); memory is bounded (output is streamed to the sink in
// pieces of ~1 MiB; per-group caches are O(steps)).
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "storage/ingest/text_parser.h"

namespace tally::sim {

// A switch that provokes one alert of examples/llm-cost-tracker/rules/alerts.yml from
// LlmCostOptions::scenario_start_ms on: kBudgetOverrun multiplies prices by 40
// (BudgetProjectedToExceed), kLatencySpike makes requests 4x slower (HighRequestLatency),
// kTokenAnomaly makes prompts and completions 6x longer (UnusualTokenUsagePattern), kErrors
// fails 25% of requests instead of 2% (HighErrorRate).
enum class Scenario { kNone, kBudgetOverrun, kLatencySpike, kTokenAnomaly, kErrors };
// "none", "budget-overrun", "latency-spike", "token-anomaly", "errors"; false if unknown.
bool ParseScenario(absl::string_view name, Scenario* out);

struct LlmCostOptions {
  uint64_t seed = 1;
  int64_t start_ms = 1'700'000'000'000;  // first scrape (aligned down to step_ms)
  double hours = 1;                       // covered time span
  int series_scale = 1;                   // number of tracker instances (~900 series each)
  int64_t step_ms = 15'000;               // scrape interval
  storage::TextFormat format = storage::TextFormat::kOpenMetrics;
  int models = 0;        // the first N of the 6 catalogue models; 0: all
  int applications = 0;  // the first N of the 4 catalogue applications; 0: all
  int users = 0;  // 1..16: cost, request and token counters per user_id; 0: no user_id label
  Scenario scenario = Scenario::kNone;
  int64_t scenario_start_ms = 0;  // the scenario applies to scrapes at or after this time
};

// Series per instance, and samples the options produce (for progress and tests).
int64_t LlmCostSeriesPerInstance();  // all models and applications
int64_t LlmCostSeriesPerInstance(const LlmCostOptions& options);
int64_t LlmCostSampleCount(const LlmCostOptions& options);

// Streams the whole exposition to `sink`; stops at the first sink error and returns it.
// InvalidArgument for non-positive hours, scale or step.
absl::Status WriteLlmCostData(const LlmCostOptions& options,
                              const std::function<absl::Status(absl::string_view)>& sink);

}  // namespace tally::sim
