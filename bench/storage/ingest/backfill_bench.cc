// `tally backfill` throughput without the CLI: Backfill() of generated LLM-cost OpenMetrics
// (grouped by series, as `tally generate` writes it) into a fresh DB per iteration. Items
// are samples; the DB open and close are outside the timing. BM_BackfillWindowed bounds
// memory so that the input is written in several windows (re-read, re-parsed).
#include <unistd.h>

#include <filesystem>
#include <string>

#include "benchmark/benchmark.h"
#include "storage/db.h"
#include "storage/ingest/backfill.h"
#include "tools/sim/llm_cost_generator.h"

namespace tally::storage {
namespace {

const std::string& Input() {
  static const std::string* s = [] {
    auto* out = new std::string();
    sim::LlmCostOptions o;
    o.seed = 1;
    o.hours = 6;
    o.step_ms = 60'000;
    (void)sim::WriteLlmCostData(o, [&](absl::string_view p) {
      out->append(p.data(), p.size());
      return absl::OkStatus();
    });
    return out;
  }();
  return *s;
}

void RunBackfill(benchmark::State& state, int64_t max_memory) {
  const std::string& in = Input();
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("tally-backfill-bench-" + std::to_string(::getpid())))
                              .string();
  int64_t samples = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(dir);
    DBOptions o;
    o.path = dir;
    o.retention_ms = int64_t{100} * 365 * 86'400'000;
    o.retention_check_interval_ms = 0;
    auto db = DB::Open(o);
    if (!db.ok()) {
      state.SkipWithError(std::string(db.status().message()).c_str());
      return;
    }
    state.ResumeTiming();
    auto r = Backfill(**db, in, BackfillOptions{.max_memory_bytes = max_memory});
    if (!r.ok() || r->rejected() != 0) {
      state.SkipWithError("backfill failed");
      return;
    }
    samples += r->samples_read;
    state.PauseTiming();
    db->reset();
    state.ResumeTiming();
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(samples);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}

void BM_Backfill(benchmark::State& state) { RunBackfill(state, 512 << 20); }
void BM_BackfillWindowed(benchmark::State& state) { RunBackfill(state, 8 << 20); }
BENCHMARK(BM_Backfill)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BackfillWindowed)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tally::storage
