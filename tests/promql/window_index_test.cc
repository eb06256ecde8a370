// WindowIndex answers every window exactly (bit for bit) as the per-window loops of
// Prometheus 2.42 do, on series with resets, NaN, +-0, infinities and sliding windows.
#include "promql/window_index.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tally::promql::internal {
namespace {

using Samples = std::vector<storage::Sample>;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// The reference loops (functions.go, 2.42).
double RefCounterDelta(const Samples& s, size_t lo, size_t hi) {
  double r = s[hi - 1].v - s[lo].v, prev = 0;
  for (size_t i = lo; i < hi; ++i) {
    if (s[i].v < prev) r += prev;
    prev = s[i].v;
  }
  return r;
}
double RefExtreme(const Samples& s, size_t lo, size_t hi, bool is_max) {
  double m = s[lo].v;
  for (size_t i = lo; i < hi; ++i) {
    const double v = s[i].v;
    if ((is_max ? v > m : v < m) || std::isnan(m)) m = v;
  }
  return m;
}

Samples RandomSeries(std::mt19937_64& rng, int n, bool integers) {
  const double specials[] = {0.0, -0.0, std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(), 1e300, 5e-324};
  Samples s;
  double c = 0;
  for (int i = 0; i < n; ++i) {
    const int r = static_cast<int>(rng() % 100);
    double v;
    if (integers) {
      v = static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000);
    } else if (r < 5) {
      v = specials[rng() % 6];
    } else if (r < 10) {
      c = static_cast<double>(rng() % 7) * 0.1;  // counter reset
      v = c;
    } else {
      c += static_cast<double>(rng() % 1000) / 7.0;
      v = r < 60 ? c : std::floor(c / 50);  // runs of equal values for changes()
    }
    s.push_back({i * 15'000, v});
  }
  return s;
}

TEST(WindowIndexTest, MatchesPerWindowLoopsBitForBit) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 40; ++round) {
    const bool ints = round % 4 == 3;
    Samples s = RandomSeries(rng, 300 + round * 10, ints);
    const size_t width = 1 + rng() % 120, stride = 1 + rng() % 5;
    WindowIndex resets, changes, mx, mn, sum;
    ASSERT_TRUE(resets.Reset(WindowIndex::Kind::kResets, s));
    ASSERT_TRUE(changes.Reset(WindowIndex::Kind::kChanges, s));
    ASSERT_TRUE(mx.Reset(WindowIndex::Kind::kMax, s));
    ASSERT_TRUE(mn.Reset(WindowIndex::Kind::kMin, s));
    EXPECT_EQ(sum.Reset(WindowIndex::Kind::kIntSum, s), ints);
    for (size_t hi = 1; hi <= s.size(); hi += stride) {
      const size_t lo = hi > width ? hi - width : 0;
      int64_t nres = 0, nchg = 0;
      double ksum = 0;
      for (size_t i = lo; i < hi; ++i) {
        if (i > lo && s[i].v < s[i - 1].v) ++nres;
        if (i > lo && s[i].v != s[i - 1].v && !(std::isnan(s[i].v) && std::isnan(s[i - 1].v))) ++nchg;
        ksum += s[i].v;  // exact for the integer series
      }
      EXPECT_EQ(resets.ResetCount(lo, hi), nres) << lo << ".." << hi;
      EXPECT_EQ(changes.ChangeCount(lo, hi), nchg) << lo << ".." << hi;
      EXPECT_EQ(Bits(resets.CounterDelta(lo, hi)), Bits(RefCounterDelta(s, lo, hi)))
          << lo << ".." << hi;
      EXPECT_EQ(Bits(mx.Extreme(lo, hi)), Bits(RefExtreme(s, lo, hi, true))) << lo << ".." << hi;
      EXPECT_EQ(Bits(mn.Extreme(lo, hi)), Bits(RefExtreme(s, lo, hi, false))) << lo << ".." << hi;
      if (ints) EXPECT_EQ(Bits(sum.IntSum(lo, hi)), Bits(ksum)) << lo << ".." << hi;
    }
  }
}

TEST(WindowIndexTest, FirstOfEqualExtremesWins) {
  Samples s = {{0, 0.0}, {1, -0.0}, {2, 0.0}, {3, -1}};
  WindowIndex mx, mn;
  mx.Reset(WindowIndex::Kind::kMax, s);
  mn.Reset(WindowIndex::Kind::kMin, s);
  EXPECT_FALSE(std::signbit(mx.Extreme(0, 3)));  // +0 first
  EXPECT_TRUE(std::signbit(mx.Extreme(1, 3)));   // -0 first
  EXPECT_EQ(mn.Extreme(0, 4), -1);
}

TEST(WindowIndexTest, IntSumRefusesWhatCouldRound) {
  WindowIndex ix;
  EXPECT_FALSE(ix.Reset(WindowIndex::Kind::kIntSum, Samples{{0, 1.5}}));
  EXPECT_FALSE(ix.Reset(WindowIndex::Kind::kIntSum, Samples{{0, 9e15}, {1, 9e15}}));
  EXPECT_FALSE(ix.Reset(WindowIndex::Kind::kIntSum,
                        Samples{{0, std::numeric_limits<double>::quiet_NaN()}}));
  EXPECT_TRUE(ix.Reset(WindowIndex::Kind::kIntSum, Samples{{0, 3}, {1, -2}}));
  EXPECT_EQ(ix.IntSum(0, 2), 1);
}

}  // namespace
}  // namespace tally::promql::internal
