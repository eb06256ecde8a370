// Query path: Select over the persisted index plus decoding every selected series through
// the head/RocksDB merge. 10k series x 3h at 15 s (720 samples each), flushed to chunks,
// plus an open head chunk. Run from a Release build:
//   bench_storage --benchmark_filter=BM_Select
#include <cstdlib>
#include <filesystem>

#include "benchmark/benchmark.h"
#include "storage/db.h"

namespace tally::storage {
namespace {

constexpr int kSeries = 10'000;
constexpr int kSteps = 720;
constexpr int64_t kStepMs = 15'000;

struct Fixture {
  std::string dir;
  std::unique_ptr<DB> db;
  Fixture() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/tally-bench-XXXXXX";
    dir = ::mkdtemp(tmpl.data());
    DBOptions o;
    o.path = dir;
    o.sync_commits = false;
    o.retention_check_interval_ms = 0;
    db = std::move(*DB::Open(o));
    std::vector<SeriesRef> refs(kSeries);
    for (int step = 0; step < kSteps + 30; ++step) {
      auto app = db->NewAppender();
      for (int i = 0; i < kSeries; ++i) {
        const int64_t t = int64_t{step} * kStepMs;
        const double v = step * 0.37 + i;
        if (step == 0) {
          refs[i] = *app->Append(Labels{{"__name__", "llm_cost_usd_total"},
                                        {"model", "model-" + std::to_string(i % 20)},
                                        {"tenant", "tenant-" + std::to_string(i)}},
                                 t, v);
        } else if (!app->Append(refs[i], t, v).ok()) {
          std::abort();
        }
      }
      if (!app->Commit().ok()) std::abort();
      if (step == kSteps - 1 && !db->Flush().ok()) std::abort();
    }
  }
  ~Fixture() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Get() {
  static Fixture* f = new Fixture();
  return *f;
}

// {__name__="llm_cost_usd_total", model="model-7"}: 500 series, the last hour (240 samples
// each, across persisted chunks and the head).
void BM_SelectOneModelLastHour(benchmark::State& state) {
  Fixture& f = Get();
  const int64_t maxt = int64_t{kSteps + 29} * kStepMs, mint = maxt - 3600 * 1000;
  Matchers ms = {*Matcher::Make(MatchType::kEqual, "__name__", "llm_cost_usd_total"),
                 *Matcher::Make(MatchType::kEqual, "model", "model-7")};
  std::vector<Sample> out;
  int64_t samples = 0, series = 0;
  for (auto _ : state) {
    auto q = f.db->NewQuerier(mint, maxt);
    auto set = q->Select(ms);
    for (const auto& s : *set) {
      out.clear();
      if (!s->Samples(mint, maxt, &out).ok()) std::abort();
      samples += static_cast<int64_t>(out.size());
    }
    series += static_cast<int64_t>(set->size());
  }
  state.SetItemsProcessed(samples);
  state.counters["series_per_query"] = static_cast<double>(series) / state.iterations();
}
BENCHMARK(BM_SelectOneModelLastHour)->Unit(benchmark::kMillisecond);

// All 10k series over the whole range with a regex matcher (postings scan + sort).
void BM_SelectRegexAllData(benchmark::State& state) {
  Fixture& f = Get();
  Matchers ms = {*Matcher::Make(MatchType::kRegexMatch, "model", "model-1.*")};
  std::vector<Sample> out;
  int64_t samples = 0;
  for (auto _ : state) {
    auto q = f.db->NewQuerier(kMinTime, kMaxTime);
    auto set = q->Select(ms);
    for (const auto& s : *set) {
      out.clear();
      if (!s->Samples(kMinTime, kMaxTime, &out).ok()) std::abort();
      samples += static_cast<int64_t>(out.size());
    }
  }
  state.SetItemsProcessed(samples);
}
BENCHMARK(BM_SelectRegexAllData)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tally::storage
