// The sample vocabulary: a millisecond timestamp with a float64 value, series references,
// and Prometheus's stale marker. Header-only; all types are trivially copyable.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

namespace tally::storage {

// A series' identity inside one data dir: assigned once, persisted, never reused.
using SeriesRef = uint64_t;
inline constexpr SeriesRef kInvalidSeriesRef = 0;

struct Sample {
  int64_t t_ms;
  double v;
};

// Prometheus compat: the stale marker is the NaN with bit pattern 0x7ff0000000000002
// (model/value.StaleNaN). It must be compared by bits: every NaN compares unequal.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

}  // namespace tally::storage
