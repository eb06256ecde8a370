#include "tools/sim/llm_cost_live.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "storage/ingest/go_float.h"

namespace tally::sim {

using namespace model;  // NOLINT: the model's tables and types are this file's vocabulary

namespace {

constexpr int kNumErrorTypes = 4;
constexpr int kNumComponents = sizeof(kComponents) / sizeof(kComponents[0]);
constexpr int kNumGauges = 7;  // memory limit, cpu, concurrent, db conns, db max, cache, queue

using LabelList = std::vector<std::pair<std::string, std::string>>;

LabelList InstanceLabels(int i) {
  return {{"instance", absl::StrCat("tracker-", i, ":8000")}, {"job", "llm-cost-tracker"}};
}
LabelList ComboLabels(int i, int m, int a) {
  LabelList l = {{"application", kApps[a].name}};
  for (auto& p : InstanceLabels(i)) l.push_back(std::move(p));
  l.push_back({"model", kModels[m].name});
  l.push_back({"provider", kModels[m].provider});
  return l;
}
LabelList With(LabelList l, std::string name, std::string value) {
  l.push_back({std::move(name), std::move(value)});
  return l;
}

}  // namespace

LlmCostLive::LlmCostLive(const LlmCostOptions& options) : o_(options) {
  grid_start_ms_ = o_.start_ms - (o_.start_ms % o_.step_ms);
  instances_.resize(std::max(1, o_.series_scale));
  for (size_t i = 0; i < instances_.size(); ++i) {
    Instance& in = instances_[i];
    in.combos.resize(kNumModels * kNumApps);
    for (Combo& c : in.combos) {
      c.bucket.assign(kNumBuckets, 0);
      c.token_bucket.assign(kNumTokenBuckets, 0);
      c.user.assign(NumUsers(o_), {0, 0, 0, 0, 0});
      c.cost_quantile.assign(3, std::nan(""));
    }
    in.errors.assign(kNumModels * kNumErrorTypes, 0);
    in.cost_rate.assign(kNumModels, 0);
    in.spent.assign(kNumApps, 0);
    for (int c = 0; c < kNumComponents; ++c) {
      in.memory.push_back(kComponents[c].base_bytes);
      in.memory_rng.emplace_back(Key(o_.seed, 0x3e3, i, c));
    }
    in.gauges.assign(kNumGauges, 0);
    in.health.assign(kNumHealthChecks * 2, 0);
    for (int k = 0; k < kNumGauges; ++k) in.gauge_rng.emplace_back(Key(o_.seed, 0x9a9, i, k));
  }
}

int64_t LlmCostLive::last_scrape_ms(int instance) const {
  return instances_[instance].last_scrape_ms;
}

void LlmCostLive::ContinueWithStep(int64_t step_ms) {
  if (step_ms <= 0 || step_ms == o_.step_ms) return;
  const int64_t next = grid_start_ms_ + next_step_ * o_.step_ms;  // the old grid's next step
  const int64_t first = (next + step_ms - 1) / step_ms * step_ms;
  o_.step_ms = step_ms;
  grid_start_ms_ = first - next_step_ * step_ms;
}

int64_t LlmCostLive::AdvanceTo(int64_t t_ms) {
  int64_t n = 0;
  while (grid_start_ms_ + next_step_ * o_.step_ms <= t_ms) {
    Step(next_step_++);
    ++n;
  }
  return n;
}

void LlmCostLive::Step(int64_t s) {
  const double per_hour = 3600.0 * 1000 / static_cast<double>(o_.step_ms);
  last_requests_ = last_errors_ = last_latency_sum_ = 0;
  provider_requests_.fill(0);
  provider_errors_.fill(0);
  provider_latency_sum_.fill(0);
  for (int i = 0; i < static_cast<int>(instances_.size()); ++i) {
    Instance& in = instances_[i];
    const int64_t t = ScrapeTimeMs(o_, grid_start_ms_, i, s);
    const bool restarted = Restarted(o_, i, s);
    if (restarted) {
      for (Combo& c : in.combos) {
        c.cost = c.success = c.errors = c.prompt = c.completion = 0;
        std::fill(c.bucket.begin(), c.bucket.end(), 0);
        std::fill(c.token_bucket.begin(), c.token_bucket.end(), 0);
        c.tokens_sum = 0;
        for (auto& u : c.user) u = {0, 0, 0, 0, 0};
        c.latency_sum = c.summary_sum = c.summary_count = 0;
      }
      std::fill(in.errors.begin(), in.errors.end(), 0);
      std::fill(in.health.begin(), in.health.end(), 0);
      in.db_query_sum = in.db_query_count = in.db_slow = 0;
    }
    const DbDraw db = MakeDbDraw(o_, i, s, t);
    in.db_query_sum += db.query_seconds;
    in.db_query_count += db.queries;
    in.db_slow += db.slow_queries;
    const bool new_day = s > 0 && t / 86'400'000 != in.last_scrape_ms / 86'400'000;
    if (new_day) std::fill(in.spent.begin(), in.spent.end(), 0);
    for (int m = 0; m < NumModels(o_); ++m) {
      double model_cost = 0;
      for (int a = 0; a < NumApps(o_); ++a) {
        const Draw d = MakeDraw(o_, i, m, a, s, t);
        Combo& c = in.combos[m * kNumApps + a];
        c.cost += d.cost;
        c.success += d.success;
        c.errors += d.errors;
        c.prompt += d.prompt_tokens;
        c.completion += d.completion_tokens;
        for (int b = 0; b < kNumBuckets; ++b) c.bucket[b] += d.bucket[b];
        c.latency_sum += d.latency_sum;
        for (int b = 0; b < kNumTokenBuckets; ++b) c.token_bucket[b] += d.token_bucket[b];
        c.tokens_sum += d.tokens_sum;
        for (size_t u = 0; u < c.user.size(); ++u) {
          c.user[u][0] += d.user_cost[u];
          c.user[u][1] += d.user_success[u];
          c.user[u][2] += d.user_errors[u];
          c.user[u][3] += d.user_prompt[u];
          c.user[u][4] += d.user_completion[u];
        }
        c.summary_sum += d.cost;
        c.summary_count += d.success;
        for (int q = 0; q < 3; ++q) c.cost_quantile[q] = d.cost_quantile[q];
        for (int e = 0; e < kNumErrorTypes; ++e)
          in.errors[m * kNumErrorTypes + e] += d.errors_by_type[e];
        in.spent[a] += d.cost;
        model_cost += d.cost;
        last_requests_ += d.success + d.errors;
        last_errors_ += d.errors;
        last_latency_sum_ += d.latency_sum;
        const int p = ProviderIndex(m);
        provider_requests_[p] += d.success + d.errors;
        provider_errors_[p] += d.errors;
        provider_latency_sum_[p] += d.latency_sum;
      }
      const double ema =
          s == 0 ? model_cost * per_hour : 0.9 * in.cost_rate[m] + 0.1 * model_cost * per_hour;
      in.cost_rate[m] = ema;
    }
    for (int c = 0; c < kNumComponents; ++c) {
      double& v = in.memory[c];
      if (restarted) v = kComponents[c].base_bytes;
      v = std::max(kComponents[c].base_bytes / 2,
                   v + 4096 * std::round(64 * in.memory_rng[c].Gauss() + 2));
    }
    const double load = Diurnal(t);
    for (int k = 0; k < kNumGauges; ++k) {
      Rng& r = in.gauge_rng[k];
      double& v = in.gauges[k];
      switch (k) {
        case 0:
          v = kMemoryLimitBytes;
          break;
        case 1:
          v = std::round(std::clamp(0.1 + 0.5 * load + 0.05 * r.Gauss(), 0.0, 1.0) * 1e4) / 1e4;
          break;
        case 2:
          v = r.Poisson(1.65 * 1.5 * load);
          break;
        case 3:
          v = std::min(100, 8 + r.Poisson(12 * load));
          break;
        case 4:
          v = 100;
          break;
        case 5:
          v = std::round(std::clamp(0.82 + 0.03 * r.Gauss(), 0.0, 1.0) * 1e4) / 1e4;
          break;
        case 6:
          v = r.Poisson(0.6 * load);
          break;
      }
    }
    int failed_total = 0;
    for (int c = 0; c < kNumHealthChecks; ++c) {
      const int failed = HealthProbeFailures(o_, i, c, s, t);
      in.health[c * 2] += kHealthProbesPerStep - failed;
      in.health[c * 2 + 1] += failed;
      failed_total += failed;
    }
    in.health_ratio = NextHealthRatio(in.health_ratio, s, failed_total);
    in.last_scrape_ms = t;
  }
}

std::vector<LiveFamily> LlmCostLive::Snapshot() const {
  std::vector<LiveFamily> out;
  const int n = static_cast<int>(instances_.size());
  // value(combo, u): u == -1 the (model, application) total, else user u's share.
  auto combo_family = [&](const char* name, const char* type, const char* help, auto value,
                          const char* extra_name = nullptr, const char* extra_value = nullptr) {
    if (out.empty() || out.back().name != name) out.push_back({name, type, help, {}});
    const int users = NumUsers(o_);
    for (int i = 0; i < n; ++i) {
      for (int m = 0; m < NumModels(o_); ++m) {
        for (int a = 0; a < NumApps(o_); ++a) {
          for (int u = users > 0 ? 0 : -1; u < users; ++u) {
            LabelList l = ComboLabels(i, m, a);
            if (extra_name != nullptr) l = With(std::move(l), extra_name, extra_value);
            if (u >= 0) l = With(std::move(l), "user_id", absl::StrCat("user-", u + 1));
            out.back().series.push_back(
                {name, std::move(l), value(instances_[i].combos[m * kNumApps + a], u)});
          }
        }
      }
    }
  };
  combo_family("llm_cost_tracker_total_cost_usd", "counter",
               "Total cost accumulated by model and application (a counter).",
               [](const Combo& c, int u) { return u >= 0 ? c.user[u][0] : c.cost; });
  combo_family(
      "llm_cost_tracker_requests_total", "counter",
      "Total requests by model, application and status.",
      [](const Combo& c, int u) { return u >= 0 ? c.user[u][1] : c.success; }, "status",
      "success");
  combo_family(
      "llm_cost_tracker_requests_total", "counter",
      "Total requests by model, application and status.",
      [](const Combo& c, int u) { return u >= 0 ? c.user[u][2] : c.errors; }, "status", "error");
  combo_family("llm_cost_tracker_prompt_tokens_total", "counter", "Prompt tokens consumed.",
               [](const Combo& c, int u) { return u >= 0 ? c.user[u][3] : c.prompt; });
  combo_family("llm_cost_tracker_completion_tokens_total", "counter",
               "Completion tokens generated.",
               [](const Combo& c, int u) { return u >= 0 ? c.user[u][4] : c.completion; });

  const std::string hist = "llm_cost_tracker_request_duration_seconds";
  const std::string summ = "llm_cost_tracker_cost_per_request";
  out.push_back({hist, "histogram", "Request latency by model and application.", {}});
  LiveFamily summary{summ, "summary", "Cost in USD of successful requests.", {}};
  for (int i = 0; i < n; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      for (int a = 0; a < NumApps(o_); ++a) {
        const Combo& c = instances_[i].combos[m * kNumApps + a];
        const LabelList l = ComboLabels(i, m, a);
        for (int b = 0; b < kNumBuckets; ++b) {
          out.back().series.push_back(
              {hist + "_bucket",
               With(l, "le", b == kNumLe ? "+Inf" : storage::FormatGoFloat(kLe[b])), c.bucket[b]});
        }
        out.back().series.push_back({hist + "_sum", l, c.latency_sum});
        out.back().series.push_back({hist + "_count", l, c.bucket[kNumLe]});
        for (int q = 0; q < 3; ++q) {
          summary.series.push_back({summ,
                                    With(l, "quantile", storage::FormatGoFloat(kQuantiles[q])),
                                    c.cost_quantile[q]});
        }
        summary.series.push_back({summ + "_sum", l, c.summary_sum});
        summary.series.push_back({summ + "_count", l, c.summary_count});
      }
    }
  }
  const std::string tok = "llm_cost_tracker_tokens_per_request";
  out.push_back({tok, "histogram", "Prompt plus completion tokens of successful requests.", {}});
  for (int i = 0; i < n; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      for (int a = 0; a < NumApps(o_); ++a) {
        const Combo& c = instances_[i].combos[m * kNumApps + a];
        const LabelList l = ComboLabels(i, m, a);
        for (int b = 0; b < kNumTokenBuckets; ++b) {
          out.back().series.push_back(
              {tok + "_bucket",
               With(l, "le", b == kNumTokenLe ? "+Inf" : storage::FormatGoFloat(kTokenLe[b])),
               c.token_bucket[b]});
        }
        out.back().series.push_back({tok + "_sum", l, c.tokens_sum});
        out.back().series.push_back({tok + "_count", l, c.token_bucket[kNumTokenLe]});
      }
    }
  }
  out.push_back(std::move(summary));

  out.push_back({"llm_cost_tracker_errors_total", "counter", "Failed requests by error type.", {}});
  for (int i = 0; i < n; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      for (int e = 0; e < kNumErrorTypes; ++e) {
        LabelList l = InstanceLabels(i);
        l.push_back({"model", kModels[m].name});
        l.push_back({"provider", kModels[m].provider});
        l.push_back({"type", kErrorTypes[e]});
        out.back().series.push_back(
            {out.back().name, std::move(l), instances_[i].errors[m * kNumErrorTypes + e]});
      }
    }
  }
  out.push_back({"llm_cost_tracker_hourly_cost_rate",
                 "gauge",
                 "Current cost rate in USD per hour (smoothed).",
                 {}});
  for (int i = 0; i < n; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      LabelList l = InstanceLabels(i);
      l.push_back({"model", kModels[m].name});
      l.push_back({"provider", kModels[m].provider});
      out.back().series.push_back(
          {out.back().name, std::move(l), std::round(instances_[i].cost_rate[m] * 1e4) / 1e4});
    }
  }
  struct Budget {
    const char* name;
    const char* help;
  };
  constexpr Budget kBudgets[] = {
      {"llm_cost_tracker_daily_budget_limit", "Daily budget in USD per application."},
      {"llm_cost_tracker_monthly_budget_limit", "Monthly budget in USD per application."},
      {"llm_cost_tracker_daily_budget_utilization",
       "Percentage of the daily budget used so far today (UTC)."},
  };
  for (int k = 0; k < 3; ++k) {
    out.push_back({kBudgets[k].name, "gauge", kBudgets[k].help, {}});
    for (int i = 0; i < n; ++i) {
      for (int a = 0; a < NumApps(o_); ++a) {
        LabelList l = {{"application", kApps[a].name}};
        for (auto& p : InstanceLabels(i)) l.push_back(std::move(p));
        const double budget = kApps[a].daily_budget_usd;
        const double v = k == 0   ? budget
                         : k == 1 ? 30 * budget
                                  : std::round(instances_[i].spent[a] / budget * 100 * 1e3) / 1e3;
        out.back().series.push_back({kBudgets[k].name, std::move(l), v});
      }
    }
  }
  out.push_back(
      {"llm_cost_tracker_memory_usage_bytes", "gauge", "Resident memory by component.", {}});
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < kNumComponents; ++c) {
      LabelList l = {{"component", kComponents[c].name}};
      for (auto& p : InstanceLabels(i)) l.push_back(std::move(p));
      out.back().series.push_back({out.back().name, std::move(l), instances_[i].memory[c]});
    }
  }
  constexpr Budget kGauges[kNumGauges] = {
      {"llm_cost_tracker_memory_limit_bytes", "Memory limit of the process."},
      {"llm_cost_tracker_cpu_usage_ratio", "CPU utilization (0..1)."},
      {"llm_cost_tracker_concurrent_requests", "Requests in flight."},
      {"llm_cost_tracker_database_connections", "Open database connections."},
      {"llm_cost_tracker_database_max_connections", "Database connection pool size."},
      {"llm_cost_tracker_cache_hit_ratio", "Response cache hit ratio (0..1)."},
      {"llm_cost_tracker_request_queue_depth", "Requests waiting for a provider slot."},
  };
  for (int k = 0; k < kNumGauges; ++k) {
    out.push_back({kGauges[k].name, "gauge", kGauges[k].help, {}});
    for (int i = 0; i < n; ++i) {
      out.back().series.push_back({kGauges[k].name, InstanceLabels(i), instances_[i].gauges[k]});
    }
  }
  out.push_back({"llm_cost_tracker_health_checks_total",
                 "counter",
                 "Health-check probes by check and outcome.",
                 {}});
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < kNumHealthChecks; ++c) {
      for (int ok = 1; ok >= 0; --ok) {
        LabelList l = {{"check", kHealthChecks[c]}};
        for (auto& p : InstanceLabels(i)) l.push_back(std::move(p));
        l.push_back({"status", ok ? "success" : "failure"});
        out.back().series.push_back(
            {out.back().name, std::move(l), instances_[i].health[c * 2 + (ok ? 0 : 1)]});
      }
    }
  }
  out.push_back({"llm_cost_tracker_health_check_success_ratio",
                 "gauge",
                 "Recent share of successful health-check probes (0..1).",
                 {}});
  for (int i = 0; i < n; ++i) {
    out.back().series.push_back(
        {out.back().name, InstanceLabels(i), std::round(instances_[i].health_ratio * 1e4) / 1e4});
  }
  const std::string dur = "llm_cost_tracker_database_query_duration_seconds";
  out.push_back({dur, "summary", "Database query latency.", {}});
  for (int i = 0; i < n; ++i) {
    out.back().series.push_back({dur + "_sum", InstanceLabels(i), instances_[i].db_query_sum});
    out.back().series.push_back({dur + "_count", InstanceLabels(i), instances_[i].db_query_count});
  }
  out.push_back({"llm_cost_tracker_database_slow_queries_total",
                 "counter",
                 "Database queries slower than 1s.",
                 {}});
  for (int i = 0; i < n; ++i) {
    out.back().series.push_back({out.back().name, InstanceLabels(i), instances_[i].db_slow});
  }
  out.push_back(
      {"llm_cost_tracker_database_size_bytes", "gauge", "Size of the database on disk.", {}});
  for (int i = 0; i < n; ++i) {
    out.back().series.push_back({out.back().name, InstanceLabels(i),
                                 DatabaseSizeBytes(instances_[i].last_scrape_ms)});
  }
  return out;
}

