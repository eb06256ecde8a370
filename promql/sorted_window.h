// SortedWindow: the values of a sliding window over one series, kept sorted as the window
// moves, so quantile_over_time costs O(samples entering and leaving) per step instead of a
// full sort of the window at every step.
//
// Exactness: Prometheus 2.42 sorts each window (NaN first) and interpolates between two
// ranks. The sorted sequence of a multiset is unique except for the relative order of
// values that compare equal: NaNs (the result is NaN whatever their order) and +0/-0,
// whose order does show (-0 * 1 + -0 * 0 is -0, +0 * 1 + -0 * 0 is +0) and depends on
// the sort algorithm. So a series holding a -0 is refused (Reset returns false and the
// caller sorts each window as before); otherwise the result is bit-identical to sorting
// each window.
//
// Header-only. One instance per worker thread, reused across series (Reset); not
// thread-safe.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "storage/model/sample.h"

namespace tally::promql::internal {

class SortedWindow {
 public:
  // Prometheus compat (quantile(): vectorByValueHeap.Less): NaN sorts first.
  static bool Less(double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  }

  // Starts a new series: `s` is every sample the windows will be drawn from. False when
  // `s` holds a -0 (see above): then Advance must not be used for it.
  bool Reset(absl::Span<const storage::Sample> s) {
    s_ = s;
    lo_ = hi_ = 0;
    sorted_.clear();
    for (const storage::Sample& x : s) {
      if (x.v == 0 && std::signbit(x.v)) return false;
    }
    return true;
  }

  // Moves the window to s[lo, hi) and returns its values sorted (NaN first).
  // REQUIRES: lo and hi never decrease between calls after Reset.
  const std::vector<double>& Advance(size_t lo, size_t hi) {
    const size_t leaving = std::min(lo, hi_) - std::min(lo_, hi_);
    const size_t entering = hi - std::max(lo, hi_);
    // Each update is a binary search plus a memmove of the window; past a few per step a
    // fresh sort is cheaper (and the windows may not even overlap).
    if (lo >= hi_ || leaving + entering > Budget(hi - lo)) {
      sorted_.clear();
      for (size_t i = lo; i < hi; ++i) sorted_.push_back(s_[i].v);
      std::sort(sorted_.begin(), sorted_.end(), Less);
    } else {
      for (size_t i = lo_; i < lo; ++i) Remove(s_[i].v);
      for (size_t i = std::max(lo, hi_); i < hi; ++i) {
        const double v = s_[i].v;
        sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), v, Less), v);
      }
    }
    lo_ = lo;
    hi_ = hi;
    return sorted_;
  }

 private:
  static size_t Budget(size_t n) { return 8 + 4 * static_cast<size_t>(std::bit_width(n)); }

  // Removes one element equal to v (there is no -0; NaNs are interchangeable).
  void Remove(double v) {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), v, Less);
    if (it != sorted_.end()) sorted_.erase(it);
  }

  absl::Span<const storage::Sample> s_;
  size_t lo_ = 0, hi_ = 0;
  std::vector<double> sorted_;
};

}  // namespace tally::promql::internal
