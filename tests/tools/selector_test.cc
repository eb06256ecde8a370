#include "tools/cli/selector.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::tools {
namespace {

using ::testing::HasSubstr;

std::string Render(const storage::Matchers& ms) {
  std::string out;
  for (const storage::Matcher& m : ms) {
    if (!out.empty()) out += ",";
    out += m.ToString();
  }
  return out;
}

// Order-insensitive rendering (PromQL's parser puts the name matcher last).
std::string RenderSorted(const storage::Matchers& ms) {
  std::vector<std::string> parts;
  for (const storage::Matcher& m : ms) parts.push_back(m.ToString());
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, ",");
}

TEST(SelectorTest, ParsesNamesAndMatchers) {
  EXPECT_EQ(Render(*ParseSimpleSelector("up")), "__name__=\"up\"");
  EXPECT_EQ(Render(*ParseSimpleSelector(
                " llm:cost { model = \"gpt-4o\", job!='x', a=~`b.*`, c!~\"d\\\"\\n\" , } ")),
            "__name__=\"llm:cost\",model=\"gpt-4o\",job!=\"x\",a=~\"b.*\",c!~\"d\\\"\\n\"");
  EXPECT_EQ(Render(*ParseSimpleSelector("{__name__=~\".+\"}")), "__name__=~\".+\"");
}

TEST(SelectorTest, RejectsMalformedSelectors) {
  const char* bad[] = {"", "{", "up{", "up{a}", "up{a=b}", "up{a=\"b\"", "up{a==\"b\"}",
                       "up{a=\"b\" c=\"d\"}", "up extra", "{a=\"\\q\"}", "{a=~\"(\"}"};
  for (const char* s : bad) EXPECT_FALSE(ParseSimpleSelector(s).ok()) << s;
}

TEST(SelectorTest, RequiresANonEmptyMatcher) {
  for (auto* parse : {&ParseSimpleSelector, &ParseSelector}) {
    absl::StatusOr<storage::Matchers> m = parse("{a=\"\"}");
    ASSERT_FALSE(m.ok());
    EXPECT_THAT(std::string(m.status().message()), HasSubstr("at least one non-empty matcher"));
  }
}

TEST(SelectorTest, ParseSelectorAgreesWithSimpleParser) {
  // Whichever parser ParseSelector uses (PromQL's once it lands), the result is the same.
  for (const char* s : {"up", "up{job=\"a\"}", "{__name__=~\"llm_.*\",model!=\"x\"}"}) {
    absl::StatusOr<storage::Matchers> a = ParseSelector(s);
    ASSERT_TRUE(a.ok()) << s << ": " << a.status();
    EXPECT_EQ(RenderSorted(*a), RenderSorted(*ParseSimpleSelector(s))) << s;
  }
}

}  // namespace
}  // namespace tally::tools
