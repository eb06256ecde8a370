// End-to-end append throughput through DB::Appender with 100k active series (each commit
// 10k samples, sync_commits on: every commit is fsynced), and head memory per active
// series. Run from a Release build:
//   bench_storage --benchmark_filter=BM_Append
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <malloc.h>

#include "benchmark/benchmark.h"
#include "bench/data/llm_cost_data.h"
#include "storage/db.h"
#include "storage/head/head.h"

namespace tally::storage {
namespace {

constexpr int kSeries = 100'000;
constexpr int kBatch = 10'000;
constexpr int64_t kStepMs = 15'000;

std::string TempPath() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/tally-bench-XXXXXX";
  return std::string(::mkdtemp(tmpl.data()));
}

Labels SeriesLabels(int i) {
  // LLM-cost shaped: a few metric names, models, tenants, one instance label per series.
  static const char* kNames[] = {"llm_cost_usd_total", "llm_tokens_total", "llm_requests_total",
                                 "llm_latency_seconds_bucket"};
  return Labels{{"__name__", kNames[i % 4]},
                {"instance", "gateway-" + std::to_string(i / 400) + ":9090"},
                {"job", "llm-gateway"},
                {"model", "model-" + std::to_string(i % 23)},
                {"tenant", "tenant-" + std::to_string(i % 997)}};
}

// Realistic values: series i follows shape i % 6 (cost/token counters, gauges, histogram
// buckets, constants; bench/data), one precomputed template per shape.
const std::vector<std::vector<double>>& ValueTemplates() {
  static const auto* t = [] {
    auto* out = new std::vector<std::vector<double>>();
    for (int k = 0; k < 6; ++k) {
      std::vector<double> v;
      for (const Sample& s : bench::GenerateSeries(bench::AllSeriesShapes()[k], 256, k)) {
        v.push_back(s.v);
      }
      out->push_back(std::move(v));
    }
    return out;
  }();
  return *t;
}

double ValueAt(int series, int64_t round) {
  return ValueTemplates()[series % 6][round % 256];
}

// Appends one round (one sample per series) for series [lo, hi) at time t.
void AppendRound(DB* db, const std::vector<SeriesRef>& refs, int lo, int hi, int64_t t) {
  for (int start = lo; start < hi; start += kBatch) {
    auto app = db->NewAppender();
    const int end = std::min(hi, start + kBatch);
    for (int i = start; i < end; ++i) {
      if (!app->Append(refs[i], t, ValueAt(i, t / kStepMs)).ok()) std::abort();
    }
    auto r = app->Commit();
    if (!r.ok() || r->rejected() != 0) std::abort();
  }
}

void BM_Append(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const std::string dir = TempPath();
  DBOptions o;
  o.path = dir;
  o.sync_commits = true;
  o.retention_check_interval_ms = 0;
  auto db = DB::Open(o);
  if (!db.ok()) {
    state.SkipWithError(std::string(db.status().message()).c_str());
    return;
  }
  std::vector<SeriesRef> refs(kSeries);
  {
    auto app = (*db)->NewAppender();
    for (int i = 0; i < kSeries; ++i) refs[i] = *app->Append(SeriesLabels(i), 0, 0);
    if (!app->Commit().ok()) std::abort();
  }
  int64_t t = 0;
  for (auto _ : state) {
    t += kStepMs;
    std::vector<std::thread> ts;
    for (int k = 0; k < threads; ++k) {
      ts.emplace_back([&, k] {
        AppendRound(db->get(), refs, kSeries * k / threads, kSeries * (k + 1) / threads, t);
      });
    }
    for (auto& th : ts) th.join();
  }
  state.SetItemsProcessed(state.iterations() * int64_t{kSeries});
  auto st = (*db)->Stats(0);
  if (st.ok()) {
    state.counters["head_bytes_per_series"] =
        static_cast<double>(st->head_memory_bytes) / st->head_series;
    state.counters["series"] = static_cast<double>(st->num_series);
    state.counters["samples_per_series"] = static_cast<double>(st->num_samples) / kSeries;
  }
  db->reset();
  std::filesystem::remove_all(dir);
}
// 130 iterations = 130 samples per series: every series seals one chunk during the run.
BENCHMARK(BM_Append)->Arg(1)->Arg(2)->Iterations(130)->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Remote-write shaped ingest: `threads` senders each commit 50-sample requests (one sample
// per series, 50 series per request; the 10k series are split between the senders) while
// a reader keeps a Querier open (range 1 = one Querier held for the whole run, i.e. across
// 200 commits per series: the worst case for isolation bookkeeping, each series then keeps
// up to 200 marks; 0 = none). sync_commits off, so the per-commit CPU cost of the
// commit pipeline (group commit, isolation publish) is what is measured, not fsync.
//   bench_storage --benchmark_filter=BM_AppendSmallCommits
void BM_AppendSmallCommits(benchmark::State& state) {
  constexpr int kSmallSeries = 10'000;
  constexpr int kRequest = 50;
  const int threads = static_cast<int>(state.range(0));
  const bool hold_reader = state.range(1) != 0;
  const std::string dir = TempPath();
  DBOptions o;
  o.path = dir;
  o.sync_commits = false;
  o.retention_check_interval_ms = 0;
  auto db = DB::Open(o);
  if (!db.ok()) {
    state.SkipWithError(std::string(db.status().message()).c_str());
    return;
  }
  std::vector<SeriesRef> refs(kSmallSeries);
  {
    auto app = (*db)->NewAppender();
    for (int i = 0; i < kSmallSeries; ++i) refs[i] = *app->Append(SeriesLabels(i), 0, 0);
    if (!app->Commit().ok()) std::abort();
  }
  std::unique_ptr<Querier> held;
  if (hold_reader) held = (*db)->NewQuerier(kMinTime, kMaxTime);
  int64_t t = 0;
  for (auto _ : state) {
    t += kStepMs;
    std::vector<std::thread> ts;
    for (int k = 0; k < threads; ++k) {
      ts.emplace_back([&, k] {
        const int lo = kSmallSeries * k / threads, hi = kSmallSeries * (k + 1) / threads;
        for (int start = lo; start < hi; start += kRequest) {
          auto app = (*db)->NewAppender();
          for (int i = start; i < std::min(hi, start + kRequest); ++i) {
            if (!app->Append(refs[i], t, ValueAt(i, t / kStepMs)).ok()) std::abort();
          }
          auto r = app->Commit();
          if (!r.ok() || r->rejected() != 0) std::abort();
        }
      });
    }
    for (auto& th : ts) th.join();
  }
  state.SetItemsProcessed(state.iterations() * int64_t{kSmallSeries});
  held.reset();
  db->reset();
  std::filesystem::remove_all(dir);
}
// Process CPU time (all threads), not wall time: on a shared machine wall time mostly
// measures the neighbours; items_per_second is samples per CPU-second.
BENCHMARK(BM_AppendSmallCommits)->Args({4, 0})->Args({4, 1})->Iterations(200)
    ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// Real heap bytes per active series in the head (malloc's own accounting, so allocator
// overhead and string/vector slack are included): 100k series created through the head's
// striped map with the same labels as BM_Append, each with an open chunk holding 60
// samples (a chunk is on average half full). RocksDB is not involved.
void BM_HeadMemoryPerSeries(benchmark::State& state) {
  for (auto _ : state) {
    ValueTemplates();
    std::vector<head::MemSeries*> all;
    all.reserve(kSeries);
    const size_t before = mallinfo2().uordblks;
    auto h = std::make_unique<head::Head>();
    for (int i = 0; i < kSeries; ++i) {
      const Labels l = SeriesLabels(i);
      bool created;
      all.push_back(h->GetOrCreate(l, l.StableHash(), &created));
    }
    const size_t mid = mallinfo2().uordblks;
    for (head::MemSeries* s : all) {
      absl::MutexLock lock(&s->mu);
      for (int k = 0; k < 60; ++k) {
        const int64_t t = k * kStepMs;
        if (!s->open) s->open = std::make_unique<head::HeadChunk>(t, 1);
        s->open->app.Append(t, ValueAt(static_cast<int>(s->ref), k));
        s->open->maxt = t;
        s->last_t = t;
      }
    }
    const size_t after = mallinfo2().uordblks;
    state.counters["heap_bytes_per_series"] =
        static_cast<double>(after - before) / kSeries;
    state.counters["series_only_bytes"] = static_cast<double>(mid - before) / kSeries;
    state.counters["estimate_bytes_per_series"] =
        static_cast<double>(h->MemoryBytes()) / kSeries;
    state.counters["sizeof_MemSeries"] = sizeof(head::MemSeries);
    state.counters["sizeof_HeadChunk"] = sizeof(head::HeadChunk);
  }
}
BENCHMARK(BM_HeadMemoryPerSeries)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tally::storage