std::string LlmCostLive::RenderText() const {
  std::string out;
  char buf[storage::kGoFloatBufSize];
  for (const LiveFamily& f : Snapshot()) {
    absl::StrAppend(&out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " ", f.type, "\n");
    for (const LiveSeries& s : f.series) {
      out.append(s.name);
      out.push_back('{');
      for (size_t j = 0; j < s.labels.size(); ++j) {
        // Label values here are fixed identifiers: nothing to escape.
        absl::StrAppend(&out, j ? "," : "", s.labels[j].first, "=\"", s.labels[j].second, "\"");
      }
      out.append("} ");
      out.append(buf, storage::FormatGoFloat(s.value, buf));
      out.push_back('\n');
    }
  }
  return out;
}

namespace {
// Pieces of the health bodies.
struct HealthParts {
  std::string ts, status, database, cache, budget, providers;
  bool providers_degraded = false, over_budget = false;
};

HealthParts BuildHealth(const LlmCostOptions& o, const std::vector<double>& gauges,
                               const std::vector<double>& spent,
                               const std::array<double, kNumProviders>& requests,
                               const std::array<double, kNumProviders>& errors,
                               const std::array<double, kNumProviders>& latency_sum,
                               int64_t now_ms) {
  HealthParts h;
  h.ts = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(now_ms), absl::UTCTimeZone());
  for (int p = 0; p < kNumProviders; ++p) {
    bool used = false;
    for (int m = 0; m < NumModels(o); ++m) used |= ProviderIndex(m) == p;
    if (!used) continue;
    const double n = requests[p];
    const double error_ratio = n > 0 ? errors[p] / n : 0;
    const double mean_latency = n > 0 ? latency_sum[p] / n : 0;
    const bool bad = error_ratio > 0.05 || mean_latency > 2;
    h.providers_degraded |= bad;
    absl::StrAppend(&h.providers, h.providers.empty() ? "" : ", ",
                    absl::StrFormat(R"("%s": {"status": "%s", "requests": %d, )"
                                    R"("error_ratio": %.4f, "mean_latency_seconds": %.3f})",
                                    kProviders[p], bad ? "degraded" : "healthy",
                                    static_cast<int>(n), error_ratio, mean_latency));
  }
  h.providers = absl::StrCat("{", h.providers, "}");
  double max_util = 0;
  for (int a = 0; a < NumApps(o); ++a) {
    max_util = std::max(max_util, spent[a] / kApps[a].daily_budget_usd * 100);
  }
  h.over_budget = max_util > 100;
  h.database = absl::StrFormat(R"({"status": "healthy", "connections": %d, "max_connections": %d})",
                               static_cast<int>(gauges[3]), static_cast<int>(gauges[4]));
  h.cache = absl::StrFormat(R"({"status": "healthy", "hit_ratio": %.4f})", gauges[5]);
  h.budget = absl::StrFormat(R"({"status": "%s", "max_daily_utilization_percent": %.2f})",
                             h.over_budget ? "over_budget" : "healthy", max_util);
  h.status = h.providers_degraded ? "degraded" : "healthy";
  return h;
}

}  // namespace

