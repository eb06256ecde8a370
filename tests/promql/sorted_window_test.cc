// SortedWindow and the window lanes give bit for bit what Prometheus 2.42's per-window
// loops give (sort each window for quantile_over_time; one sequential compensated chain
// per window for avg/stddev/stdvar_over_time), on series with NaN, +-0, infinities and
// huge values, for overlapping and disjoint windows.
#include "promql/sorted_window.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "promql/functions/functions.h"
#include "promql/functions/window_lanes.h"

namespace tally::promql::internal {
namespace {

using Samples = std::vector<storage::Sample>;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

Samples RandomSeries(std::mt19937_64& rng, int n) {
  const double specials[] = {0.0, -0.0, std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), 1e300, -1e300, 5e-324};
  Samples s;
  for (int i = 0; i < n; ++i) {
    const int r = static_cast<int>(rng() % 100);
    double v;
    if (r < 8) {
      v = specials[rng() % 8];
    } else if (r < 40) {
      v = static_cast<double>(rng() % 5);  // many ties
    } else {
      v = static_cast<double>(static_cast<int64_t>(rng() % 200001) - 100000) / 7.0;
    }
    s.push_back({i * 15'000, v});
  }
  return s;
}

// The reference loops (functions.go, 2.42).
double RefAvg(const Samples& s, size_t lo, size_t hi) {
  double mean = 0, c = 0, count = 0;
  for (size_t i = lo; i < hi; ++i) {
    const double v = s[i].v;
    count += 1;
    if (std::isinf(mean)) {
      if (std::isinf(v) && (mean > 0) == (v > 0)) continue;
      if (!std::isinf(v) && !std::isnan(v)) continue;
    }
    KahanInc(v / count - mean / count, &mean, &c);
  }
  return std::isinf(mean) ? mean : mean + c;
}
double RefVar(const Samples& s, size_t lo, size_t hi) {
  double count = 0, mean = 0, cm = 0, aux = 0, ca = 0;
  for (size_t i = lo; i < hi; ++i) {
    count += 1;
    double delta = s[i].v - (mean + cm);
    KahanInc(delta / count, &mean, &cm);
    KahanInc(delta * (s[i].v - (mean + cm)), &aux, &ca);
  }
  return (aux + ca) / count;
}

// Bit patterns of a multiset, in a canonical order.
std::vector<uint64_t> BitSet(const std::vector<double>& v) {
  std::vector<uint64_t> b;
  for (double x : v) b.push_back(Bits(x));
  std::sort(b.begin(), b.end());
  return b;
}

TEST(SortedWindowTest, QuantilesMatchSortingEachWindow) {
  std::mt19937_64 rng(7);
  SortedWindow sw;
  const double qs[] = {0, 0.1, 0.5, 0.9, 0.99, 1, -1, 2};
  for (int round = 0; round < 60; ++round) {
    Samples s = RandomSeries(rng, 200 + round * 7);
    for (storage::Sample& x : s) {
      if (x.v == 0) x.v = 0.0;  // no -0 (RefusesSeriesWithNegativeZero)
    }
    // Small strides slide the window; strides wider than it force a fresh sort.
    const size_t width = 1 + rng() % 150, stride = 1 + rng() % (round % 3 == 0 ? 200 : 6);
    ASSERT_TRUE(sw.Reset(s));
    for (size_t hi = 1; hi <= s.size(); hi += stride) {
      const size_t lo = hi > width ? hi - width : 0;
      const std::vector<double>& got = sw.Advance(lo, hi);
      std::vector<double> want;
      for (size_t i = lo; i < hi; ++i) want.push_back(s[i].v);
      ASSERT_EQ(BitSet(got), BitSet(want)) << lo << ".." << hi;
      for (size_t i = 1; i < got.size(); ++i) {
        ASSERT_FALSE(SortedWindow::Less(got[i], got[i - 1])) << "unsorted at " << i;
      }
      for (double q : qs) {
        std::vector<double> ref = want;
        const double r = QuantileOf(q, &ref), g = QuantileOfSorted(q, got);
        if (std::isnan(r)) {
          EXPECT_TRUE(std::isnan(g)) << q << " " << lo << ".." << hi;
        } else {
          EXPECT_EQ(Bits(g), Bits(r)) << q << " " << lo << ".." << hi;
        }
      }
    }
  }
}

TEST(SortedWindowTest, RefusesSeriesWithNegativeZero) {
  // Where a -0 and a +0 land in a sorted window is the sort algorithm's choice, and it
  // shows in the result: such series are sorted per window by the caller.
  SortedWindow sw;
  EXPECT_FALSE(sw.Reset(Samples{{0, 1.0}, {1, -0.0}, {2, 0.0}}));
  EXPECT_TRUE(sw.Reset(Samples{{0, 1.0}, {1, 0.0}, {2, std::nan("")}}));
}

template <typename Lane, typename Ref, typename Get>
void CheckLanes(Ref ref, Get get) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 200; ++round) {
    Samples s = RandomSeries(rng, 400);
    size_t lo[kLanes], len[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      lo[l] = rng() % 300;
      len[l] = 1 + rng() % (s.size() - lo[l]);
    }
    Lane lanes[kLanes];
    RunLanes(s.data(), lo, len, lanes);
    for (int l = 0; l < kLanes; ++l) {
      const double want = ref(s, lo[l], lo[l] + len[l]), got = get(lanes[l]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got));
      } else {
        EXPECT_EQ(Bits(got), Bits(want)) << lo[l] << "+" << len[l];
      }
    }
  }
}

TEST(WindowLanesTest, AvgMatchesOneWindowLoop) {
  CheckLanes<AvgLane>(RefAvg, [](const AvgLane& l) { return l.Result(); });
}

TEST(WindowLanesTest, VarianceMatchesOneWindowLoop) {
  CheckLanes<VarLane>(RefVar, [](const VarLane& l) { return l.Variance(); });
}

}  // namespace
}  // namespace tally::promql::internal
