#include "storage/model/matcher.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::storage {
namespace {

Matcher M(MatchType t, absl::string_view name, absl::string_view value) {
  absl::StatusOr<Matcher> m = Matcher::Make(t, name, value);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

struct Case {
  MatchType type;
  const char* pattern;
  const char* input;
  bool want;
};

TEST(MatcherTest, SemanticsTable) {
  const Case cases[] = {
      {MatchType::kEqual, "a", "a", true},
      {MatchType::kEqual, "a", "ab", false},
      {MatchType::kEqual, "a", "", false},
      {MatchType::kEqual, "", "", true},
      {MatchType::kNotEqual, "a", "a", false},
      {MatchType::kNotEqual, "a", "b", true},
      {MatchType::kNotEqual, "a", "", true},
      // Regexes are fully anchored: =~"a" does not match "ba" or "ab".
      {MatchType::kRegexMatch, "a", "a", true},
      {MatchType::kRegexMatch, "a", "ba", false},
      {MatchType::kRegexMatch, "a", "ab", false},
      {MatchType::kRegexMatch, "a.*", "abc", true},
      {MatchType::kRegexMatch, ".*c", "abc", true},
      {MatchType::kRegexMatch, "a|b", "b", true},
      {MatchType::kRegexMatch, "a|b", "ab", false},  // anchoring wraps the alternation
      {MatchType::kRegexMatch, "foo|bar", "foobar", false},
      {MatchType::kRegexMatch, ".*", "", true},
      {MatchType::kRegexMatch, ".+", "", false},
      {MatchType::kRegexMatch, "", "", true},
      {MatchType::kRegexMatch, "", "x", false},
      {MatchType::kRegexMatch, "(?i)ABC", "abc", true},
      {MatchType::kRegexMatch, "a.b", "a\nb", false},  // . does not match newline
      {MatchType::kRegexMatch, "^a$", "a", true},      // explicit anchors are harmless
      {MatchType::kRegexNoMatch, "a", "ba", true},
      {MatchType::kRegexNoMatch, "a", "a", false},
      {MatchType::kRegexNoMatch, ".+", "", true},
      {MatchType::kRegexNoMatch, ".*", "anything", false},
  };
  for (const Case& c : cases) {
    const Matcher m = M(c.type, "l", c.pattern);
    EXPECT_EQ(m.Matches(c.input), c.want)
        << MatchTypeString(c.type) << " \"" << c.pattern << "\" on \"" << c.input << "\"";
  }
}

TEST(MatcherTest, EmptyMatchSelectsAbsentLabels) {
  // Prometheus compat: an absent label has the empty value, so these match series without
  // label `a`.
  EXPECT_TRUE(M(MatchType::kEqual, "a", "").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kRegexNoMatch, "a", ".+").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", ".*").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kNotEqual, "a", "x").MatchesEmpty());
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", "x|").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kEqual, "a", "x").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kRegexMatch, "a", ".+").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kNotEqual, "a", "").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kRegexNoMatch, "a", ".*").MatchesEmpty());
}

TEST(MatcherTest, InvalidRegexIsInvalidArgument) {
  for (const char* bad : {"(", "a[", "*a", "a{2,1}", "(?P<x"}) {
    absl::StatusOr<Matcher> m = Matcher::Make(MatchType::kRegexMatch, "a", bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(m.status().message()), testing::HasSubstr("error parsing regexp"));
    EXPECT_THAT(std::string(m.status().message()), testing::HasSubstr(bad));
    EXPECT_FALSE(Matcher::Make(MatchType::kRegexNoMatch, "a", bad).ok());
  }
  // Not a regex for = and !=.
  EXPECT_TRUE(Matcher::Make(MatchType::kEqual, "a", "(").ok());
  EXPECT_TRUE(Matcher::Make(MatchType::kNotEqual, "a", "(").ok());
}

TEST(MatcherTest, SetMatchesForLiteralAlternations) {
  using testing::ElementsAre;
  EXPECT_THAT(M(MatchType::kRegexMatch, "a", "a|b|c").SetMatches(), ElementsAre("a", "b", "c"));
  EXPECT_THAT(M(MatchType::kRegexMatch, "a", "foo").SetMatches(), ElementsAre("foo"));
  EXPECT_THAT(M(MatchType::kRegexMatch, "a", "foo-bar|baz_1").SetMatches(),
              ElementsAre("foo-bar", "baz_1"));
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", "a.*").SetMatches().empty());
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", "a|b+").SetMatches().empty());
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", "(a|b)").SetMatches().empty());
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a", "a\\.b").SetMatches().empty());
  EXPECT_TRUE(M(MatchType::kEqual, "a", "a|b").SetMatches().empty());
  // The set, when given, is exactly what the regex matches.
  const Matcher m = M(MatchType::kRegexMatch, "a", "x|yy|zzz");
  for (const std::string& v : m.SetMatches()) EXPECT_TRUE(m.Matches(v)) << v;
  EXPECT_FALSE(m.Matches("xy"));
}

TEST(MatcherTest, ToStringAndEquality) {
  EXPECT_EQ(M(MatchType::kEqual, "job", "api").ToString(), R"(job="api")");
  EXPECT_EQ(M(MatchType::kNotEqual, "job", "").ToString(), R"(job!="")");
  EXPECT_EQ(M(MatchType::kRegexMatch, "path", "/a\"b").ToString(), R"(path=~"/a\"b")");
  EXPECT_EQ(M(MatchType::kRegexNoMatch, "x", "a\\d").ToString(), R"(x!~"a\\d")");
  EXPECT_EQ(M(MatchType::kEqual, "a", "1"), M(MatchType::kEqual, "a", "1"));
  EXPECT_FALSE(M(MatchType::kEqual, "a", "1") == M(MatchType::kNotEqual, "a", "1"));
  EXPECT_STREQ(MatchTypeString(MatchType::kRegexNoMatch), "!~");
}

TEST(MatcherTest, ValidateSelectorNeedsOneNonEmptyMatcher) {
  const absl::Status empty = ValidateSelector({});
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "vector selector must contain at least one non-empty matcher");
  EXPECT_FALSE(ValidateSelector({M(MatchType::kEqual, "a", "")}).ok());
  EXPECT_FALSE(ValidateSelector({M(MatchType::kRegexMatch, "a", ".*")}).ok());
  EXPECT_FALSE(
      ValidateSelector({M(MatchType::kRegexNoMatch, "a", ".+"), M(MatchType::kNotEqual, "b", "x")})
          .ok());
  EXPECT_TRUE(ValidateSelector({M(MatchType::kEqual, "__name__", "up")}).ok());
  EXPECT_TRUE(
      ValidateSelector({M(MatchType::kRegexMatch, "a", ".*"), M(MatchType::kRegexMatch, "b", ".+")})
          .ok());
  EXPECT_TRUE(ValidateSelector({M(MatchType::kNotEqual, "a", "")}).ok());
}

}  // namespace
}  // namespace tally::storage
