// Remote-write receive path without the network: snappy + protobuf decode of a 2,000-series
// WriteRequest (the load generator's batch), and decode + apply into an in-memory sink DB.
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "storage/ingest/remote_write.h"

namespace tally::storage {
namespace {

std::string MakeBody(int series, int samples_per_series) {
  std::vector<RemoteSeriesInput> in;
  for (int i = 0; i < series; ++i) {
    RemoteSeriesInput s;
    s.labels = {{"__name__", "llm_cost_tracker_total_cost_usd"},
                {"application", absl::StrCat("app-", i % 5)},
                {"instance", absl::StrCat("host-", i / 44, ":8000")},
                {"job", "llm"},
                {"model", absl::StrCat("model-", i % 4)}};
    for (int k = 0; k < samples_per_series; ++k) {
      s.samples.push_back({1'700'000'000'000 + k * 15'000, 0.001 * (i + k)});
    }
    in.push_back(std::move(s));
  }
  std::string proto;
  EncodeWriteRequest(in, {}, &proto);
  return SnappyCompressBlock(proto);
}

void BM_DecodeWriteRequest(benchmark::State& state) {
  const int series = 2000, per = static_cast<int>(state.range(0));
  const std::string body = MakeBody(series, per);
  WriteRequestDecoder d;
  for (auto _ : state) {
    absl::Status s = d.DecodeSnappy(body);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(d.samples().data());
  }
  state.SetItemsProcessed(state.iterations() * series * per);
  state.counters["bytes_per_sample"] =
      static_cast<double>(body.size()) / static_cast<double>(series * per);
}
BENCHMARK(BM_DecodeWriteRequest)->Arg(1)->Arg(10);

}  // namespace
}  // namespace tally::storage
