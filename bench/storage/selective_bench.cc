// A selective query over a long range: a few series out of 50k, 10 days, chunks in
// 1-day time buckets. Each series' read seeks once per bucket of the range, and a series'
// chunks start in only some of them (4 chunks of ~2.5 days each), so most seeks look for a
// (bucket, series) prefix that a file does not hold: what the chunks family's prefix Bloom
// filter answers without reading a data block (docs/storage.md, "chunks"). Run from a
// Release build:
//   bench_storage --benchmark_filter=BM_SelectiveLongRange
#include <cstdlib>
#include <filesystem>

#include "benchmark/benchmark.h"
#include "storage/db.h"

namespace tally::storage {
namespace {

constexpr int kSeries = 50'000;
constexpr int kSteps = 480;  // every 30 min for 10 days
constexpr int64_t kStepMs = 1'800'000;
constexpr int64_t kStart = 1'700'000'000'000;
constexpr int64_t kDayMs = 86'400'000;

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
    o.retention_ms = 1000 * kDayMs;
    o.max_future_ms = 0;
    o.chunk_bucket_ms = kDayMs;
    o.max_chunk_span_ms = 3 * kDayMs;  // 120 samples per chunk
    db = std::move(*DB::Open(o));
    std::vector<SeriesRef> refs(kSeries);
    for (int step = 0; step < kSteps; ++step) {
      auto app = db->NewAppender();
      for (int i = 0; i < kSeries; ++i) {
        const int64_t t = kStart + int64_t{step} * kStepMs;
        const double v = step * 0.37 + i;
        if (step == 0) {
          refs[i] = *app->Append(Labels{{"__name__", "llm_cost_usd_total"},
                                        {"instance", "gateway-" + std::to_string(i / 400)},
                                        {"model", "model-" + std::to_string(i % 23)},
                                        {"tenant", "tenant-" + std::to_string(i % 997)}},
                                 t, v);
        } else if (!app->Append(refs[i], t, v).ok()) {
          std::abort();
        }
      }
      if (!app->Commit().ok()) std::abort();
    }
    if (!db->Flush().ok()) std::abort();
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

// /0: {tenant="tenant-5", model="model-5"}: 3 series; /1: {tenant="tenant-5"}: 50 series.
// Every sample of the 10 days is read.
void BM_SelectiveLongRange(benchmark::State& state) {
  DB* db = Get().db.get();
  Matchers ms = {*Matcher::Make(MatchType::kEqual, "tenant", "tenant-5")};
  if (state.range(0) == 0) ms.push_back(*Matcher::Make(MatchType::kEqual, "model", "model-5"));
  const int64_t mint = kStart, maxt = kStart + int64_t{kSteps} * kStepMs;
  std::vector<Sample> buf;
  int64_t samples = 0, series = 0;
  for (auto _ : state) {
    auto q = db->NewQuerier(mint, maxt);
    auto set = q->Select(ms);
    if (!set.ok()) std::abort();
    for (const auto& s : *set) {
      buf.clear();
      if (!s->Samples(mint, maxt, &buf).ok()) std::abort();
      samples += static_cast<int64_t>(buf.size());
    }
    series += static_cast<int64_t>(set->size());
  }
  state.counters["series"] = static_cast<double>(series) / state.iterations();
  state.counters["samples"] = static_cast<double>(samples) / state.iterations();
}
BENCHMARK(BM_SelectiveLongRange)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tally::storage
