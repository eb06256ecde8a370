#include "bench/data/llm_cost_data.h"

#include <algorithm>
#include <cmath>

namespace tally::bench {
namespace {

// SplitMix64: tiny, fast and fully specified, so outputs never change across platforms.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  bool Chance(double p) { return Uniform() < p; }
  int64_t Int(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t s_;
};

// Grid timestamps with jitter, forced strictly increasing whatever the options.
class Clock {
 public:
  Clock(const SeriesOptions& o, Rng* rng) : o_(o), rng_(rng) {}
  int64_t At(int i) {
    int64_t t = o_.start_ms + static_cast<int64_t>(i) * o_.step_ms;
    if (o_.jitter_ms > 0) t += rng_->Int(-o_.jitter_ms, o_.jitter_ms);
    if (i > 0 && t <= prev_) t = prev_ + 1;
    prev_ = t;
    return t;
  }

 private:
  SeriesOptions o_;
  Rng* rng_;
  int64_t prev_ = 0;
};

constexpr double kResetChance = 1.0 / 5000;  // a process restart every ~21 h at 15 s

}  // namespace

std::vector<storage::Sample> GenerateSeries(SeriesShape shape, int n, uint64_t seed,
                                            const SeriesOptions& opts) {
  Rng rng(seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(shape));
  Clock clock(opts, &rng);
  std::vector<storage::Sample> out;
  out.reserve(static_cast<size_t>(std::max(n, 0)));
  double v = 0;
  switch (shape) {
    case SeriesShape::kMemoryGauge:
      v = 2.0 * (1 << 30);
      break;
    case SeriesShape::kBudgetGauge:
      v = 500.0;
      break;
    case SeriesShape::kConstant:
      v = 1.0;
      break;
    default:
      break;
  }
  for (int i = 0; i < n; ++i) {
    const int64_t t = clock.At(i);
    switch (shape) {
      case SeriesShape::kCostCounter:
        if (rng.Chance(kResetChance)) {
          v = 0;
        } else if (rng.Chance(0.8)) {
          v += rng.Uniform(0.0012, 0.03);
        }
        break;
      case SeriesShape::kTokenCounter:
        if (rng.Chance(kResetChance)) {
          v = 0;
        } else if (rng.Chance(0.8)) {
          v += static_cast<double>(rng.Int(0, 4000));
        }
        break;
      case SeriesShape::kMemoryGauge:
        v += 4096.0 * static_cast<double>(rng.Int(-256, 256));
        break;
      case SeriesShape::kBudgetGauge:
        if (i > 0 && i % 172800 == 0) {
          v = 500.0;  // monthly top-up (30 days of 15 s scrapes)
        } else if (rng.Chance(0.8)) {
          v -= rng.Uniform(0.0012, 0.03);
        }
        break;
      case SeriesShape::kHistogramBucket:
        if (rng.Chance(kResetChance)) {
          v = 0;
        } else {
          v += static_cast<double>(rng.Int(0, 12));
        }
        break;
      case SeriesShape::kConstant:
        break;
      case SeriesShape::kRandomFloat:
        v = rng.Uniform(-1e6, 1e6);
        break;
    }
    out.push_back(storage::Sample{t, v});
  }
  return out;
}

std::vector<std::vector<storage::Sample>> GenerateHistogram(const std::vector<double>& le, int n,
                                                            uint64_t seed,
                                                            const SeriesOptions& opts) {
  Rng rng(seed ^ 0x6a09e667f3bcc909ULL);
  Clock clock(opts, &rng);
  std::vector<std::vector<storage::Sample>> out(le.size());
  for (auto& s : out) s.reserve(static_cast<size_t>(std::max(n, 0)));
  std::vector<double> counts(le.size(), 0.0);
  for (int i = 0; i < n; ++i) {
    const int64_t t = clock.At(i);
    const int64_t requests = rng.Int(0, 20);
    for (int64_t r = 0; r < requests; ++r) {
      // LLM request latency: log-uniform between 50 ms and 30 s.
      const double latency = 0.05 * std::exp(rng.Uniform() * std::log(600.0));
      for (size_t b = 0; b < le.size(); ++b) {
        if (latency <= le[b]) counts[b] += 1;
      }
    }
    for (size_t b = 0; b < le.size(); ++b) out[b].push_back(storage::Sample{t, counts[b]});
  }
  return out;
}

absl::string_view SeriesShapeName(SeriesShape shape) {
  switch (shape) {
    case SeriesShape::kCostCounter:
      return "cost_counter";
    case SeriesShape::kTokenCounter:
      return "token_counter";
    case SeriesShape::kMemoryGauge:
      return "memory_gauge";
    case SeriesShape::kBudgetGauge:
      return "budget_gauge";
    case SeriesShape::kHistogramBucket:
      return "histogram_bucket";
    case SeriesShape::kConstant:
      return "constant";
    case SeriesShape::kRandomFloat:
      return "random_float";
  }
  return "unknown";
}

const std::vector<SeriesShape>& AllSeriesShapes() {
  static const auto* shapes = new std::vector<SeriesShape>{
      SeriesShape::kCostCounter, SeriesShape::kTokenCounter,    SeriesShape::kMemoryGauge,
      SeriesShape::kBudgetGauge, SeriesShape::kHistogramBucket, SeriesShape::kConstant,
      SeriesShape::kRandomFloat};
  return *shapes;
}

}  // namespace tally::bench
