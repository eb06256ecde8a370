#include "promql/parser/printer.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "promql/parser/parser.h"

namespace tally::promql {
namespace {

TEST(PrinterTest, FormatNumberLikeGoSprint) {
  struct {
    double v;
    const char* want;
  } cases[] = {
      {0, "0"},
      {-0.0, "-0"},
      {1, "1"},
      {-2.5, "-2.5"},
      {0.1, "0.1"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.5e-7, "1.5e-07"},
      {100000, "100000"},
      {123456.7, "123456.7"},
      {1e6, "1e+06"},
      {1234567, "1.234567e+06"},
      {1e10, "1e+10"},
      {1e21, "1e+21"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {5e-324, "5e-324"},
      {1.0 / 3, "0.3333333333333333"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const auto& c : cases) EXPECT_EQ(FormatNumber(c.v), c.want) << c.v;
}

TEST(PrinterTest, PrettifySplitsLongExpressionsOnly) {
  auto e = ParseExpr("sum(rate(x[5m]))");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Prettify(**e), "sum(rate(x[5m]))");
  // Recorded from Prometheus 2.42's /api/v1/format_query.
  e = ParseExpr(
      "sum without (instance)(node_cpu) / ignoring (mode) group_left sum without (instance, "
      "mode)(node_cpu)");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Prettify(**e),
            "  sum without (instance) (node_cpu)\n/ ignoring (mode) group_left ()\n  sum without "
            "(instance, mode) (node_cpu)");
}

TEST(PrinterTest, PrintedFormReparsesToTheSameText) {
  const char* queries[] = {
      "-(a + b) * -c ^ -d",
      "a - (b - c)",
      "(a - b) - c",
      "2 ^ (3 ^ 4)",
      "(2 ^ 3) ^ 4",
      "- - - x",
      "x{a=\"\\\"quoted\\\"\\n\", b=~\"\\\\d+\"}",
      "topk by (job) (scalar(foo), rate(x[1y2w3d4h5m6s7ms] offset -1ms @ -5.25))",
      "a unless on (b) c or d and ignoring (e) f",
      "sum(x)[5m:] offset 1m @ end()",
      "1 > bool -Inf",
      "label_replace(x, \"a\", \"é\\t\", \"c\", \"(.*)\")",
  };
  for (const char* q : queries) {
    auto e = ParseExpr(q);
    ASSERT_TRUE(e.ok()) << q << ": " << e.status();
    const std::string printed = ToString(**e);
    auto again = ParseExpr(printed);
    ASSERT_TRUE(again.ok()) << printed << ": " << again.status();
    EXPECT_EQ(ToString(**again), printed) << q;
    auto pretty_again = ParseExpr(Prettify(**e));
    ASSERT_TRUE(pretty_again.ok());
    EXPECT_EQ(ToString(**pretty_again), printed);
  }
}

}  // namespace
}  // namespace tally::promql
