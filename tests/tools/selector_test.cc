#include "tools/cli/selector.h"

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
  absl::StatusOr<storage::Matchers> m = ParseSimpleSelector("{a=\"\"}");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("at least one non-empty matcher"));
}

TEST(SelectorTest, ParseSelectorAgreesWithSimpleParser) {
  // Whichever parser ParseSelector uses (PromQL's once it lands), the result is the same.
  for (const char* s : {"up", "up{job=\"a\"}", "{__name__=~\"llm_.*\",model!=\"x\"}"}) {
    absl::StatusOr<storage::Matchers> a = ParseSelector(s);
    ASSERT_TRUE(a.ok()) << s << ": " << a.status();
    EXPECT_EQ(Render(*a), Render(*ParseSimpleSelector(s))) << s;
  }
}

}  // namespace
}  // namespace tally::tools
