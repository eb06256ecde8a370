// In-memory postings (storage/index/mem_postings.h): heap per series for 100k LLM-cost
// shaped series (5 labels; tenant 997 values, model 23, instance 250, name 4, job 1), and
// the cost of resolving a dashboard selector. Run from a Release build:
//   bench_storage --benchmark_filter=BM_Postings
#include <malloc.h>

#include "benchmark/benchmark.h"
#include "storage/index/mem_postings.h"
#include "storage/index/postings_for_matchers.h"

namespace tally::storage {
namespace {

constexpr int kSeries = 100'000;

Labels PostingsLabels(int i) {
  static const char* kNames[] = {"llm_cost_usd_total", "llm_tokens_total", "llm_requests_total",
                                 "llm_latency_seconds_bucket"};
  return Labels{{"__name__", kNames[i % 4]},
                {"instance", "gateway-" + std::to_string(i / 400) + ":9090"},
                {"job", "llm-gateway"},
                {"model", "model-" + std::to_string(i % 23)},
                {"tenant", "tenant-" + std::to_string(i % 997)}};
}

void BM_PostingsMemoryPerSeries(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<Labels> labels;
    labels.reserve(kSeries);
    for (int i = 0; i < kSeries; ++i) labels.push_back(PostingsLabels(i));
    const size_t before = mallinfo2().uordblks;
    auto p = std::make_unique<index::MemPostings>();
    for (int i = 0; i < kSeries; ++i) p->Add(static_cast<SeriesRef>(i + 1), labels[i]);
    const size_t after = mallinfo2().uordblks;
    state.counters["heap_bytes_per_series"] = static_cast<double>(after - before) / kSeries;
    state.counters["estimate_bytes_per_series"] =
        static_cast<double>(p->MemoryBytes()) / kSeries;
  }
}
BENCHMARK(BM_PostingsMemoryPerSeries)->Iterations(1)->Unit(benchmark::kMillisecond);

// {__name__="llm_cost_usd_total", model=~"model-1.*", tenant!="tenant-3"} over 100k series.
void BM_PostingsForDashboardSelector(benchmark::State& state) {
  index::MemPostings p;
  for (int i = 0; i < kSeries; ++i) p.Add(static_cast<SeriesRef>(i + 1), PostingsLabels(i));
  Matchers ms = {*Matcher::Make(MatchType::kEqual, "__name__", "llm_cost_usd_total"),
                 *Matcher::Make(MatchType::kRegexMatch, "model", "model-1.*"),
                 *Matcher::Make(MatchType::kNotEqual, "tenant", "tenant-3")};
  int64_t n = 0;
  for (auto _ : state) {
    auto r = index::PostingsForMatchers(p, ms);
    n += static_cast<int64_t>(r->size());
    benchmark::DoNotOptimize(r);
  }
  state.counters["series_per_query"] = static_cast<double>(n) / state.iterations();
}
BENCHMARK(BM_PostingsForDashboardSelector)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tally::storage
