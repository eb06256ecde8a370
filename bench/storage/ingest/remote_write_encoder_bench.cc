// Remote-write send path without the network: protobuf encoding of a 2,000-series
// WriteRequest (the shape of a rule group's output: one sample per series, or a
// remote-write-out batch: ten), with and without snappy compression. The encoder writes
// each series straight into one reused buffer (lengths computed first), so steady-state
// encoding allocates nothing.
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "storage/ingest/remote_write_encoder.h"

namespace tally::storage {
namespace {

std::vector<RemoteSeriesInput> MakeSeries(int series, int samples_per_series) {
  std::vector<RemoteSeriesInput> in;
  for (int i = 0; i < series; ++i) {
    RemoteSeriesInput s;
    s.labels = {{"__name__", "application_model:llm_cost_usd:rate5m"},
                {"application", absl::StrCat("app-", i % 5)},
                {"instance", absl::StrCat("host-", i / 44, ":8000")},
                {"job", "llm"},
                {"model", absl::StrCat("model-", i % 4)}};
    for (int k = 0; k < samples_per_series; ++k) {
      s.samples.push_back({1'700'000'000'000 + k * 15'000, 0.001 * (i + k)});
    }
    in.push_back(std::move(s));
  }
  return in;
}

void BM_EncodeWriteRequest(benchmark::State& state) {
  const int series = 2000, per = static_cast<int>(state.range(0));
  const bool compress = state.range(1) != 0;
  const std::vector<RemoteSeriesInput> in = MakeSeries(series, per);
  WriteRequestEncoder enc;
  std::string body;
  for (auto _ : state) {
    enc.Clear();
    for (const RemoteSeriesInput& s : in) enc.AddSeries(s.labels, s.samples);
    if (compress) enc.CompressTo(&body);
    benchmark::DoNotOptimize(enc.proto().data());
    benchmark::DoNotOptimize(body.data());
  }
  state.SetItemsProcessed(state.iterations() * series * per);
  state.counters["bytes_per_sample"] =
      static_cast<double>(compress ? body.size() : enc.proto().size()) / (series * per);
}
BENCHMARK(BM_EncodeWriteRequest)->Args({1, 0})->Args({1, 1})->Args({10, 0})->Args({10, 1});

}  // namespace
}  // namespace tally::storage
