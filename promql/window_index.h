// WindowIndex: per-series side tables that let a range function answer each step's window
// in O(1) (plus the counter resets inside the window) instead of rescanning the window, so
// sweeping all steps of a range query costs O(samples + steps) however long the range is.
//
// Every answer is bit-identical to the straightforward per-window loop Prometheus 2.42 runs
// (functions.go), because each table only reorders work whose result does not depend on
// the order:
//   - resets, changes: integer counts, from prefix counts.
//   - rate/increase/delta counter correction: Prometheus adds the value before each reset to
//     (last - first) one after the other; the index lists the resets, and the step adds the
//     ones inside its window in the same order (no prefix sum, which would round differently).
//   - min/max_over_time: a monotone deque per series; Prometheus keeps the first of equal
//     values (only visible for +0/-0) and skips NaN unless every value is NaN; so does this.
//   - sum_over_time: only when every value of the series is an integer and the sum of their
//     magnitudes is below 2^53, so every partial sum in any order is exact and Prometheus's
//     Kahan compensation stays 0: a prefix sum of int64s gives the same bits.
// Functions whose float result depends on the order of a long sequential computation
// (avg/stddev/stdvar_over_time, deriv, predict_linear, holt_winters, and sum_over_time on
// non-integer data) are evaluated per window (range_functions.cc, window_lanes.h);
// quantile_over_time keeps a sorted window (sorted_window.h).
//
// Header-only. One instance per worker thread, reused across series (Reset); not
// thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "storage/model/sample.h"

namespace tally::promql::internal {

class WindowIndex {
 public:
  enum class Kind { kNone, kResets, kChanges, kMax, kMin, kIntSum };

  // Prepares the tables `kind` needs for `s` (the whole swept series). For kIntSum returns
  // false when the series does not qualify (then the caller evaluates per window).
  bool Reset(Kind kind, absl::Span<const storage::Sample> s) {
    kind_ = kind;
    s_ = s;
    head_ = 0;
    deque_.clear();
    pushed_ = 0;
    switch (kind) {
      case Kind::kResets:
        resets_.clear();
        for (size_t i = 1; i < s.size(); ++i) {
          if (s[i].v < s[i - 1].v) resets_.push_back(static_cast<uint32_t>(i));
        }
        return true;
      case Kind::kChanges: {
        prefix_.assign(s.size(), 0);
        int64_t c = 0;
        for (size_t i = 1; i < s.size(); ++i) {
          const double cur = s[i].v, prev = s[i - 1].v;
          if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++c;
          prefix_[i] = c;
        }
        return true;
      }
      case Kind::kIntSum: {
        prefix_.assign(s.size() + 1, 0);
        double mag = 0;
        for (size_t i = 0; i < s.size(); ++i) {
          const double v = s[i].v;
          if (!(std::fabs(v) < 9007199254740992.0) || v != std::trunc(v)) return false;
          mag += std::fabs(v);
          if (!(mag < 9007199254740992.0)) return false;
          prefix_[i + 1] = prefix_[i] + static_cast<int64_t>(v);
        }
        return true;
      }
      default:
        return true;
    }
  }

  // Number of i in (lo, hi) with s[i] < s[i-1]: resets() of the window [lo, hi).
  int64_t ResetCount(size_t lo, size_t hi) const {
    return static_cast<int64_t>(FirstReset(hi) - FirstReset(lo + 1));
  }
  // (last - first) plus the value before each reset inside [lo, hi), added in window order
  // exactly as Prometheus's extrapolatedRate loop does.
  double CounterDelta(size_t lo, size_t hi) const {
    double result = s_[hi - 1].v - s_[lo].v;
    for (size_t r = FirstReset(lo + 1); r < resets_.size() && resets_[r] < hi; ++r) {
      result += s_[resets_[r] - 1].v;
    }
    return result;
  }
  // changes() of the window [lo, hi).
  int64_t ChangeCount(size_t lo, size_t hi) const { return prefix_[hi - 1] - prefix_[lo]; }
  // Sum of the window [lo, hi) (kIntSum only).
  double IntSum(size_t lo, size_t hi) const {
    return static_cast<double>(prefix_[hi] - prefix_[lo]);
  }
  // max_over_time / min_over_time of the window [lo, hi); lo and hi never decrease between
  // calls (amortised O(1)).
  double Extreme(size_t lo, size_t hi) {
    const bool is_max = kind_ == Kind::kMax;
    for (; pushed_ < hi; ++pushed_) {
      const double v = s_[pushed_].v;
      if (std::isnan(v)) continue;
      // Strict comparison keeps earlier equal values: the first of them wins, as in 2.42.
      while (deque_.size() > head_ &&
             (is_max ? s_[deque_.back()].v < v : s_[deque_.back()].v > v)) {
        deque_.pop_back();
      }
      deque_.push_back(static_cast<uint32_t>(pushed_));
    }
    while (head_ < deque_.size() && deque_[head_] < lo) ++head_;
    if (head_ == deque_.size()) return s_[lo].v;  // only NaNs: 2.42 returns the first
    return s_[deque_[head_]].v;
  }

 private:
  size_t FirstReset(size_t i) const {  // index into resets_ of the first reset >= i
    size_t a = 0, b = resets_.size();
    while (a < b) {
      const size_t m = (a + b) / 2;
      if (resets_[m] < i) a = m + 1; else b = m;
    }
    return a;
  }

  Kind kind_ = Kind::kNone;
  absl::Span<const storage::Sample> s_;
  std::vector<uint32_t> resets_;
  std::vector<int64_t> prefix_;
  std::vector<uint32_t> deque_;  // indices; live part is [head_, size)
  size_t head_ = 0;
  size_t pushed_ = 0;
};

}  // namespace tally::promql::internal
