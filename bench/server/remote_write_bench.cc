// Remote-write receive path without the network: snappy + protobuf decode of a 2,000-series
// WriteRequest (the load generator's batch), and decode + apply into a DB.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "storage/ingest/remote_write.h"

namespace tally::storage {
namespace {

std::string MakeBody(int series, int samples_per_series, int64_t t0 = 1'700'000'000'000) {
  std::vector<RemoteSeriesInput> in;
  for (int i = 0; i < series; ++i) {
    RemoteSeriesInput s;
    s.labels = {{"__name__", "llm_cost_tracker_total_cost_usd"},
                {"application", absl::StrCat("app-", i % 5)},
                // i / 20 with i % 5 and i % 4: a distinct label set per series.
                {"instance", absl::StrCat("host-", i / 20, ":8000")},
                {"job", "llm"},
                {"model", absl::StrCat("model-", i % 4)}};
    for (int k = 0; k < samples_per_series; ++k) {
      s.samples.push_back({t0 + k * 15'000, 0.001 * (i + k)});
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

// Decode + ApplyWriteRequest into a real DB (temp dir) whose 2,000 series already exist: the
// receive path of a steady-state sender (series lookup, head append, WAL commit). Each
// iteration is one request one round (15 s) after the previous one.
void BM_ApplyWriteRequest(benchmark::State& state) {
  const int series = 2000, rounds = 64;
  std::string dir = std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp") +
                    "/tally-rw-bench-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  DBOptions o;
  o.path = dir;
  o.retention_ms = int64_t{100} * 365 * 86'400'000;
  o.retention_check_interval_ms = 0;
  auto db = DB::Open(o);
  if (!db.ok()) {
    state.SkipWithError(std::string(db.status().message()).c_str());
    return;
  }
  WriteRequestDecoder d;
  int64_t t0 = 1'700'000'000'000;
  std::vector<std::string> bodies;
  int next = rounds;
  for (auto _ : state) {
    if (next == rounds) {  // re-encode a batch of later rounds, outside the timing
      state.PauseTiming();
      bodies.clear();
      for (int k = 0; k < rounds; ++k, t0 += 15'000) bodies.push_back(MakeBody(series, 1, t0));
      next = 0;
      state.ResumeTiming();
    }
    if (!d.DecodeSnappy(bodies[next++]).ok()) std::abort();
    absl::StatusOr<RemoteWriteResult> r = ApplyWriteRequest(d, db->get());
    if (!r.ok() || r->rejected() != 0) {
      state.SkipWithError(r.ok() ? r->first_error.c_str() : "storage error");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * series);
  db->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ApplyWriteRequest)->UseRealTime();

}  // namespace
}  // namespace tally::storage
