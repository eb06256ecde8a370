// RangeWindow: a sliding window over one series' samples (read once for the whole query)
// for a sequence of non-decreasing window ends. Each Advance() moves two indices forward,
// so sweeping all steps of a range query is O(samples + steps), with no decoding and no
// allocation per step. Header-only; one instance per series per thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "storage/model/sample.h"

namespace tally::promql {

// Prometheus compat (2.42): range windows are closed at both ends, [end - range, end].
// Prometheus 3.x made them left-open, (end - range, end]; this is the only place that
// decides it (see docs/compatibility.md).
inline constexpr bool kRangeWindowLeftOpen = false;

class RangeWindow {
 public:
  explicit RangeWindow(absl::Span<const storage::Sample> samples) : s_(samples) {}

  // The samples with start_ms <= t <= end_ms (start excluded in left-open mode).
  // REQUIRES: end_ms and start_ms never decrease between calls.
  absl::Span<const storage::Sample> Advance(int64_t start_ms, int64_t end_ms) {
    while (lo_ < s_.size() &&
           (kRangeWindowLeftOpen ? s_[lo_].t_ms <= start_ms : s_[lo_].t_ms < start_ms)) {
      ++lo_;
    }
    if (hi_ < lo_) hi_ = lo_;
    while (hi_ < s_.size() && s_[hi_].t_ms <= end_ms) ++hi_;
    return s_.subspan(lo_, hi_ - lo_);
  }

 private:
  absl::Span<const storage::Sample> s_;
  size_t lo_ = 0;
  size_t hi_ = 0;
};

}  // namespace tally::promql
