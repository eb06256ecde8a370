#include "storage/ingest/go_float.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "gtest/gtest.h"

namespace tally::storage {
namespace {

TEST(GoFloatTest, FormatsLikeGoShortestG) {
  // Expected strings are what `promtool tsdb dump` (Go's FormatFloat 'g', -1) printed for
  // these values.
  EXPECT_EQ(FormatGoFloat(1e6), "1e+06");
  EXPECT_EQ(FormatGoFloat(0.1), "0.1");
  EXPECT_EQ(FormatGoFloat(1e-7), "1e-07");
  EXPECT_EQ(FormatGoFloat(123456789012.0), "1.23456789012e+11");
  EXPECT_EQ(FormatGoFloat(1e21), "1e+21");
  EXPECT_EQ(FormatGoFloat(1e20), "1e+20");
  EXPECT_EQ(FormatGoFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatGoFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatGoFloat(1.5e-300), "1.5e-300");
  EXPECT_EQ(FormatGoFloat(12345678.0), "1.2345678e+07");
  EXPECT_EQ(FormatGoFloat(123456789.0), "1.23456789e+08");
  EXPECT_EQ(FormatGoFloat(1234567890123456789012.0), "1.2345678901234568e+21");
  EXPECT_EQ(FormatGoFloat(123456.0), "123456");
  EXPECT_EQ(FormatGoFloat(100000.0), "100000");
  EXPECT_EQ(FormatGoFloat(1.0), "1");
  EXPECT_EQ(FormatGoFloat(0.0), "0");
  EXPECT_EQ(FormatGoFloat(-0.0), "-0");
  EXPECT_EQ(FormatGoFloat(-2.5), "-2.5");
  EXPECT_EQ(FormatGoFloat(std::nan("")), "NaN");
  EXPECT_EQ(FormatGoFloat(std::bit_cast<double>(uint64_t{0x7ff0000000000002})), "NaN");
  EXPECT_EQ(FormatGoFloat(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatGoFloat(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatGoFloat(5e-324), "5e-324");
  EXPECT_EQ(FormatGoFloat(1.7976931348623157e308), "1.7976931348623157e+308");
}

TEST(GoFloatTest, ParsesGoSyntax) {
  double v = 0;
  ASSERT_TRUE(ParseGoFloat("1.5", &v));
  EXPECT_EQ(v, 1.5);
  ASSERT_TRUE(ParseGoFloat("-1e3", &v));
  EXPECT_EQ(v, -1000);
  ASSERT_TRUE(ParseGoFloat("+2E-2", &v));
  EXPECT_EQ(v, 0.02);
  ASSERT_TRUE(ParseGoFloat(".5", &v));
  EXPECT_EQ(v, 0.5);
  ASSERT_TRUE(ParseGoFloat("5.", &v));
  EXPECT_EQ(v, 5);
  ASSERT_TRUE(ParseGoFloat("0x1p-2", &v));
  EXPECT_EQ(v, 0.25);
  ASSERT_TRUE(ParseGoFloat("+Inf", &v));
  EXPECT_EQ(v, std::numeric_limits<double>::infinity());
  ASSERT_TRUE(ParseGoFloat("-Inf", &v));
  EXPECT_EQ(v, -std::numeric_limits<double>::infinity());
  ASSERT_TRUE(ParseGoFloat("inf", &v));
  EXPECT_TRUE(std::isinf(v));
  ASSERT_TRUE(ParseGoFloat("Infinity", &v));
  EXPECT_TRUE(std::isinf(v));
  ASSERT_TRUE(ParseGoFloat("NaN", &v));
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(ParseGoFloat("nan", &v));
  EXPECT_TRUE(std::isnan(v));
  ASSERT_TRUE(ParseGoFloat("1e-400", &v));  // underflow rounds to zero, as in Go
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(ParseGoFloat("-0", &v));
  EXPECT_TRUE(std::signbit(v));
}

TEST(GoFloatTest, RejectsWhatGoRejects) {
  double v = 0;
  for (const char* bad : {"", "+", "-", "1x", "1e", "abc", "1.2.3", " 1", "1 ", "nan(1)",
                          "0x1", "1e999", "-1e999", "Infx", "++1", "1_000"}) {
    EXPECT_FALSE(ParseGoFloat(bad, &v)) << bad;
  }
}

TEST(GoFloatTest, RoundTripsRandomBitPatterns) {
  const uint64_t seed = 20261127;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    const double d = std::bit_cast<double>(rng());
    if (std::isnan(d)) continue;
    const std::string s = FormatGoFloat(d);
    double back = 0;
    ASSERT_TRUE(ParseGoFloat(s, &back)) << s << " seed=" << seed;
    ASSERT_EQ(std::bit_cast<uint64_t>(back), std::bit_cast<uint64_t>(d)) << s << " seed=" << seed;
  }
}

}  // namespace
}  // namespace tally::storage
