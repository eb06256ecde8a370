// LlmCostLive: the LLM Cost Tracker model (llm_cost_model.h) as a running application, for
// `tally simulate`. It keeps every counter and gauge of the series the batch generator
// writes (same families, names, labels, prices, draws, restarts and diurnal curve; the
// per-step draws and random streams are the generator's) and advances them scrape step by
// scrape step as wall time passes: for the same seed, start and step, the values after N
// steps are the generator's N-th samples, so a live simulator started at the end of a
// generated history could continue its counters across the seam.
//
// Not thread-safe: one owner advances it and takes snapshots (the simulator guards it
// with a mutex). Memory is O(series).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/sim/llm_cost_generator.h"
#include "tools/sim/llm_cost_model.h"

namespace tally::sim {

struct LiveSeries {
  std::string name;  // series name, e.g. llm_cost_tracker_request_duration_seconds_bucket
  std::vector<std::pair<std::string, std::string>> labels;  // in exposition order
  double value = 0;
};

struct LiveFamily {
  std::string name;  // as in the Prometheus text format's # TYPE line
  std::string type;  // counter, gauge, histogram or summary
  std::string help;
  std::vector<LiveSeries> series;
};

class LlmCostLive {
 public:
  // options.start_ms is the first scrape (aligned down to step_ms); hours and format are
  // ignored. Nothing is drawn until AdvanceTo().
  explicit LlmCostLive(const LlmCostOptions& options);

  // Applies every scrape step whose grid time is <= t_ms and not yet applied; returns how
  // many it applied (0 when t_ms is before the next step).
  int64_t AdvanceTo(int64_t t_ms);

  // Continues with another scrape step from the next multiple of step_ms on: a history
  // written at a coarse step (a 7-day backfill at 60s) is replayed at its own step, then
  // the live simulator goes on at the scrape interval with the same counters. Restarts,
  // rates and draws follow the new step from then on.
  void ContinueWithStep(int64_t step_ms);

  // Steps applied so far, and the scrape time of the last one (-1 before the first).
  int64_t steps() const { return next_step_; }
  int64_t last_scrape_ms(int instance = 0) const;

  // The current value of every series, family by family in the generator's order.
  std::vector<LiveFamily> Snapshot() const;

  // Snapshot() in the Prometheus text format 0.0.4, without timestamps.
  std::string RenderText() const;

  // The seed's /health and /health/detailed bodies (JSON). A provider is "degraded" while
  // its last step's error ratio is above 5% or its mean latency above 2 s; the service is
  // "degraded" when any provider is. /health/detailed adds the database, cache and budget
  // engine and one entry per LLM provider.
  std::string HealthJson(bool detailed, int64_t now_ms) const;
  // The guide's component checks: "database", "providers", "cache" or "budget-engine"
  // (/health/<component>): {"status", "timestamp", "component", "details"}; "" if unknown.
  std::string ComponentHealthJson(absl::string_view component, int64_t now_ms) const;

 private:
  // Counters of one (model, application) of one instance.
  struct Combo {
    double cost = 0, success = 0, errors = 0, prompt = 0, completion = 0;
    // Per user_id (options.users > 0): cost, success, errors, prompt, completion.
    std::vector<std::array<double, 5>> user;
    std::vector<double> bucket;  // cumulative le counts, +Inf last
    std::vector<double> token_bucket;
    double tokens_sum = 0;
    double latency_sum = 0, summary_sum = 0, summary_count = 0;
    std::vector<double> cost_quantile;  // last step's
  };
  struct Instance {
    std::vector<Combo> combos;           // model * kNumApps + app
    std::vector<double> errors;          // model * 4 + error type
    std::vector<double> cost_rate;       // per model, smoothed USD/hour
    std::vector<double> spent;           // per application, today (UTC)
    std::vector<double> memory;          // per component
    std::vector<model::Rng> memory_rng;  // per component, one stream per series
    std::vector<double> gauges;          // the six instance gauges, generator order
    std::vector<model::Rng> gauge_rng;
    std::vector<double> health;  // check * 2 + (0 success, 1 failure)
    double health_ratio = 1;
    double db_query_sum = 0, db_query_count = 0, db_slow = 0;
    int64_t last_scrape_ms = -1;
  };
  void Step(int64_t step);

  LlmCostOptions o_;
  int64_t grid_start_ms_ = 0;  // time of step 0 of the current step size (may be virtual)
  int64_t next_step_ = 0;
  std::vector<Instance> instances_;
  // Last step's totals over all series, for the health endpoints.
  double last_requests_ = 0, last_errors_ = 0, last_latency_sum_ = 0;
  // The same per provider (kProviders order).
  std::array<double, model::kNumProviders> provider_requests_{}, provider_errors_{},
      provider_latency_sum_{};
};

}  // namespace tally::sim
