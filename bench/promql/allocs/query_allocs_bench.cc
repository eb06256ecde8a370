// Heap allocations per PromQL query (performance issue 11: label sets on the query path).
// This binary replaces the global operator new/delete with counting versions, so every
// allocation made while a query is parsed, evaluated and its result destroyed is counted,
// on every thread (the counter is one relaxed atomic). Reports, per query:
//   allocs_per_query  heap allocations (operator new calls; malloc from C code is not seen)
//   bytes_per_query   bytes requested from operator new
//   ns_per_query      wall time (also the benchmark's own time column)
//   cpu_ns_per_query  user + system CPU of the whole process: steadier than wall time on a
//                     shared machine, and it includes the engine's worker threads
//
// Data: a synthetic LLM-cost data set written once into a temp dir from the seeded
// generators in bench/data/ (20 instances x 8 models: 160 cost counters, 160 request
// counters, 1,760 bucket counters and 1,920 gauges = 4,000 series, 3 h at 60 s), the same
// shape as bench/promql/engine_bench.cc's but smaller so the whole run takes seconds.
// Range queries cover the last hour at a 60 s step (61 steps); instant queries its end.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "bench/data/llm_cost_data.h"
#include "promql/engine.h"
#include "storage/db.h"

namespace {
std::atomic<uint64_t> g_allocs{0};
std::atomic<uint64_t> g_bytes{0};

void* CountedAlloc(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(n, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

void* CountedAlignedAlloc(size_t n, std::align_val_t al) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(n, std::memory_order_relaxed);
  const size_t a = static_cast<size_t>(al);
  // aligned_alloc wants a size that is a multiple of the alignment.
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a + (n == 0 ? a : 0))) return p;
  throw std::bad_alloc();
}
}  // namespace

// Every replaceable form, so that no allocation bypasses the count and every delete matches
// its new (all of them are malloc/free underneath).
void* operator new(size_t n) { return CountedAlloc(n); }
void* operator new[](size_t n) { return CountedAlloc(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try { return CountedAlloc(n); } catch (...) { return nullptr; }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try { return CountedAlloc(n); } catch (...) { return nullptr; }
}
void* operator new(size_t n, std::align_val_t a) { return CountedAlignedAlloc(n, a); }
void* operator new[](size_t n, std::align_val_t a) { return CountedAlignedAlloc(n, a); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try { return CountedAlignedAlloc(n, a); } catch (...) { return nullptr; }
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try { return CountedAlignedAlloc(n, a); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace tally {
namespace {

struct BenchData {
  std::string dir;
  std::unique_ptr<storage::DB> db;
  int64_t end_ms = 0;
};

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
  for (int inst = 0; inst < 20; ++inst) {
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
    d->dir = (std::filesystem::temp_directory_path() /
              absl::StrCat("tally_query_allocs_bench_", getpid()))
                 .string();
    std::filesystem::remove_all(d->dir);
    storage::DBOptions opts;
    opts.retention_check_interval_ms = 0;
    opts.sync_commits = false;
    opts.retention_ms = int64_t{1} << 60;
    opts.path = d->dir;
    auto db = storage::DB::Open(opts);
    if (!db.ok()) {
      std::fprintf(stderr, "open %s: %s\n", d->dir.c_str(), db.status().ToString().c_str());
      std::abort();
    }
    d->db = std::move(*db);
    Fill(d->db.get(), 1'735'689'600'000, 3 * 60 + 1);
    std::atexit([] {  // the data dir is ours: remove it when the bench exits
      Data().db.reset();
      std::error_code ec;
      std::filesystem::remove_all(Data().dir, ec);
    });
    auto st = d->db->Stats(1);
    d->end_ms = st.ok() ? st->max_time_ms / 60'000 * 60'000 : 0;
    std::fprintf(stderr, "query_allocs_bench: %lld series, %lld samples\n",
                 static_cast<long long>(st.ok() ? st->num_series : 0),
                 static_cast<long long>(st.ok() ? st->num_samples : 0));
    return d;
  }();
  return *d;
}

double ProcessCpuNs() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

// Runs `query` (range over the last hour at 60 s, or instant at the end) per iteration,
// counting allocations from parse to the destruction of the result.
void Run(benchmark::State& state, const char* query, bool range) {
  BenchData& d = Data();
  promql::Engine engine;
  const int64_t end = d.end_ms, start = end - 3'600'000;
  int64_t out_series = 0;
  // One warm-up run so that lazily built caches (block cache, regex cache) are not billed
  // to the first iteration.
  {
    auto q = range ? engine.NewRangeQuery(d.db.get(), query, start, end, 60'000)
                   : engine.NewInstantQuery(d.db.get(), query, end);
    if (!q.ok() || !(*q)->Exec().ok()) {
      state.SkipWithError("query failed");
      return;
    }
  }
  const uint64_t a0 = g_allocs.load(), b0 = g_bytes.load();
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = ProcessCpuNs();
  for (auto _ : state) {
    auto q = range ? engine.NewRangeQuery(d.db.get(), query, start, end, 60'000)
                   : engine.NewInstantQuery(d.db.get(), query, end);
    auto v = (*q)->Exec();
    if (!v.ok()) {
      state.SkipWithError(std::string(v.status().message()).c_str());
      return;
    }
    if (const auto* m = std::get_if<promql::Matrix>(&*v)) out_series = static_cast<int64_t>(m->size());
    if (const auto* m = std::get_if<promql::Vector>(&*v)) out_series = static_cast<int64_t>(m->size());
    benchmark::DoNotOptimize(out_series);
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  const double it = static_cast<double>(state.iterations());
  state.counters["allocs_per_query"] = static_cast<double>(g_allocs.load() - a0) / it;
  state.counters["bytes_per_query"] = static_cast<double>(g_bytes.load() - b0) / it;
  state.counters["ns_per_query"] = ns / it;
  state.counters["cpu_ns_per_query"] = (ProcessCpuNs() - cpu0) / it;
  state.counters["out_series"] = static_cast<double>(out_series);
}

// 1,920 series, labels copied into the result as they are.
void BM_Selector(benchmark::State& s) { Run(s, "llm_cost_tracker_memory_usage_bytes", false); }
void BM_SelectorRange(benchmark::State& s) {
  Run(s, "llm_cost_tracker_memory_usage_bytes", true);
}
// Drops __name__ per series, then groups by one label.
void BM_SumByModelRate(benchmark::State& s) {
  Run(s, "sum by (model) (rate(llm_cost_tracker_total_cost_usd[5m]))", true);
}
void BM_SumWithoutWorker(benchmark::State& s) {
  Run(s, "sum without (worker) (llm_cost_tracker_memory_usage_bytes)", true);
}
// Many-to-one matching: signatures on (instance, model) and a copied label per output.
void BM_GroupLeft(benchmark::State& s) {
  Run(s,
      "llm_cost_tracker_memory_usage_bytes * on (instance, model) group_left (application) "
      "llm_cost_tracker_requests_total",
      true);
}
void BM_LabelReplace(benchmark::State& s) {
  Run(s,
      "label_replace(rate(llm_cost_tracker_requests_total[5m]), \"provider\", \"$1\", "
      "\"model\", \"([a-z]+)-.*\")",
      true);
}
void BM_Topk(benchmark::State& s) {
  Run(s, "topk(5, rate(llm_cost_tracker_requests_total[5m]))", true);
}

BENCHMARK(BM_Selector)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SelectorRange)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SumByModelRate)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SumWithoutWorker)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_GroupLeft)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_LabelReplace)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Topk)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace tally
