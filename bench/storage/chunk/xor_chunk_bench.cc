// Gorilla codec throughput on LLM-cost-shaped series (bench/data). Each benchmark works on
// 100 chunks of kTargetSamplesPerChunk samples per shape; rates are samples/s, and the
// bytes_per_sample counter is the encoded size (header included) over samples.
//
//   bench_storage_chunk --benchmark_filter=BM_Xor
#include <limits>
#include <string>
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

// A whole classic histogram (12 le buckets, cumulative): encode rate and bytes/sample.
void BM_XorEncodeHistogram(benchmark::State& state) {
  const std::vector<double> le = {0.1, 0.25, 0.5, 1,  2,   4,
                                  8,   15,   30,  60, 120, std::numeric_limits<double>::infinity()};
  const auto buckets = bench::GenerateHistogram(le, kChunks * kTargetSamplesPerChunk, 42);
  for (size_t b = 1; b < buckets.size(); ++b) {
    for (size_t i = 0; i < buckets[b].size(); ++i) {
      if (buckets[b][i].v < buckets[b - 1][i].v) state.SkipWithError("not cumulative");
    }
  }
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& series : buckets) {
      for (const XorChunk& c : Encode(series)) bytes += c.size_bytes();
    }
    benchmark::DoNotOptimize(bytes);
  }
  const double samples = static_cast<double>(buckets.size()) * kChunks * kTargetSamplesPerChunk;
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / samples;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(samples));
}

void ShapeArgs(benchmark::internal::Benchmark* b) {
  for (size_t i = 0; i < bench::AllSeriesShapes().size(); ++i) b->Arg(static_cast<int>(i));
}

BENCHMARK(BM_XorEncode)->Apply(ShapeArgs);
BENCHMARK(BM_XorDecode)->Apply(ShapeArgs);
BENCHMARK(BM_XorDecodeBatch)->Apply(ShapeArgs);
BENCHMARK(BM_XorEncodeHistogram);

}  // namespace
}  // namespace tally::storage
