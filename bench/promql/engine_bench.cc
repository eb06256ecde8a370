// Dashboard range queries (24 h at a 60 s step) over >= 10k series: the seed's
// sum-by-model increase, histogram_quantile over summed bucket rates, topk over rates and
// predict_linear over 4 h. Reports ms per query (the benchmark time), output points and the
// process's peak RSS.
//
// Data: TALLY_BENCH_DATA_DIR=<dir> benchmarks an existing data dir (e.g. one filled by
// `tally generate | tally backfill`, as bench/compare/engine_vs_prometheus.sh does; the
// query window is the last 24 h of its data). Without it, a synthetic data set of the same
// shape is written once into a temp dir from the seeded generators in bench/data/ (50
// instances x 8 models: 400 cost counters, 400 request counters, 4,400 bucket counters and
// 4,800 gauges = 10,000 series, 25 h at 60 s).
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "bench/data/llm_cost_data.h"
#include "promql/engine.h"
#include "storage/db.h"

namespace tally {
namespace {

constexpr int64_t kHourMs = 3'600'000;

struct BenchData {
  std::string dir;
  bool owned = false;
  std::unique_ptr<storage::DB> db;
  int64_t end_ms = 0;
};

int64_t PeakRssBytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;
}

void Fill(storage::DB* db, int64_t start_ms, int n) {
  bench::SeriesOptions o;
  o.start_ms = start_ms;
  o.step_ms = 60'000;
  static const char* kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-haiku",
                                  "gemini-1.5-pro", "llama-3-70b", "mistral-large", "o1"};
  static const char* kApps[] = {"chatbot", "search", "summarizer", "code-assistant", "agent"};
  const std::vector<double> le = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                                  std::numeric_limits<double>::infinity()};
  uint64_t seed = 1;
  for (int inst = 0; inst < 50; ++inst) {
    auto app = db->NewAppender();
    std::string instance = absl::StrCat("tracker-", inst, ":8000");
    for (int m = 0; m < 8; ++m) {
      const char* model = kModels[m];
      const char* application = kApps[(inst + m) % 5];
      auto add = [&](const storage::Labels& l, const std::vector<storage::Sample>& s) {
        for (const auto& x : s) (void)app->Append(l, x.t_ms, x.v);
      };
      add(storage::Labels({{"__name__", "llm_cost_tracker_total_cost_usd"},
                           {"application", application}, {"instance", instance},
                           {"model", model}}),
          bench::GenerateSeries(bench::SeriesShape::kCostCounter, n, seed++, o));
      add(storage::Labels({{"__name__", "llm_cost_tracker_requests_total"},
                           {"application", application}, {"instance", instance},
                           {"model", model}}),
          bench::GenerateSeries(bench::SeriesShape::kTokenCounter, n, seed++, o));
      auto h = bench::GenerateHistogram(le, n, seed++, o);
      for (size_t b = 0; b < le.size(); ++b) {
        std::string les = std::isinf(le[b]) ? "+Inf" : absl::StrCat(le[b]);
        add(storage::Labels({{"__name__", "llm_cost_tracker_request_duration_seconds_bucket"},
                             {"instance", instance}, {"le", les}, {"model", model}}),
            h[b]);
      }
      for (int g = 0; g < 12; ++g) {
        add(storage::Labels({{"__name__", "llm_cost_tracker_memory_usage_bytes"},
                             {"instance", instance}, {"model", model},
                             {"worker", absl::StrCat(g)}}),
            bench::GenerateSeries(bench::SeriesShape::kMemoryGauge, n, seed++, o));
      }
    }
    (void)app->Commit();
  }
}

BenchData& Data() {
  static BenchData* d = [] {
    auto* d = new BenchData;
    const char* env = std::getenv("TALLY_BENCH_DATA_DIR");
    storage::DBOptions opts;
    opts.retention_check_interval_ms = 0;
    opts.sync_commits = false;
    opts.retention_ms = int64_t{1} << 60;
    if (env != nullptr && *env != '\0') {
      d->dir = env;
    } else {
      d->dir = (std::filesystem::temp_directory_path() / "tally_engine_bench").string();
      d->owned = true;
      std::filesystem::remove_all(d->dir);
    }
    opts.path = d->dir;
    auto db = storage::DB::Open(opts);
    if (!db.ok()) {
      std::fprintf(stderr, "open %s: %s\n", d->dir.c_str(), db.status().ToString().c_str());
      std::abort();
    }
    d->db = std::move(*db);
    if (d->owned) {
      Fill(d->db.get(), 1'735'689'600'000, 25 * 60 + 1);
      std::atexit([] {  // the synthetic data dir is ours: remove it when the bench exits
        Data().db.reset();
        std::error_code ec;
        std::filesystem::remove_all(Data().dir, ec);
      });
    }
    auto st = d->db->Stats(1);
    d->end_ms = st.ok() ? st->max_time_ms / 60'000 * 60'000 : 0;
    std::fprintf(stderr, "engine_bench: %s, %lld series, %lld samples\n", d->dir.c_str(),
                 static_cast<long long>(st.ok() ? st->num_series : 0),
                 static_cast<long long>(st.ok() ? st->num_samples : 0));
    return d;
  }();
  return *d;
}

