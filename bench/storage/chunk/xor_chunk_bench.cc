// Gorilla codec throughput on LLM-cost-shaped series (bench/data). Each benchmark works on
// 100 chunks of kTargetSamplesPerChunk samples per shape; rates are samples/s, and the
// bytes_per_sample counter is the encoded size (header included) over samples.
//
//   bench_storage_chunk --benchmark_filter=BM_Xor
#include <vector>

#include "absl/types/span.h"
#include "bench/data/llm_cost_data.h"
#include "benchmark/benchmark.h"
#include "storage/chunk/xor_chunk.h"

namespace tally::storage {
namespace {

constexpr int kChunks = 100;

bench::SeriesShape ShapeArg(const benchmark::State& state) {
  return bench::AllSeriesShapes()[static_cast<size_t>(state.range(0))];
}

std::vector<Sample> Input(bench::SeriesShape shape) {
  return bench::GenerateSeries(shape, kChunks * kTargetSamplesPerChunk, /*seed=*/42);
}

std::vector<XorChunk> Encode(const std::vector<Sample>& samples) {
  std::vector<XorChunk> chunks(kChunks);
  for (int c = 0; c < kChunks; ++c) {
    XorAppender app(&chunks[c]);
    for (int i = 0; i < kTargetSamplesPerChunk; ++i) {
      const Sample& s = samples[c * kTargetSamplesPerChunk + i];
      app.Append(s.t_ms, s.v);
    }
  }
  return chunks;
}

void SetCounters(benchmark::State& state, const std::vector<XorChunk>& chunks) {
  size_t bytes = 0;
  for (const XorChunk& c : chunks) bytes += c.size_bytes();
  state.counters["bytes_per_sample"] =
      static_cast<double>(bytes) / (kChunks * kTargetSamplesPerChunk);
  state.SetItemsProcessed(state.iterations() * kChunks * kTargetSamplesPerChunk);
  state.SetLabel(std::string(bench::SeriesShapeName(ShapeArg(state))));
}

void BM_XorEncode(benchmark::State& state) {
  const std::vector<Sample> samples = Input(ShapeArg(state));
  std::vector<XorChunk> chunks;
  for (auto _ : state) {
    chunks = Encode(samples);
    benchmark::DoNotOptimize(chunks.data());
  }
  SetCounters(state, chunks);
}

void BM_XorDecode(benchmark::State& state) {
  const std::vector<XorChunk> chunks = Encode(Input(ShapeArg(state)));
  for (auto _ : state) {
    double sum = 0;
    int64_t tsum = 0;
    for (const XorChunk& c : chunks) {
      XorIterator it(c.Bytes());
      while (it.Next()) {
        tsum += it.t();
        sum += it.v();
      }
      if (!it.status().ok()) state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(tsum);
  }
  SetCounters(state, chunks);
}

void BM_XorDecodeBatch(benchmark::State& state) {
  const std::vector<XorChunk> chunks = Encode(Input(ShapeArg(state)));
  std::vector<Sample> buf(kTargetSamplesPerChunk);
  for (auto _ : state) {
    double sum = 0;
    for (const XorChunk& c : chunks) {
      XorIterator it(c.Bytes());
      const size_t n = it.NextBatch(absl::MakeSpan(buf));
      if (n != static_cast<size_t>(kTargetSamplesPerChunk)) state.SkipWithError("short batch");
      sum += buf[n - 1].v;
    }
    benchmark::DoNotOptimize(sum);
    benchmark::ClobberMemory();
  }
  SetCounters(state, chunks);
}

void ShapeArgs(benchmark::internal::Benchmark* b) {
  for (size_t i = 0; i < bench::AllSeriesShapes().size(); ++i) b->Arg(static_cast<int>(i));
}

BENCHMARK(BM_XorEncode)->Apply(ShapeArgs);
BENCHMARK(BM_XorDecode)->Apply(ShapeArgs);
BENCHMARK(BM_XorDecodeBatch)->Apply(ShapeArgs);

}  // namespace
}  // namespace tally::storage
