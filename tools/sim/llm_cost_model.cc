#include "tools/sim/llm_cost_model.h"

#include <string>
#include <utility>

namespace tally::sim::model {

Draw MakeDraw(const LlmCostOptions& o, int instance, int model, int app, int64_t step,
              int64_t t_ms) {
  Draw d;
  Rng r(Key(o.seed, instance + 1, model + 1, app + 1, step));
  const Model& m = kModels[model];
  const App& a = kApps[app];
  const double step_s = static_cast<double>(o.step_ms) / 1000;
  const double mean = kBaseRatePerSecond * m.weight * a.weight * step_s * Diurnal(t_ms);
  const int n = std::min(r.Poisson(mean), kMaxRequestsPerStep);
  std::array<double, kMaxRequestsPerStep> costs;
  int nc = 0;
  const Scenario sc = t_ms >= o.scenario_start_ms ? o.scenario : Scenario::kNone;
  const bool burst = ErrorBurst(o, instance, ProviderIndex(model), step);
  const double error_p =
      sc == Scenario::kErrors ? 0.25 : burst ? kBurstErrorP : kBackgroundErrorP;
  const double latency_x = sc == Scenario::kLatencySpike ? 6 : 1;
  // Prompts run longer in working hours (documents, code) and shorter at night: a +-25%
  // daily swing. Besides being what real traffic does, it is what keeps a 3-sigma detector
  // (UnusualTokenUsagePattern) quiet: the 24h standard deviation is then mostly this known
  // swing, not the sampling noise of a few requests an hour at night.
  const double day_frac = static_cast<double>(t_ms % 86'400'000) / 86'400'000.0;
  const double tokens_x = (sc == Scenario::kTokenAnomaly ? 6 : 1) *
                          (1 + 0.25 * std::sin(6.283185307179586 * (day_frac - 0.3)));
  const double price_x = sc == Scenario::kBudgetOverrun ? 40 : 1;
  // Users come from their own stream, so the draws without users are unchanged by them.
  const int users = NumUsers(o);
  Rng ru(Key(o.seed, 0x05e4 + instance, model + 1, app + 1, step));
  double user_weight_sum = 0;
  for (int u = 0; u < users; ++u) user_weight_sum += 1.0 / (u + 1);
  auto pick_user = [&] {
    double x = ru.Uniform() * user_weight_sum;
    for (int u = 0; u < users; ++u) {
      x -= 1.0 / (u + 1);
      if (x < 0) return u;
    }
    return users - 1;
  };
  for (int i = 0; i < n; ++i) {
    const bool error = r.Uniform() < error_p;
    const int user = users > 0 ? pick_user() : 0;
    double latency;
    if (error) {
      ++d.errors;
      ++d.user_errors[user];
      // Bursts are mostly rate limiting and provider 5xx; timeouts are the rare slow ones.
      const double tr = r.Uniform();
      const int type = tr < 0.55 ? 0 : tr < 0.65 ? 1 : tr < 0.75 ? 2 : 3;
      ++d.errors_by_type[type];
      latency = type == 1 ? 30 + 10 * r.Uniform() : 0.05 + 0.2 * r.Uniform();
    } else {
      ++d.success;
      ++d.user_success[user];
      const double pt = std::round(tokens_x * a.prompt_mean * std::exp(0.5 * r.Gauss()));
      const double ct = std::round(tokens_x * a.completion_mean * std::exp(0.6 * r.Gauss()));
      d.prompt_tokens += pt;
      d.completion_tokens += ct;
      d.user_prompt[user] += pt;
      d.user_completion[user] += ct;
      const double cost = price_x * (pt * m.price_in + ct * m.price_out);
      d.cost += cost;
      d.user_cost[user] += cost;
      costs[nc++] = cost;
      const double tokens = pt + ct;
      d.tokens_sum += tokens;
      for (int b = 0; b < kNumTokenBuckets; ++b) {
        if (b == kNumTokenLe || tokens <= kTokenLe[b]) d.token_bucket[b] += 1;
      }
      // Streaming: latency grows with the completion's length, gently. A spike slows every
      // request down; token-anomaly requests are slow only by their size.
      const double len = std::min(4.0, ct / tokens_x / a.completion_mean);
      latency = latency_x * m.latency_s * (0.7 + 0.3 * len) * std::exp(0.25 * r.Gauss());
    }
    d.latency_sum += latency;
    for (int b = 0; b < kNumBuckets; ++b) {
      if (b == kNumLe || latency <= kLe[b]) d.bucket[b] += 1;
    }
  }
  std::sort(costs.begin(), costs.begin() + nc);
  for (int q = 0; q < 3; ++q) {
    d.cost_quantile[q] =
        nc == 0 ? std::nan("") : costs[std::min(nc - 1, static_cast<int>(kQuantiles[q] * nc))];
  }
  return d;
}

DbDraw MakeDbDraw(const LlmCostOptions& o, int instance, int64_t step, int64_t t_ms) {
  Rng r(Key(o.seed, 0xdb, instance, step));
  const double step_s = static_cast<double>(o.step_ms) / 1000;
  DbDraw d;
  d.queries = r.Poisson(6 * step_s * Diurnal(t_ms));  // ~6 queries/s at peak
  d.query_seconds = std::round(d.queries * 0.012 * std::exp(0.2 * r.Gauss()) * 1e6) / 1e6;
  d.slow_queries = r.Poisson(0.002 * step_s * Diurnal(t_ms));  // alert threshold: 0.1/s
  return d;
}

int HealthProbeFailures(const LlmCostOptions& o, int instance, int check, int64_t step,
                        int64_t t_ms) {
  const bool errors = t_ms >= o.scenario_start_ms && o.scenario == Scenario::kErrors;
  const double fail_p = errors && check == 1 ? 0.5 : 0.002;
  Rng r(Key(o.seed, 0x4ea1, instance, check, step));
  int failures = 0;
  for (int p = 0; p < kHealthProbesPerStep; ++p) failures += r.Uniform() < fail_p;
  return failures;
}

}  // namespace tally::sim::model

namespace tally::sim {

bool ParseScenario(absl::string_view name, Scenario* out) {
  static constexpr std::pair<absl::string_view, Scenario> kNames[] = {
      {"none", Scenario::kNone},
      {"budget-overrun", Scenario::kBudgetOverrun},
      {"latency-spike", Scenario::kLatencySpike},
      {"token-anomaly", Scenario::kTokenAnomaly},
      {"errors", Scenario::kErrors},
  };
  for (const auto& [n, s] : kNames) {
    if (n == name) {
      *out = s;
      return true;
    }
  }
  return false;
}

}  // namespace tally::sim
