// Seeded workload generators shaped like an LLM-cost monitoring deployment, shared by the
// benchmarks: samples at a 15 s scrape interval with a few milliseconds of timestamp
// jitter (as real scrapes have), in the value shapes such a workload produces. Output is
// a pure function of (shape, n, seed, options): the same inputs give the same samples on
// every run and machine (own PRNG and arithmetic, no std distributions).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "storage/model/sample.h"

namespace tally::bench {

enum class SeriesShape {
  kCostCounter,      // cost in USD: += 0.0012..0.03 on most scrapes, rare resets to 0
  kTokenCounter,     // tokens: += integers (0..~4000), rare resets
  kMemoryGauge,      // resident bytes: ~2 GiB wandering by whole 4 KiB pages
  kBudgetGauge,      // budget remaining in USD: decreases by small amounts, monthly top-up
  kHistogramBucket,  // one le-bucket counter of a latency histogram (integer increments)
  kConstant,         // e.g. an info metric or `up`: 1.0 forever
  kRandomFloat,      // adversarial: uniformly random doubles (worst case for XOR)
};

struct SeriesOptions {
  int64_t start_ms = 1'700'000'000'000;  // 2023-11-14
  int64_t step_ms = 15'000;
  int64_t jitter_ms = 3;  // each timestamp is off its grid point by up to +-jitter_ms
};

// `n` samples of `shape`, strictly increasing timestamps.
std::vector<storage::Sample> GenerateSeries(SeriesShape shape, int n, uint64_t seed,
                                            const SeriesOptions& opts = {});

// A whole classic histogram: one series per upper bound in `le` (ascending; the last may be
// +Inf), cumulative at every timestamp (bucket i <= bucket i+1), sharing timestamps.
std::vector<std::vector<storage::Sample>> GenerateHistogram(const std::vector<double>& le, int n,
                                                            uint64_t seed,
                                                            const SeriesOptions& opts = {});

absl::string_view SeriesShapeName(SeriesShape shape);
const std::vector<SeriesShape>& AllSeriesShapes();

}  // namespace tally::bench
