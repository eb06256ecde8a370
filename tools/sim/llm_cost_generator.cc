#include "tools/sim/llm_cost_generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/ingest/go_float.h"
#include "tools/sim/llm_cost_model.h"

namespace tally::sim {
namespace {

using storage::TextFormat;
using namespace model;  // NOLINT: the model's tables and types are this file's vocabulary

class Generator {
 public:
  Generator(const LlmCostOptions& o,
            const std::function<absl::Status(absl::string_view)>& sink)
      : o_(o), sink_(sink) {
    start_ms_ = o.start_ms - (o.start_ms % o.step_ms);
    steps_ = static_cast<int64_t>(o.hours * 3600 * 1000 / static_cast<double>(o.step_ms));
    if (steps_ < 1) steps_ = 1;
    om_ = o.format == TextFormat::kOpenMetrics;
    out_.reserve(kFlushBytes + 4096);
    draws_.resize(steps_);
  }

  int64_t steps() const { return steps_; }

  absl::Status Run();

 private:
  static constexpr size_t kFlushBytes = 1 << 20;

  int64_t TimeMs(int instance, int64_t step) const {
    return model::ScrapeTimeMs(o_, start_ms_, instance, step);
  }
  bool Restarted(int instance, int64_t step) const { return model::Restarted(o_, instance, step); }
  static double Diurnal(int64_t t_ms) { return model::Diurnal(t_ms); }
  Draw MakeDraw(int instance, int model, int app, int64_t step) const {
    return model::MakeDraw(o_, instance, model, app, step, TimeMs(instance, step));
  }

  // Output helpers.
  absl::Status Flush() {
    if (out_.empty()) return absl::OkStatus();
    absl::Status s = sink_(out_);
    out_.clear();
    return s;
  }
  absl::Status Header(absl::string_view family, absl::string_view om_type,
                      absl::string_view prom_type, absl::string_view help,
                      absl::string_view unit);
  // Starts a series: name plus its rendered label set.
  void BeginSeries(absl::string_view name, absl::string_view labels) {
    prefix_.clear();
    absl::StrAppend(&prefix_, name, "{", labels, "} ");
  }
  void Sample(int instance, int64_t step, double v) {
    out_.append(prefix_);
    char buf[storage::kGoFloatBufSize];
    out_.append(buf, storage::FormatGoFloat(v, buf));
    out_.push_back(' ');
    const int64_t t = TimeMs(instance, step);
    if (om_ && t < 0) {
      out_.append(storage::FormatGoFloat(static_cast<double>(t) / 1000));
    } else if (om_) {
      absl::StrAppend(&out_, t / 1000);
      if (t % 1000 != 0) {
        char frac[8];
        std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(t % 1000));
        out_.append(frac);
      }
    } else {
      absl::StrAppend(&out_, t);
    }
    out_.push_back('\n');
  }
  absl::Status MaybeFlush() { return out_.size() >= kFlushBytes ? Flush() : absl::OkStatus(); }

  static std::string InstanceLabels(int instance) {
    return absl::StrCat("instance=\"tracker-", instance, ":8000\",job=\"llm-cost-tracker\"");
  }
  static std::string ComboLabels(int instance, int model, int app) {
    return absl::StrCat("application=\"", kApps[app].name, "\",", InstanceLabels(instance),
                        ",model=\"", kModels[model].name, "\",provider=\"",
                        kModels[model].provider, "\"");
  }

  // A counter per (instance, model, app) whose increment per step is f(draw).
  template <typename F>
  absl::Status ComboCounter(absl::string_view name, absl::string_view extra_labels, F inc);
  absl::Status Histogram();
  absl::Status TokenHistogram();
  absl::Status Database();
  absl::Status Summary();
  absl::Status Errors();
  absl::Status ModelCostRate();
  absl::Status Budgets();
  absl::Status InstanceGauges();
  absl::Status HealthChecks();