// User + system CPU of the whole process (all threads), in ms: on a shared machine this is
// steadier than wall time, and it shows what parallel evaluation costs in total.
double ProcessCpuMs() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

void RunRange(benchmark::State& state, const char* query) {
  BenchData& d = Data();
  promql::Engine engine;
  const int64_t end = d.end_ms, start = end - 24 * kHourMs;
  int64_t points = 0, series = 0;
  const double cpu0 = ProcessCpuMs();
  for (auto _ : state) {
    auto q = engine.NewRangeQuery(d.db.get(), query, start, end, 60'000);
    if (!q.ok()) {
      state.SkipWithError(std::string(q.status().message()).c_str());
      return;
    }
    auto v = (*q)->Exec();
    if (!v.ok()) {
      state.SkipWithError(std::string(v.status().message()).c_str());
      return;
    }
    const auto& m = std::get<promql::Matrix>(*v);
    series = static_cast<int64_t>(m.size());
    points = 0;
    for (const auto& s : m) points += static_cast<int64_t>(s.points.size());
    benchmark::DoNotOptimize(points);
  }
  state.counters["cpu_ms"] = (ProcessCpuMs() - cpu0) / static_cast<double>(state.iterations());
  state.counters["out_series"] = static_cast<double>(series);
  state.counters["out_points"] = static_cast<double>(points);
  state.counters["peak_rss_MiB"] = static_cast<double>(PeakRssBytes()) / (1 << 20);
}

void BM_SumIncrease1h(benchmark::State& s) {
  RunRange(s, "sum by (model) (increase(llm_cost_tracker_total_cost_usd[1h]))");
}
void BM_HistogramQuantileP95(benchmark::State& s) {
  RunRange(s,
           "histogram_quantile(0.95, sum by (le) "
           "(rate(llm_cost_tracker_request_duration_seconds_bucket[5m])))");
}
void BM_TopkRate(benchmark::State& s) {
  RunRange(s, "topk(5, rate(llm_cost_tracker_requests_total[5m]))");
}
void BM_PredictLinear4h(benchmark::State& s) {
  RunRange(s, "predict_linear(llm_cost_tracker_total_cost_usd[4h], 3600)");
}

// Long windows: the cost must not grow with the window length (promql/window_index.h).
void BM_SumIncrease24h(benchmark::State& s) {
  RunRange(s, "sum(increase(llm_cost_tracker_total_cost_usd[24h]))");
}
void BM_SumRate5m(benchmark::State& s) {
  RunRange(s, "sum(rate(llm_cost_tracker_total_cost_usd[5m]))");
}
void BM_MaxOverTime24h(benchmark::State& s) {
  RunRange(s, "max_over_time(llm_cost_tracker_memory_usage_bytes[24h])");
}
void BM_ChangesResets6h(benchmark::State& s) {
  RunRange(s, "changes(llm_cost_tracker_memory_usage_bytes[6h]) + resets(llm_cost_tracker_memory_usage_bytes[6h])");
}

// Per-window chains (bit-exactness forbids sliding them): lanes and the sorted window.
void BM_AvgOverTime1h(benchmark::State& s) {
  RunRange(s, "avg_over_time(llm_cost_tracker_memory_usage_bytes[1h])");
}
void BM_StddevOverTime1h(benchmark::State& s) {
  RunRange(s, "stddev_over_time(llm_cost_tracker_memory_usage_bytes[1h])");
}
void BM_QuantileOverTime6h(benchmark::State& s) {
  RunRange(s, "quantile_over_time(0.9, llm_cost_tracker_memory_usage_bytes[6h])");
}

BENCHMARK(BM_AvgOverTime1h)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_StddevOverTime1h)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_QuantileOverTime6h)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SumIncrease24h)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SumRate5m)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MaxOverTime24h)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ChangesResets6h)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SumIncrease1h)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HistogramQuantileP95)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TopkRate)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PredictLinear4h)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tally
