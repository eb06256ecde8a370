// Go's strconv.FormatFloat(v, 'f', -1, 64), expectations taken from Prometheus 2.42's API
// answers (tests/compat differential run) and Go's documented behaviour.
#include "storage/util/go_float_format.h"

#include <string>

#include "gtest/gtest.h"

namespace tally::storage {
namespace {

std::string F(double v) {
  std::string s;
  AppendGoFloatF(v, &s);
  return s;
}

TEST(GoFloatFormatTest, PadsShortestDigitsWithZeros) {
  // Seen in /api/v1/query: memory_usage_bytes ^ 2 and time() * time().
  EXPECT_EQ(F(295421504068255744.0), "295421504068255740");
  EXPECT_EQ(F(3012681001567107584.0), "3012681001567107600");
  EXPECT_EQ(F(1e21), "1000000000000000000000");
  EXPECT_EQ(F(-2.5e17), "-250000000000000000");
}

TEST(GoFloatFormatTest, FractionsAndSmallNumbers) {
  EXPECT_EQ(F(0), "0");
  EXPECT_EQ(F(-0.0), "-0");
  EXPECT_EQ(F(1), "1");
  EXPECT_EQ(F(123.456), "123.456");
  EXPECT_EQ(F(0.1), "0.1");
  EXPECT_EQ(F(1e-7), "0.0000001");
  EXPECT_EQ(F(-1.5e-3), "-0.0015");
  EXPECT_EQ(F(1.5707963130339053), "1.5707963130339053");
}

}  // namespace
}  // namespace tally::storage
