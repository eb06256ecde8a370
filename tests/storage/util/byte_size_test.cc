#include "storage/util/byte_size.h"

#include "gtest/gtest.h"

namespace tally::storage {
namespace {

TEST(ByteSizeTest, PrometheusUnitsArePowersOf1024) {
  EXPECT_EQ(*ParseByteSize("0"), 0);
  EXPECT_EQ(*ParseByteSize("512MB"), int64_t{512} << 20);
  EXPECT_EQ(*ParseByteSize("10GB"), int64_t{10} << 30);
  EXPECT_EQ(*ParseByteSize("10GiB"), int64_t{10} << 30);
  EXPECT_EQ(*ParseByteSize("1.5KB"), 1536);
  EXPECT_EQ(*ParseByteSize("1GB512MB"), (int64_t{1} << 30) + (int64_t{512} << 20));
  EXPECT_EQ(*ParseByteSize("100B"), 100);
  EXPECT_EQ(*ParseByteSize("2EB"), int64_t{2} << 60);
}

TEST(ByteSizeTest, RejectsMissingOrUnknownUnitsAndOverflow) {
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("512").ok());
  EXPECT_FALSE(ParseByteSize("10gb").ok());
  EXPECT_FALSE(ParseByteSize("10XB").ok());
  EXPECT_FALSE(ParseByteSize("-1GB").ok());
  EXPECT_FALSE(ParseByteSize("9EB").ok());
}

}  // namespace
}  // namespace tally::storage
