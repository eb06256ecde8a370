#include "tools/sim/llm_cost_generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/ingest/go_float.h"

namespace tally::sim {
namespace {

using storage::TextFormat;

struct Model {
  const char* name;
  const char* provider;
  double price_in;   // USD per prompt token
  double price_out;  // USD per completion token
  double weight;     // relative traffic
  double latency_s;  // median latency of a 500-token completion
};
constexpr Model kModels[] = {
    {"gpt-4o", "openai", 2.5e-6, 10e-6, 4, 1.8},
    {"gpt-4o-mini", "openai", 0.15e-6, 0.6e-6, 8, 0.9},
    {"claude-3-5-sonnet", "anthropic", 3e-6, 15e-6, 3, 2.2},
    {"claude-3-haiku", "anthropic", 0.25e-6, 1.25e-6, 4, 0.8},
    {"gemini-1.5-pro", "google", 1.25e-6, 5e-6, 2, 2.0},
    {"llama-3-70b", "together", 0.9e-6, 0.9e-6, 1, 1.4},
};
constexpr int kNumModels = sizeof(kModels) / sizeof(kModels[0]);

struct App {
  const char* name;
  double weight;
  double prompt_mean;
  double completion_mean;
  double daily_budget_usd;
};
constexpr App kApps[] = {
    {"chatbot", 3, 900, 350, 250},
    {"summarizer", 1, 3500, 250, 60},
    {"code-assistant", 2, 1800, 600, 200},
    {"search-rag", 1.5, 2600, 300, 90},
};
constexpr int kNumApps = sizeof(kApps) / sizeof(kApps[0]);

constexpr double kLe[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40};
constexpr int kNumLe = sizeof(kLe) / sizeof(kLe[0]);
constexpr int kNumBuckets = kNumLe + 1;  // + "+Inf"
constexpr double kQuantiles[] = {0.5, 0.9, 0.99};
constexpr const char* kErrorTypes[] = {"rate_limit", "timeout", "invalid_request",
                                       "server_error"};
struct Component {
  const char* name;
  double base_bytes;
};
constexpr Component kComponents[] = {
    {"api", 512.0 * (1 << 20)},
    {"worker", 1536.0 * (1 << 20)},
    {"cache", 768.0 * (1 << 20)},
    {"db_pool", 128.0 * (1 << 20)},
};
constexpr double kMemoryLimitBytes = 4.0 * (1 << 30);
constexpr int kMaxRequestsPerStep = 256;
constexpr double kBaseRatePerSecond = 0.01;  // × model weight × app weight
constexpr int64_t kMeanRestartIntervalMs = int64_t{6} * 3600 * 1000;

// SplitMix64: the PRNG and the key mixer (same results on every platform).
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline uint64_t Key(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0) {
  return Mix(seed ^ Mix(a ^ Mix(b ^ Mix(c ^ Mix(d)))));
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ += 0x9e3779b97f4a7c15ULL;
    return Mix(s_);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1p-53; }
  double Gauss() {  // Box-Muller, one value per call
    const double u1 = std::max(Uniform(), 1e-300);
    const double u2 = Uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  int Poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean < 30) {  // Knuth
      const double l = std::exp(-mean);
      int k = 0;
      double p = 1;
      do {
        ++k;
        p *= Uniform();
      } while (p > l);
      return k - 1;
    }
    return std::max(0, static_cast<int>(std::lround(mean + std::sqrt(mean) * Gauss())));
  }

 private:
  uint64_t s_;
};

