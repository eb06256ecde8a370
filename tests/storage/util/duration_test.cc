#include "storage/util/duration.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace tally::storage {
namespace {

constexpr int64_t kS = 1000;
constexpr int64_t kM = 60 * kS;
constexpr int64_t kH = 60 * kM;
constexpr int64_t kD = 24 * kH;
constexpr int64_t kW = 7 * kD;
constexpr int64_t kY = 365 * kD;

TEST(DurationTest, ParsesPrometheusDurations) {
  struct Case {
    const char* in;
    int64_t ms;
  };
  const Case cases[] = {
      {"0", 0},
      {"0s", 0},
      {"250ms", 250},
      {"1s", kS},
      {"5m", 5 * kM},
      {"1h30m", kH + 30 * kM},
      {"15d", 15 * kD},
      {"2w", 2 * kW},
      {"1y", kY},
      {"1y2w3d4h5m6s7ms", kY + 2 * kW + 3 * kD + 4 * kH + 5 * kM + 6 * kS + 7},
      {"90s", 90 * kS},
      {"1s1ms", 1001},
      {"292y", 292 * kY},  // still fits a Go time.Duration
      {"106751d23h47m16s854ms", std::numeric_limits<int64_t>::max() / 1000000},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> got = ParseDurationMs(c.in);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status();
    EXPECT_EQ(*got, c.ms) << c.in;
  }
}

TEST(DurationTest, RejectsMalformedDurations) {
  for (const char* bad : {"1m1h", "5", "-1m", "1h1h", "1.5h", "1M", "1 h", " 1h", "1h ", "h", "1hm",
                          "1d1y", "00", "1ms1s", "+1m", "1x"}) {
    absl::StatusOr<int64_t> got = ParseDurationMs(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), "not a valid duration string: \"" + std::string(bad) + "\"");
  }
  // Prometheus compat: the empty string and overflow have their own messages.
  EXPECT_EQ(ParseDurationMs("").status().message(), "empty duration string");
  for (const char* big :
       {"293y", "300y", "99999999999999999999999s", "106752d", "106751d23h47m16s855ms"}) {
    absl::StatusOr<int64_t> got = ParseDurationMs(big);
    ASSERT_FALSE(got.ok()) << big;
    EXPECT_EQ(got.status().message(), "duration out of range") << big;
  }
}

TEST(DurationTest, FormatsLargestUnitsFirst) {
  EXPECT_EQ(FormatDurationMs(0), "0s");
  EXPECT_EQ(FormatDurationMs(1), "1ms");
  EXPECT_EQ(FormatDurationMs(kH + 30 * kM), "1h30m");
  EXPECT_EQ(FormatDurationMs(15 * kD), "15d");
  EXPECT_EQ(FormatDurationMs(14 * kD), "2w");
  EXPECT_EQ(FormatDurationMs(90 * kD), "90d");  // not 12w6d: weeks only when exact
  EXPECT_EQ(FormatDurationMs(kY), "1y");
  EXPECT_EQ(FormatDurationMs(kY + kD), "366d");  // years only when exact
  EXPECT_EQ(FormatDurationMs(2 * kY + 2 * kW), "744d");
  EXPECT_EQ(FormatDurationMs(kD + 1), "1d1ms");
  EXPECT_EQ(FormatDurationMs(-kM), "-1m");
  const std::string min = FormatDurationMs(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(min.substr(0, 1), "-");  // no overflow on negation
}

TEST(DurationTest, FormatThenParseRoundTrips) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const int64_t ms = static_cast<int64_t>(rng() % (200 * static_cast<uint64_t>(kY)));
    const std::string s = FormatDurationMs(ms);
    absl::StatusOr<int64_t> back = ParseDurationMs(s);
    ASSERT_TRUE(back.ok()) << s;
    EXPECT_EQ(*back, ms) << s;
  }
}

}  // namespace
}  // namespace tally::storage
