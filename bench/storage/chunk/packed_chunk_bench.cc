// Seal-time codec (storage/chunk/chunk.h) on the same LLM-cost-shaped series as
// xor_chunk_bench.cc: the cost of EncodeForStorage at seal, and ChunkIterator batch decode
// of the stored chunks. bytes_per_sample is the stored size over samples; the label names
// the shape and the encodings chosen.
//
//   bench_storage_chunk --benchmark_filter='BM_Stored'
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "bench/data/llm_cost_data.h"
#include "benchmark/benchmark.h"
#include "storage/chunk/chunk.h"
#include "storage/chunk/xor_chunk.h"

namespace tally::storage {
namespace {

constexpr int kChunks = 100;

bench::SeriesShape Shape(const benchmark::State& state) {
  return bench::AllSeriesShapes()[static_cast<size_t>(state.range(0))];
}

std::vector<std::string> XorChunks(bench::SeriesShape shape) {
  const std::vector<Sample> s =
      bench::GenerateSeries(shape, kChunks * kTargetSamplesPerChunk, /*seed=*/42);
  std::vector<std::string> out;
  for (int c = 0; c < kChunks; ++c) {
    XorChunk chunk;
    XorAppender app(&chunk);
    for (int i = 0; i < kTargetSamplesPerChunk; ++i) {
      const Sample& x = s[c * kTargetSamplesPerChunk + i];
      app.Append(x.t_ms, x.v);
    }
    out.push_back(chunk.ReleaseBytes());
  }
  return out;
}

void SetCounters(benchmark::State& state, const std::vector<std::string>& stored) {
  size_t bytes = 0;
  std::map<std::string, int> encodings;
  for (const std::string& c : stored) {
    bytes += c.size();
    ++encodings[std::string(EncodingName(c))];
  }
  state.counters["bytes_per_sample"] =
      static_cast<double>(bytes) / (kChunks * kTargetSamplesPerChunk);
  state.SetItemsProcessed(state.iterations() * kChunks * kTargetSamplesPerChunk);
  std::string label(bench::SeriesShapeName(Shape(state)));
  for (const auto& [name, n] : encodings) absl::StrAppend(&label, " ", name, "=", n);
  state.SetLabel(label);
}

// Seal cost: re-encoding a finished XOR chunk (decode, try packed modes, keep the smaller).
void BM_StoredEncode(benchmark::State& state) {
  const std::vector<std::string> xor_chunks = XorChunks(Shape(state));
  std::vector<std::string> stored;
  for (auto _ : state) {
    stored.clear();
    for (const std::string& c : xor_chunks) stored.push_back(EncodeForStorage(c));
    benchmark::DoNotOptimize(stored.data());
  }
  SetCounters(state, stored);
}

void BM_StoredDecodeBatch(benchmark::State& state) {
  std::vector<std::string> stored;
  for (const std::string& c : XorChunks(Shape(state))) stored.push_back(EncodeForStorage(c));
  std::vector<Sample> buf(kTargetSamplesPerChunk);
  for (auto _ : state) {
    double sum = 0;
    for (const std::string& c : stored) {
      ChunkIterator it(c);
      const size_t n = it.NextBatch(absl::MakeSpan(buf));
      if (n != static_cast<size_t>(kTargetSamplesPerChunk)) state.SkipWithError("short batch");
      sum += buf[n - 1].v;
    }
    benchmark::DoNotOptimize(sum);
    benchmark::ClobberMemory();
  }
  SetCounters(state, stored);
}

void ShapeArgs(benchmark::internal::Benchmark* b) {
  for (size_t i = 0; i < bench::AllSeriesShapes().size(); ++i) b->Arg(static_cast<int>(i));
}

BENCHMARK(BM_StoredEncode)->Apply(ShapeArgs);
BENCHMARK(BM_StoredDecodeBatch)->Apply(ShapeArgs);

}  // namespace
}  // namespace tally::storage
