#include "storage/model/series_limits.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::storage {
namespace {

// Messages as Prometheus 2.42's scrape loop words them (scrape/scrape.go verifyLabelLimits).
TEST(SeriesLimitsTest, CountIncludesNameAndIgnoresEmptyValues) {
  const Labels ls = {{"__name__", "up"}, {"a", "1"}, {"b", "2"}};
  EXPECT_TRUE(CheckSeriesLimits(ls, {.label_limit = 3}).ok());
  absl::Status s = CheckSeriesLimits(ls, {.label_limit = 2});
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message(), "label_limit exceeded (metric: up, number of labels: 3, limit: 2)");
  struct View {
    absl::string_view name, value;
  };
  const std::vector<View> views = {{"__name__", "up"}, {"a", ""}, {"b", "2"}};
  EXPECT_TRUE(CheckSeriesLimits(views, {.label_limit = 2}).ok());
  EXPECT_TRUE(CheckSeriesLimits(ls, SeriesLimits{}).ok());
}

TEST(SeriesLimitsTest, NameAndValueLengthsInLabelOrder) {
  const Labels ls = {{"__name__", "m"}, {"long_name", "v"}, {"x", "value-too-long"}};
  EXPECT_EQ(CheckSeriesLimits(ls, {.label_name_length_limit = 8}).message(),
            "label_name_length_limit exceeded (metric: m, label name: long_name, length: 9, "
            "limit: 8)");
  EXPECT_EQ(CheckSeriesLimits(ls, {.label_value_length_limit = 5}).message(),
            "label_value_length_limit exceeded (metric: m, label name: x, value: "
            "\"value-too-long\", length: 14, limit: 5)");
  // __name__ is a label too: its value counts against the value limit.
  EXPECT_FALSE(
      CheckSeriesLimits(Labels{{"__name__", "abcdef"}}, {.label_value_length_limit = 5}).ok());
  EXPECT_TRUE(
      CheckSeriesLimits(ls, {.label_name_length_limit = 9, .label_value_length_limit = 14}).ok());
}

TEST(SeriesLimitsTest, MessagesCutLongTextsAtFiftyCharacters) {
  const std::string name(60, 'n');
  const std::string value = std::string(49, 'v') + "\xc3\xa9\xc3\xa9";  // 51 characters
  const Labels ls = {{"__name__", name}, {"k", value}};
  EXPECT_EQ(
      CheckSeriesLimits(ls, {.label_limit = 1}).message(),
      "label_limit exceeded (metric: " + std::string(50, 'n') + ", number of labels: 2, limit: 1)");
  EXPECT_EQ(
      CheckSeriesLimits(Labels{{"__name__", "m"}, {"k", value}}, {.label_value_length_limit = 10})
          .message(),
      "label_value_length_limit exceeded (metric: m, label name: k, value: \"" +
          std::string(49, 'v') + "\xc3\xa9\", length: 53, limit: 10)");
}

}  // namespace
}  // namespace tally::storage