// Traffic of one (instance, model, application) during one scrape interval.
struct Draw {
  int success = 0;
  int errors = 0;
  std::array<int, 4> errors_by_type{};
  double prompt_tokens = 0;
  double completion_tokens = 0;
  double cost = 0;
  std::array<double, kNumBuckets> bucket{};  // cumulative (le) counts
  double latency_sum = 0;
  std::array<double, 3> cost_quantile{};     // NaN without successful requests
};

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
  }

  int64_t steps() const { return steps_; }

  absl::Status Run();

 private:
  static constexpr size_t kFlushBytes = 1 << 20;

  int64_t TimeMs(int instance, int64_t step) const {
    // A scrape lands a few ms off its grid point; all series of an instance share it.
    const int64_t jitter = static_cast<int64_t>(Key(o_.seed, 0x7a11, instance, step) % 7) - 3;
    return start_ms_ + step * o_.step_ms + jitter;
  }
  bool Restarted(int instance, int64_t step) const {
    const uint64_t every = static_cast<uint64_t>(std::max<int64_t>(1, kMeanRestartIntervalMs / o_.step_ms));
    return step > 0 && Key(o_.seed, 0x5e5e, instance, step) % every == 0;
  }
  double Diurnal(int64_t t_ms) const {
    // Traffic peaks at 15:00 UTC and bottoms out at 03:00 UTC.
    const double day_frac = static_cast<double>(t_ms % 86'400'000) / 86'400'000.0;
    return 0.6 + 0.4 * std::sin(6.283185307179586 * (day_frac - 0.375));
  }

  Draw MakeDraw(int instance, int model, int app, int64_t step) const;

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
  absl::Status Summary();
  absl::Status Errors();
  absl::Status ModelCostRate();
  absl::Status Budgets();
  absl::Status InstanceGauges();

  const LlmCostOptions& o_;
  const std::function<absl::Status(absl::string_view)>& sink_;
  int64_t start_ms_ = 0;
  int64_t steps_ = 0;
  bool om_ = true;
  std::string out_;
  std::string prefix_;
  std::vector<Draw> draws_;  // one group's draws over all steps, reused
};