std::string LlmCostLive::HealthJson(bool detailed, int64_t now_ms) const {
  const Instance& in = instances_[0];
  const HealthParts h = BuildHealth(o_, in.gauges, in.spent, provider_requests_,
                                    provider_errors_, provider_latency_sum_, now_ms);
  if (!detailed) return absl::StrFormat(R"({"status": "%s", "timestamp": "%s"})", h.status, h.ts);
  return absl::StrFormat(
      R"({"status": "%s", "timestamp": "%s", "components": {"database": %s, "cache": %s, )"
      R"("budget_engine": %s}, "providers": %s})",
      h.status, h.ts, h.database, h.cache, h.budget, h.providers);
}

std::string LlmCostLive::ComponentHealthJson(absl::string_view component, int64_t now_ms) const {
  const Instance& in = instances_[0];
  const HealthParts h = BuildHealth(o_, in.gauges, in.spent, provider_requests_,
                                    provider_errors_, provider_latency_sum_, now_ms);
  std::string status = "healthy", details;
  if (component == "database") {
    details = h.database;
  } else if (component == "cache") {
    details = h.cache;
  } else if (component == "budget-engine") {
    details = h.budget;
    if (h.over_budget) status = "over_budget";
  } else if (component == "providers") {
    details = h.providers;
    status = h.status;
  } else {
    return "";
  }
  return absl::StrFormat(R"({"status": "%s", "timestamp": "%s", "component": "%s", "details": %s})",
                         status, h.ts, component, details);
}

}  // namespace tally::sim
