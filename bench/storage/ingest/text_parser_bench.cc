// Text-format parsing throughput (samples/s, bytes/s) on generated LLM-cost exposition:
// the scrape and backfill hot path.
#include <string>

#include "benchmark/benchmark.h"
#include "storage/ingest/text_parser.h"
#include "tools/sim/llm_cost_generator.h"

namespace tally::storage {
namespace {

const std::string& Input(TextFormat f) {
  static std::string* inputs[2] = {nullptr, nullptr};
  std::string*& s = inputs[f == TextFormat::kOpenMetrics ? 1 : 0];
  if (s == nullptr) {
    s = new std::string();
    sim::LlmCostOptions o;
    o.seed = 1;
    o.hours = 0.5;
    o.format = f;
    (void)sim::WriteLlmCostData(o, [&](absl::string_view p) {
      s->append(p.data(), p.size());
      return absl::OkStatus();
    });
  }
  return *s;
}

void BM_Parse(benchmark::State& state, TextFormat f) {
  const std::string& in = Input(f);
  int64_t samples = 0;
  for (auto _ : state) {
    TextParser p(in, f);
    double sum = 0;
    while (true) {
      absl::StatusOr<TextEntry> e = p.Next();
      if (!e.ok() || *e == TextEntry::kEnd) break;
      if (*e == TextEntry::kSample) {
        sum += p.value() + static_cast<double>(p.labels().size());
        ++samples;
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(samples);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}

void BM_ParseOpenMetrics(benchmark::State& state) { BM_Parse(state, TextFormat::kOpenMetrics); }
void BM_ParsePrometheusText(benchmark::State& state) { BM_Parse(state, TextFormat::kPrometheus); }
BENCHMARK(BM_ParseOpenMetrics)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParsePrometheusText)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tally::storage