Draw Generator::MakeDraw(int instance, int model, int app, int64_t step) const {
  Draw d;
  Rng r(Key(o_.seed, instance + 1, model + 1, app + 1, step));
  const Model& m = kModels[model];
  const App& a = kApps[app];
  const double step_s = static_cast<double>(o_.step_ms) / 1000;
  const double mean =
      kBaseRatePerSecond * m.weight * a.weight * step_s * Diurnal(TimeMs(instance, step));
  const int n = std::min(r.Poisson(mean), kMaxRequestsPerStep);
  std::array<double, kMaxRequestsPerStep> costs;
  int nc = 0;
  for (int i = 0; i < n; ++i) {
    const bool error = r.Uniform() < 0.02;
    double latency;
    if (error) {
      ++d.errors;
      const int type = static_cast<int>(r.Next() % 4);
      ++d.errors_by_type[type];
      latency = type == 1 ? 30 + 10 * r.Uniform() : 0.05 + 0.2 * r.Uniform();
    } else {
      ++d.success;
      const double pt = std::round(a.prompt_mean * std::exp(0.5 * r.Gauss()));
      const double ct = std::round(a.completion_mean * std::exp(0.6 * r.Gauss()));
      d.prompt_tokens += pt;
      d.completion_tokens += ct;
      const double cost = pt * m.price_in + ct * m.price_out;
      d.cost += cost;
      costs[nc++] = cost;
      latency = m.latency_s * (0.3 + ct / 700) * std::exp(0.4 * r.Gauss());
    }
    d.latency_sum += latency;
    for (int b = 0; b < kNumBuckets; ++b) {
      if (b == kNumLe || latency <= kLe[b]) d.bucket[b] += 1;
    }
  }
  std::sort(costs.begin(), costs.begin() + nc);
  for (int q = 0; q < 3; ++q) {
    d.cost_quantile[q] =
        nc == 0 ? std::nan("")
                : costs[std::min(nc - 1, static_cast<int>(kQuantiles[q] * nc))];
  }
  return d;
}

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
  for (int i = 0; i < o_.series_scale; ++i) {
    for (int m = 0; m < kNumModels; ++m) {
      for (int a = 0; a < kNumApps; ++a) {
        std::string labels = ComboLabels(i, m, a);
        if (!extra.empty()) absl::StrAppend(&labels, ",", extra);
        BeginSeries(name, labels);
        double v = 0;
        for (int64_t s = 0; s < steps_; ++s) {
          if (Restarted(i, s)) v = 0;
          v += inc(MakeDraw(i, m, a, s));
          Sample(i, s, v);
        }
        if (absl::Status st = MaybeFlush(); !st.ok()) return st;
      }
    }
  }
  return absl::OkStatus();
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
    for (int m = 0; m < kNumModels; ++m) {
      for (int a = 0; a < kNumApps; ++a) {
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
    for (int m = 0; m < kNumModels; ++m) {
      for (int a = 0; a < kNumApps; ++a) {
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
    for (int m = 0; m < kNumModels; ++m) {
      for (int e = 0; e < 4; ++e) {
        BeginSeries(kName, absl::StrCat(InstanceLabels(i), ",model=\"", kModels[m].name,
                                        "\",provider=\"", kModels[m].provider, "\",type=\"",
                                        kErrorTypes[e], "\""));
        double v = 0;
        for (int64_t s = 0; s < steps_; ++s) {
          if (Restarted(i, s)) v = 0;
          for (int a = 0; a < kNumApps; ++a) v += MakeDraw(i, m, a, s).errors_by_type[e];
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
    for (int m = 0; m < kNumModels; ++m) {
      BeginSeries(kName, absl::StrCat(InstanceLabels(i), ",model=\"", kModels[m].name,
                                      "\",provider=\"", kModels[m].provider, "\""));
      double ema = 0;
      for (int64_t s = 0; s < steps_; ++s) {
        double cost = 0;
        for (int a = 0; a < kNumApps; ++a) cost += MakeDraw(i, m, a, s).cost;
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
      for (int a = 0; a < kNumApps; ++a) {
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
            for (int m = 0; m < kNumModels; ++m) spent += MakeDraw(i, m, a, s).cost;
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
        }
        Sample(i, s, v);
      }
      if (absl::Status st = MaybeFlush(); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::Status Generator::Run() {
  // Cost: OpenMetrics wants counters to end in _total; the guide's name does not, so it is
  // declared unknown there (see the header).
  constexpr absl::string_view kCost = "llm_cost_tracker_total_cost_usd";
  absl::Status s = Header(kCost, "unknown", "counter",
                          "Total cost accumulated by model and application (a counter).", "usd");
  if (s.ok()) s = ComboCounter(kCost, "", [](const Draw& d) { return d.cost; });
  if (s.ok()) {
    s = Header("llm_cost_tracker_requests_total", "counter", "counter",
               "Total requests by model, application and status.", "");
  }
  if (s.ok()) {
    s = ComboCounter("llm_cost_tracker_requests_total", "status=\"success\"",
                     [](const Draw& d) { return static_cast<double>(d.success); });
  }
  if (s.ok()) {
    s = ComboCounter("llm_cost_tracker_requests_total", "status=\"error\"",
                     [](const Draw& d) { return static_cast<double>(d.errors); });
  }
  if (s.ok()) {
    s = Header("llm_cost_tracker_prompt_tokens_total", "counter", "counter",
               "Prompt tokens consumed.", "");
  }
  if (s.ok()) {
    s = ComboCounter("llm_cost_tracker_prompt_tokens_total", "",
                     [](const Draw& d) { return d.prompt_tokens; });
  }
  if (s.ok()) {
    s = Header("llm_cost_tracker_completion_tokens_total", "counter", "counter",
               "Completion tokens generated.", "");
  }
  if (s.ok()) {
    s = ComboCounter("llm_cost_tracker_completion_tokens_total", "",
                     [](const Draw& d) { return d.completion_tokens; });
  }
  if (s.ok()) s = Histogram();
  if (s.ok()) s = Summary();
  if (s.ok()) s = Errors();
  if (s.ok()) s = ModelCostRate();
  if (s.ok()) s = Budgets();
  if (s.ok()) s = InstanceGauges();
  if (s.ok() && om_) out_.append("# EOF\n");
  if (s.ok()) s = Flush();
  return s;
}

}  // namespace

int64_t LlmCostSeriesPerInstance() {
  const int64_t combos = kNumModels * kNumApps;
  const int64_t per_combo = 1 /*cost*/ + 2 /*requests*/ + 2 /*tokens*/ +
                            (kNumBuckets + 2) /*histogram*/ + (3 + 2) /*summary*/;
  return combos * per_combo + kNumModels * 4 /*errors*/ + kNumModels /*cost rate*/ +
         kNumApps * 3 /*budgets*/ + 4 /*memory*/ + 6 /*instance gauges*/;
}

int64_t LlmCostSampleCount(const LlmCostOptions& o) {
  const int64_t steps =
      std::max<int64_t>(1, static_cast<int64_t>(o.hours * 3600 * 1000 /
                                                static_cast<double>(o.step_ms)));
  return LlmCostSeriesPerInstance() * o.series_scale * steps;
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