  const LlmCostOptions& o_;
  const std::function<absl::Status(absl::string_view)>& sink_;
  int64_t start_ms_ = 0;
  int64_t steps_ = 0;
  bool om_ = true;
  std::string out_;
  std::string prefix_;
  std::vector<Draw> draws_;  // one group's draws over all steps, reused
};

absl::Status Generator::Header(absl::string_view family, absl::string_view om_type,
                               absl::string_view prom_type, absl::string_view help,
                               absl::string_view unit) {
  // OpenMetrics declares a counter `x_total` as family `x`; the text format uses the
  // series name.
  absl::string_view fam = family;
  if (om_ && om_type == "counter" && absl::EndsWith(fam, "_total")) {
    fam.remove_suffix(6);
  }
  absl::StrAppend(&out_, "# HELP ", fam, " ", help, "\n# TYPE ", fam, " ",
                  om_ ? om_type : prom_type, "\n");
  if (om_ && !unit.empty()) absl::StrAppend(&out_, "# UNIT ", fam, " ", unit, "\n");
  return MaybeFlush();
}

template <typename F>
absl::Status Generator::ComboCounter(absl::string_view name, absl::string_view extra, F inc) {
  // With users, one series per user_id; u == -1 is the whole (model, application).
  const int users = NumUsers(o_);
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      for (int a = 0; a < NumApps(o_); ++a) {
        if (users > 0) {
          for (int64_t s = 0; s < steps_; ++s) draws_[s] = MakeDraw(i, m, a, s);
        }
        for (int u = users > 0 ? 0 : -1; u < users; ++u) {
          std::string labels = ComboLabels(i, m, a);
          if (!extra.empty()) absl::StrAppend(&labels, ",", extra);
          if (u >= 0) absl::StrAppend(&labels, ",user_id=\"user-", u + 1, "\"");
          BeginSeries(name, labels);
          double v = 0;
          for (int64_t s = 0; s < steps_; ++s) {
            if (Restarted(i, s)) v = 0;
            v += u >= 0 ? inc(draws_[s], u) : inc(MakeDraw(i, m, a, s), -1);
            Sample(i, s, v);
          }
          if (absl::Status st = MaybeFlush(); !st.ok()) return st;
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::TokenHistogram() {
  constexpr absl::string_view kName = "llm_cost_tracker_tokens_per_request";
  if (absl::Status s = Header(kName, "histogram", "histogram",
                              "Prompt plus completion tokens of successful requests.", "");
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      for (int a = 0; a < NumApps(o_); ++a) {
        for (int64_t s = 0; s < steps_; ++s) draws_[s] = MakeDraw(i, m, a, s);
        const std::string labels = ComboLabels(i, m, a);
        auto counter = [&](absl::string_view name, const std::string& lbl, auto inc) {
          BeginSeries(name, lbl);
          double v = 0;
          for (int64_t s = 0; s < steps_; ++s) {
            if (Restarted(i, s)) v = 0;
            v += inc(draws_[s]);
            Sample(i, s, v);
          }
        };
        for (int b = 0; b < kNumTokenBuckets; ++b) {
          const std::string le = b == kNumTokenLe ? "+Inf" : storage::FormatGoFloat(kTokenLe[b]);
          counter(absl::StrCat(kName, "_bucket"), absl::StrCat(labels, ",le=\"", le, "\""),
                  [b](const Draw& d) { return d.token_bucket[b]; });
        }
        counter(absl::StrCat(kName, "_sum"), labels, [](const Draw& d) { return d.tokens_sum; });
        counter(absl::StrCat(kName, "_count"), labels,
                [](const Draw& d) { return d.token_bucket[kNumTokenLe]; });
        if (absl::Status st = MaybeFlush(); !st.ok()) return st;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::Database() {
  // Query duration (a summary without quantiles: _sum and _count) and slow queries, both
  // counters that reset on restart, then the database size gauge.
  constexpr absl::string_view kDur = "llm_cost_tracker_database_query_duration_seconds";
  constexpr absl::string_view kSlow = "llm_cost_tracker_database_slow_queries_total";
  constexpr absl::string_view kSize = "llm_cost_tracker_database_size_bytes";
  auto counter = [&](const std::string& name, int i, auto inc) {
    BeginSeries(name, InstanceLabels(i));
    double v = 0;
    for (int64_t s = 0; s < steps_; ++s) {
      if (Restarted(i, s)) v = 0;
      v += inc(MakeDbDraw(o_, i, s, TimeMs(i, s)));
      Sample(i, s, v);
    }
  };
  absl::Status st = Header(kDur, "summary", "summary", "Database query latency.", "seconds");
  for (int i = 0; st.ok() && i < o_.series_scale; ++i) {
    counter(absl::StrCat(kDur, "_sum"), i, [](const DbDraw& d) { return d.query_seconds; });
    counter(absl::StrCat(kDur, "_count"), i,
            [](const DbDraw& d) { return static_cast<double>(d.queries); });
    st = MaybeFlush();
  }
  if (st.ok()) st = Header(kSlow, "counter", "counter", "Database queries slower than 1s.", "");
  for (int i = 0; st.ok() && i < o_.series_scale; ++i) {
    counter(std::string(kSlow), i,
            [](const DbDraw& d) { return static_cast<double>(d.slow_queries); });
    st = MaybeFlush();
  }
  if (st.ok()) st = Header(kSize, "gauge", "gauge", "Size of the database on disk.", "bytes");
  for (int i = 0; st.ok() && i < o_.series_scale; ++i) {
    BeginSeries(kSize, InstanceLabels(i));
    for (int64_t s = 0; s < steps_; ++s) Sample(i, s, DatabaseSizeBytes(TimeMs(i, s)));
    st = MaybeFlush();
  }
  return st;
}

absl::Status Generator::Histogram() {
  constexpr absl::string_view kName = "llm_cost_tracker_request_duration_seconds";
  if (absl::Status s = Header(kName, "histogram", "histogram",
                              "Request latency by model and application.", "seconds");
      !s.ok()) {
    return s;
  }
  draws_.resize(steps_);
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      for (int a = 0; a < NumApps(o_); ++a) {
        for (int64_t s = 0; s < steps_; ++s) draws_[s] = MakeDraw(i, m, a, s);
        const std::string labels = ComboLabels(i, m, a);
        auto counter = [&](absl::string_view name, const std::string& lbl, auto inc) {
          BeginSeries(name, lbl);
          double v = 0;
          for (int64_t s = 0; s < steps_; ++s) {
            if (Restarted(i, s)) v = 0;
            v += inc(draws_[s]);
            Sample(i, s, v);
          }
        };
        for (int b = 0; b < kNumBuckets; ++b) {
          const std::string le =
              b == kNumLe ? "+Inf" : storage::FormatGoFloat(kLe[b]);
          counter(absl::StrCat(kName, "_bucket"), absl::StrCat(labels, ",le=\"", le, "\""),
                  [b](const Draw& d) { return d.bucket[b]; });
        }
        counter(absl::StrCat(kName, "_sum"), labels,
                [](const Draw& d) { return d.latency_sum; });
        counter(absl::StrCat(kName, "_count"), labels,
                [](const Draw& d) { return d.bucket[kNumLe]; });
        if (absl::Status st = MaybeFlush(); !st.ok()) return st;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::Summary() {
  constexpr absl::string_view kName = "llm_cost_tracker_cost_per_request";
  if (absl::Status s = Header(kName, "summary", "summary",
                              "Cost in USD of successful requests.", "");
      !s.ok()) {
    return s;
  }
  draws_.resize(steps_);
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      for (int a = 0; a < NumApps(o_); ++a) {
        for (int64_t s = 0; s < steps_; ++s) draws_[s] = MakeDraw(i, m, a, s);
        const std::string labels = ComboLabels(i, m, a);
        for (int q = 0; q < 3; ++q) {
          BeginSeries(kName, absl::StrCat(labels, ",quantile=\"",
                                          storage::FormatGoFloat(kQuantiles[q]), "\""));
          for (int64_t s = 0; s < steps_; ++s) Sample(i, s, draws_[s].cost_quantile[q]);
        }
        double sum = 0, count = 0;
        BeginSeries(absl::StrCat(kName, "_sum"), labels);
        for (int64_t s = 0; s < steps_; ++s) {
          if (Restarted(i, s)) sum = 0;
          sum += draws_[s].cost;
          Sample(i, s, sum);
        }
        BeginSeries(absl::StrCat(kName, "_count"), labels);
        for (int64_t s = 0; s < steps_; ++s) {
          if (Restarted(i, s)) count = 0;
          count += draws_[s].success;
          Sample(i, s, count);
        }
        if (absl::Status st = MaybeFlush(); !st.ok()) return st;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::Errors() {
  constexpr absl::string_view kName = "llm_cost_tracker_errors_total";
  if (absl::Status s = Header(kName, "counter", "counter", "Failed requests by error type.", "");
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      for (int e = 0; e < 4; ++e) {
        BeginSeries(kName, absl::StrCat(InstanceLabels(i), ",model=\"", kModels[m].name,
                                        "\",provider=\"", kModels[m].provider, "\",type=\"",
                                        kErrorTypes[e], "\""));
        double v = 0;
        for (int64_t s = 0; s < steps_; ++s) {
          if (Restarted(i, s)) v = 0;
          for (int a = 0; a < NumApps(o_); ++a) v += MakeDraw(i, m, a, s).errors_by_type[e];
          Sample(i, s, v);
        }
        if (absl::Status st = MaybeFlush(); !st.ok()) return st;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::ModelCostRate() {
  constexpr absl::string_view kName = "llm_cost_tracker_hourly_cost_rate";
  if (absl::Status s = Header(kName, "gauge", "gauge",
                              "Current cost rate in USD per hour (smoothed).", "");
      !s.ok()) {
    return s;
  }
  const double per_hour = 3600.0 * 1000 / static_cast<double>(o_.step_ms);
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int m = 0; m < NumModels(o_); ++m) {
      BeginSeries(kName, absl::StrCat(InstanceLabels(i), ",model=\"", kModels[m].name,
                                      "\",provider=\"", kModels[m].provider, "\""));
      double ema = 0;
      for (int64_t s = 0; s < steps_; ++s) {
        double cost = 0;
        for (int a = 0; a < NumApps(o_); ++a) cost += MakeDraw(i, m, a, s).cost;
        ema = s == 0 ? cost * per_hour : 0.9 * ema + 0.1 * cost * per_hour;
        Sample(i, s, std::round(ema * 1e4) / 1e4);
      }
      if (absl::Status st = MaybeFlush(); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::Budgets() {
  struct Fam {
    const char* name;
    const char* help;
    int kind;  // 0 daily limit, 1 monthly limit, 2 utilization
  };
  constexpr Fam kFams[] = {
      {"llm_cost_tracker_daily_budget_limit", "Daily budget in USD per application.", 0},
      {"llm_cost_tracker_monthly_budget_limit", "Monthly budget in USD per application.", 1},
      {"llm_cost_tracker_daily_budget_utilization",
       "Percentage of the daily budget used so far today (UTC).", 2},
  };
  for (const Fam& f : kFams) {
    if (absl::Status s = Header(f.name, "gauge", "gauge", f.help, ""); !s.ok()) return s;
    for (int i = 0; i < o_.series_scale; ++i) {
      for (int a = 0; a < NumApps(o_); ++a) {
        BeginSeries(f.name,
                    absl::StrCat("application=\"", kApps[a].name, "\",", InstanceLabels(i)));
        double spent = 0;
        for (int64_t s = 0; s < steps_; ++s) {
          double v;
          if (f.kind == 0) {
            v = kApps[a].daily_budget_usd;
          } else if (f.kind == 1) {
            v = 30 * kApps[a].daily_budget_usd;
          } else {
            const int64_t t = TimeMs(i, s);
            if (s > 0 && t / 86'400'000 != TimeMs(i, s - 1) / 86'400'000) spent = 0;
            for (int m = 0; m < NumModels(o_); ++m) spent += MakeDraw(i, m, a, s).cost;
            v = std::round(spent / kApps[a].daily_budget_usd * 100 * 1e3) / 1e3;
          }
          Sample(i, s, v);
        }
        if (absl::Status st = MaybeFlush(); !st.ok()) return st;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::InstanceGauges() {
  // Memory per component: a random walk in whole 4 KiB pages, back to base on restart.
  if (absl::Status s = Header("llm_cost_tracker_memory_usage_bytes", "gauge", "gauge",
                              "Resident memory by component.", "bytes");
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int c = 0; c < 4; ++c) {
      BeginSeries("llm_cost_tracker_memory_usage_bytes",
                  absl::StrCat("component=\"", kComponents[c].name, "\",", InstanceLabels(i)));
      Rng r(Key(o_.seed, 0x3e3, i, c));
      double v = kComponents[c].base_bytes;
      for (int64_t s = 0; s < steps_; ++s) {
        if (Restarted(i, s)) v = kComponents[c].base_bytes;
        v = std::max(kComponents[c].base_bytes / 2,
                     v + 4096 * std::round(64 * r.Gauss() + 2));
        Sample(i, s, v);
      }
      if (absl::Status st = MaybeFlush(); !st.ok()) return st;
    }
  }
  struct Fam {
    const char* name;
    const char* help;
    const char* unit;
  };
  constexpr Fam kFams[] = {
      {"llm_cost_tracker_memory_limit_bytes", "Memory limit of the process.", "bytes"},
      {"llm_cost_tracker_cpu_usage_ratio", "CPU utilization (0..1).", "ratio"},
      {"llm_cost_tracker_concurrent_requests", "Requests in flight.", ""},
      {"llm_cost_tracker_database_connections", "Open database connections.", ""},
      {"llm_cost_tracker_database_max_connections", "Database connection pool size.", ""},
      {"llm_cost_tracker_cache_hit_ratio", "Response cache hit ratio (0..1).", "ratio"},
      {"llm_cost_tracker_request_queue_depth", "Requests waiting for a provider slot.", ""},
  };
  for (size_t k = 0; k < sizeof(kFams) / sizeof(kFams[0]); ++k) {
    const Fam& f = kFams[k];
    if (absl::Status s = Header(f.name, "gauge", "gauge", f.help, f.unit); !s.ok()) return s;
    for (int i = 0; i < o_.series_scale; ++i) {
      BeginSeries(f.name, InstanceLabels(i));
      Rng r(Key(o_.seed, 0x9a9, i, k));
      for (int64_t s = 0; s < steps_; ++s) {
        const double load = Diurnal(TimeMs(i, s));
        double v = 0;
        switch (k) {
          case 0: v = kMemoryLimitBytes; break;
          case 1: v = std::round(std::clamp(0.1 + 0.5 * load + 0.05 * r.Gauss(), 0.0, 1.0) * 1e4) / 1e4; break;
          case 2: v = r.Poisson(1.65 * 1.5 * load); break;
          case 3: v = std::min(100, 8 + r.Poisson(12 * load)); break;
          case 4: v = 100; break;
          case 5: v = std::round(std::clamp(0.82 + 0.03 * r.Gauss(), 0.0, 1.0) * 1e4) / 1e4; break;
          case 6: v = r.Poisson(0.6 * load); break;
        }
        Sample(i, s, v);
      }
      if (absl::Status st = MaybeFlush(); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::HealthChecks() {
  constexpr absl::string_view kName = "llm_cost_tracker_health_checks_total";
  if (absl::Status s = Header(kName, "counter", "counter",
                              "Health-check probes by check and outcome.", "");
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int c = 0; c < kNumHealthChecks; ++c) {
      for (int ok = 1; ok >= 0; --ok) {
        BeginSeries(kName, absl::StrCat("check=\"", kHealthChecks[c], "\",", InstanceLabels(i),
                                        ",status=\"", ok ? "success" : "failure", "\""));
        double v = 0;
        for (int64_t s = 0; s < steps_; ++s) {
          if (Restarted(i, s)) v = 0;
          const int failed = HealthProbeFailures(o_, i, c, s, TimeMs(i, s));
          v += ok ? kHealthProbesPerStep - failed : failed;
          Sample(i, s, v);
        }
        if (absl::Status st = MaybeFlush(); !st.ok()) return st;
      }
    }
  }
  constexpr absl::string_view kRatio = "llm_cost_tracker_health_check_success_ratio";
  if (absl::Status s = Header(kRatio, "gauge", "gauge",
                              "Recent share of successful health-check probes (0..1).", "ratio");
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < o_.series_scale; ++i) {
    BeginSeries(kRatio, InstanceLabels(i));
    double ratio = 1;
    for (int64_t s = 0; s < steps_; ++s) {
      int failed = 0;
      for (int c = 0; c < kNumHealthChecks; ++c) failed += HealthProbeFailures(o_, i, c, s, TimeMs(i, s));
      ratio = NextHealthRatio(ratio, s, failed);
      Sample(i, s, std::round(ratio * 1e4) / 1e4);
    }
    if (absl::Status st = MaybeFlush(); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status Generator::Run() {
  // Cost: OpenMetrics wants counters to end in _total; the guide's name does not, so it is
  // declared unknown there (see the header).
  constexpr absl::string_view kCost = "llm_cost_tracker_total_cost_usd";
  absl::Status s = Header(kCost, "unknown", "counter",
                          "Total cost accumulated by model and application (a counter).", "usd");
  if (s.ok()) {
    s = ComboCounter(kCost, "",
                     [](const Draw& d, int u) { return u >= 0 ? d.user_cost[u] : d.cost; });
  }
  if (s.ok()) {
    s = Header("llm_cost_tracker_requests_total", "counter", "counter",
               "Total requests by model, application and status.", "");
  }
  if (s.ok()) {
    s = ComboCounter("llm_cost_tracker_requests_total", "status=\"success\"",
                     [](const Draw& d, int u) {
                       return static_cast<double>(u >= 0 ? d.user_success[u] : d.success);
                     });
  }
  if (s.ok()) {
    s = ComboCounter("llm_cost_tracker_requests_total", "status=\"error\"",
                     [](const Draw& d, int u) {
                       return static_cast<double>(u >= 0 ? d.user_errors[u] : d.errors);
                     });
  }
  if (s.ok()) {
    s = Header("llm_cost_tracker_prompt_tokens_total", "counter", "counter",
               "Prompt tokens consumed.", "");
  }
  if (s.ok()) {
    s = ComboCounter("llm_cost_tracker_prompt_tokens_total", "",
                     [](const Draw& d, int u) { return u >= 0 ? d.user_prompt[u] : d.prompt_tokens; });
  }
  if (s.ok()) {
    s = Header("llm_cost_tracker_completion_tokens_total", "counter", "counter",
               "Completion tokens generated.", "");
  }
  if (s.ok()) {
    s = ComboCounter("llm_cost_tracker_completion_tokens_total", "",
                     [](const Draw& d, int u) {
                       return u >= 0 ? d.user_completion[u] : d.completion_tokens;
                     });
  }
  if (s.ok()) s = Histogram();
  if (s.ok()) s = TokenHistogram();
  if (s.ok()) s = Summary();
  if (s.ok()) s = Errors();
  if (s.ok()) s = ModelCostRate();
  if (s.ok()) s = Budgets();
  if (s.ok()) s = InstanceGauges();
  if (s.ok()) s = HealthChecks();
  if (s.ok()) s = Database();
  if (s.ok() && om_) out_.append("# EOF\n");
  if (s.ok()) s = Flush();
  return s;
}

}  // namespace

int64_t LlmCostSeriesPerInstance() { return LlmCostSeriesPerInstance(LlmCostOptions{}); }

int64_t LlmCostSeriesPerInstance(const LlmCostOptions& o) {
  const int64_t models = NumModels(o), apps = NumApps(o);
  const int64_t combos = models * apps;
  const int64_t per_user = std::max(1, NumUsers(o));
  const int64_t per_combo = (1 /*cost*/ + 2 /*requests*/ + 2 /*tokens*/) * per_user +
                            (kNumBuckets + 2) /*histogram*/ +
                            (kNumTokenBuckets + 2) /*tokens histogram*/ + (3 + 2) /*summary*/;
  return combos * per_combo + models * 4 /*errors*/ + models /*cost rate*/ +
         apps * 3 /*budgets*/ + 4 /*memory*/ + 7 /*instance gauges*/ +
         kNumHealthChecks * 2 + 1 /*health checks*/ + 2 + 1 + 1 /*database*/;
}

int64_t LlmCostSampleCount(const LlmCostOptions& o) {
  const int64_t steps =
      std::max<int64_t>(1, static_cast<int64_t>(o.hours * 3600 * 1000 /
                                                static_cast<double>(o.step_ms)));
  return LlmCostSeriesPerInstance(o) * o.series_scale * steps;
}

absl::Status WriteLlmCostData(const LlmCostOptions& options,
                              const std::function<absl::Status(absl::string_view)>& sink) {
  if (!(options.hours > 0) || options.series_scale < 1 || options.step_ms < 10) {
    return absl::InvalidArgumentError(
        "generator needs hours > 0, series scale >= 1 and a step of at least 10ms");
  }
  Generator g(options, sink);
  return g.Run();
}

}  // namespace tally::sim
