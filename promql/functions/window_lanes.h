// Window lanes: avg/stddev/stdvar_over_time over several windows of one series at once.
//
// Prometheus 2.42 computes these with one long chain of dependent, compensated float
// operations per window (an incremental mean and Welford's variance, each divided by the
// running count), so any reordering changes the bits and the window cannot be "slid".
// What can change is how fast each chain runs: a single chain waits on a division's
// latency at every sample; kLanes independent windows stepped in lockstep keep the
// divider and adders busy. Each lane performs exactly the operations of the one-window
// loop, in the same order, so results are bit-identical (and x86-64's baseline has no FMA
// for the compiler to contract into).
//
// Header-only, no allocation; internal to range_functions.cc.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "storage/model/sample.h"

namespace tally::promql::internal {

inline constexpr int kLanes = 4;

// Neumaier-compensated summation step (Prometheus's kahanSumInc).
inline void KahanInc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

// Prometheus compat (2.42 funcAvgOverTime): incremental, compensated mean that survives
// overflow.
struct AvgLane {
  double mean = 0, c = 0, count = 0;
  void Add(double v) {
    count += 1;
    if (std::isinf(mean)) {
      if (std::isinf(v) && (mean > 0) == (v > 0)) return;
      if (!std::isinf(v) && !std::isnan(v)) return;
    }
    KahanInc(v / count - mean / count, &mean, &c);
  }
  double Result() const { return std::isinf(mean) ? mean : mean + c; }
};

// Prometheus compat (2.42 funcStdvarOverTime/funcStddevOverTime): compensated Welford.
struct VarLane {
  double count = 0, mean = 0, cm = 0, aux = 0, ca = 0;
  void Add(double v) {
    count += 1;
    double delta = v - (mean + cm);
    KahanInc(delta / count, &mean, &cm);
    KahanInc(delta * (v - (mean + cm)), &aux, &ca);
  }
  double Variance() const { return (aux + ca) / count; }
};

// Runs window l = s[lo[l], lo[l] + len[l]) through lanes[l] for l < kLanes.
template <typename Lane>
void RunLanes(const storage::Sample* s, const size_t* lo, const size_t* len, Lane* lanes) {
  size_t common = len[0];
  for (int l = 1; l < kLanes; ++l) common = std::min(common, len[l]);
  for (size_t j = 0; j < common; ++j) {
    for (int l = 0; l < kLanes; ++l) lanes[l].Add(s[lo[l] + j].v);
  }
  for (int l = 0; l < kLanes; ++l) {
    for (size_t j = common; j < len[l]; ++j) lanes[l].Add(s[lo[l] + j].v);
  }
}

}  // namespace tally::promql::internal
