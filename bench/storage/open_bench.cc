// Cold start: DB::Open on a data dir with 50k series (LLM-cost shaped labels, 240 samples
// each in sealed chunks), then the first query. /0: the dir was flushed (clean shutdown);
// /1: each series also has 60 samples only in the log (crash or kill -9), replayed on open.
// Run from a Release build:
//   bench_storage --benchmark_filter=BM_Open
// With TALLY_BENCH_OPEN_DIR=DIR the flushed fixture (/0) is built in DIR if DIR does not
// exist yet, reused if it does, and kept: bench/storage/cold_start.py serves it with
// `tally serve` to measure process start to first answered query.
#include <cstdlib>
#include <filesystem>

#include "benchmark/benchmark.h"
#include "storage/db.h"

namespace tally::storage {
namespace {

constexpr int kSeries = 50'000;
constexpr int kFlushedSteps = 240;
constexpr int kLogSteps = 60;
constexpr int64_t kStepMs = 15'000;
constexpr int64_t kStart = 1'700'000'000'000;

Labels OpenLabels(int i) {
  static const char* kNames[] = {"llm_cost_usd_total", "llm_tokens_total", "llm_requests_total",
                                 "llm_latency_seconds_bucket"};
  return Labels{{"__name__", kNames[i % 4]},
                {"instance", "gateway-" + std::to_string(i / 400) + ":9090"},
                {"job", "llm-gateway"},
                {"model", "model-" + std::to_string(i % 23)},
                {"tenant", "tenant-" + std::to_string(i % 997)}};
}

DBOptions Options(const std::string& dir) {
  DBOptions o;
  o.path = dir;
  o.sync_commits = false;
  o.retention_check_interval_ms = 0;
  o.retention_ms = int64_t{1000} * 24 * 3600 * 1000;
  o.max_future_ms = 0;
  return o;
}

// The fixture dirs, removed when the process exits unless kept (TALLY_BENCH_OPEN_DIR).
struct Dirs {
  std::string path[2];
  bool keep[2] = {false, false};
  ~Dirs() {
    for (int i = 0; i < 2; ++i) {
      if (!path[i].empty() && !keep[i]) std::filesystem::remove_all(path[i]);
    }
  }
};

// Builds the dir once per variant; returns its path.
const std::string& Dir(bool with_log) {
  static Dirs dirs;
  std::string& dir = dirs.path[with_log ? 1 : 0];
  if (!dir.empty()) return dir;
  const char* keep = with_log ? nullptr : std::getenv("TALLY_BENCH_OPEN_DIR");
  if (keep != nullptr && *keep != '\0') {
    dir = keep;
    dirs.keep[0] = true;
    if (std::filesystem::exists(dir)) return dir;
    std::filesystem::create_directories(dir);
  } else {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/tally-bench-XXXXXX";
    dir = ::mkdtemp(tmpl.data());
  }
  auto db = std::move(*DB::Open(Options(dir)));
  std::vector<SeriesRef> refs(kSeries);
  const int steps = kFlushedSteps + (with_log ? kLogSteps : 0);
  for (int step = 0; step < steps; ++step) {
    auto app = db->NewAppender();
    for (int i = 0; i < kSeries; ++i) {
      const int64_t t = kStart + int64_t{step} * kStepMs;
      const double v = step * 0.25 + i;
      if (step == 0) {
        refs[i] = *app->Append(OpenLabels(i), t, v);
      } else if (!app->Append(refs[i], t, v).ok()) {
        std::abort();
      }
    }
    if (!app->Commit().ok()) std::abort();
    if (step == kFlushedSteps - 1 && !db->Flush().ok()) std::abort();
  }
  return dir;
}

void BM_Open(benchmark::State& state) {
  const std::string& dir = Dir(state.range(0) == 1);
  Matchers ms = {*Matcher::Make(MatchType::kEqual, "__name__", "llm_cost_usd_total"),
                 *Matcher::Make(MatchType::kEqual, "model", "model-7")};
  for (auto _ : state) {
    auto db = DB::Open(Options(dir));
    if (!db.ok()) std::abort();
    // Serving: the first query answers (and is correct) right after Open returns.
    auto q = (*db)->NewQuerier(kMinTime, kMaxTime);
    auto set = q->Select(ms);
    if (!set.ok() || set->empty()) std::abort();
    state.PauseTiming();
    q.reset();
    db->reset();
    state.ResumeTiming();
  }
  state.counters["series"] = kSeries;
}
BENCHMARK(BM_Open)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// /api/v1/series-shaped: Select({job="llm-gateway"}) over all 50k series without reading
// samples, for a range /0 inside the persisted data (10 min), /1 after all data (no series
// had samples then), /2 covering everything.
void BM_SeriesInRange(benchmark::State& state) {
  const std::string& dir = Dir(false);
  // Closed before the dirs are removed (function statics die in reverse order).
  static std::unique_ptr<DB> db = std::move(*DB::Open(Options(dir)));
  const int64_t end = kStart + int64_t{kFlushedSteps} * kStepMs;
  int64_t mint = kStart + 100 * kStepMs, maxt = mint + 600'000;
  if (state.range(0) == 1) mint = end + 3'600'000, maxt = mint + 600'000;
  if (state.range(0) == 2) mint = kMinTime, maxt = kMaxTime;
  Matchers ms = {*Matcher::Make(MatchType::kEqual, "job", "llm-gateway")};
  int64_t n = 0;
  for (auto _ : state) {
    auto q = db->NewQuerier(mint, maxt);
    auto set = q->Select(ms);
    if (!set.ok()) std::abort();
    n += static_cast<int64_t>(set->size());
  }
  state.counters["series_per_query"] = static_cast<double>(n) / state.iterations();
}
BENCHMARK(BM_SeriesInRange)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tally::storage
