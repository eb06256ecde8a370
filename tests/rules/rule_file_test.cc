// Expected messages were produced by /usr/bin/promtool check rules (Prometheus 2.42.0) on the
// same inputs.
#include "rules/rule_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tally::rules {
namespace {

using ::testing::ElementsAre;

TEST(RuleFileTest, ParsesGroupsAndRules) {
  ParsedRuleFile f = ParseRuleFile(R"(groups:
- name: g1
  interval: 30s
  limit: 5
  rules:
  - record: job:x:sum
    expr: sum(x) by (job)
    labels: {b: "2", a: "1"}
  - alert: A
    expr: x > 1
    for: 5m
    keep_firing_for: 1m
    labels: {severity: warn}
    annotations: {summary: "v"}
)",
                                   "ok.yml");
  ASSERT_TRUE(f.errors.empty()) << f.errors[0];
  ASSERT_EQ(f.spec.groups.size(), 1u);
  const GroupSpec& g = f.spec.groups[0];
  EXPECT_EQ(g.name, "g1");
  EXPECT_EQ(g.interval_ms, 30000);
  EXPECT_EQ(g.limit, 5);
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].record, "job:x:sum");
  EXPECT_THAT(g.rules[0].labels, ElementsAre(std::pair<std::string, std::string>("a", "1"),
                                             std::pair<std::string, std::string>("b", "2")));
  EXPECT_EQ(g.rules[1].alert, "A");
  EXPECT_EQ(g.rules[1].for_ms, 300000);
  EXPECT_EQ(g.rules[1].keep_firing_for_ms, 60000);
}

TEST(RuleFileTest, EmptyFileHasNoGroups) {
  ParsedRuleFile f = ParseRuleFile("", "empty.yml");
  EXPECT_TRUE(f.errors.empty());
  EXPECT_TRUE(f.spec.groups.empty());
}

TEST(RuleFileTest, ValidationErrorsMatchPromtool) {
  ParsedRuleFile f = ParseRuleFile(R"(groups:
- name: g1
  rules:
  - record: bad-name
    expr: sum(x) by (job
    for: 5m
    labels:
      "0bad": x
    annotations:
      a: b
  - record: r
    alert: A
    expr: x
  - expr: x
- name: g1
  rules:
  - alert: T
    expr: up
    labels:
      __name__: x
)",
                                   "bad1.yml");
  EXPECT_THAT(
      f.errors,
      ElementsAre(
          "bad1.yml: 5:11: group \"g1\", rule 1, \"bad-name\": could not parse expression: 1:15: "
          "parse error: unclosed left parenthesis",
          "bad1.yml: 4:13: group \"g1\", rule 1, \"bad-name\": invalid field 'annotations' in "
          "recording rule",
          "bad1.yml: 4:13: group \"g1\", rule 1, \"bad-name\": invalid field 'for' in recording "
          "rule",
          "bad1.yml: 4:13: group \"g1\", rule 1, \"bad-name\": invalid recording rule name: "
          "bad-name",
          "bad1.yml: group \"g1\", rule 1, \"bad-name\": invalid label name: 0bad",
          "bad1.yml: 11:13: 12:12: group \"g1\", rule 2, \"A\": only one of 'record' and 'alert' "
          "must be set",
          "bad1.yml: 0:0: group \"g1\", rule 3, \"\": one of 'record' or 'alert' must be set",
          "bad1.yml: 15:3: groupname: \"g1\" is repeated in the same file",
          "bad1.yml: group \"g1\", rule 1, \"T\": invalid label name: __name__"));
}

TEST(RuleFileTest, UnknownFieldsAreUnmarshalErrors) {
  ParsedRuleFile f = ParseRuleFile("groups:\n- name: g1\n  foo: 1\n  rules:\n  - record: r\n"
                                   "    expr: x\n    bar: 2\n",
                                   "bad2.yml");
  EXPECT_THAT(f.errors, ElementsAre("bad2.yml: yaml: unmarshal errors:\n"
                                    "  line 3: field foo not found in type rulefmt.RuleGroup\n"
                                    "  line 7: field bar not found in type rulefmt.RuleNode"));
}

TEST(RuleFileTest, GroupsNotAListFailsBothDecodes) {
  ParsedRuleFile f = ParseRuleFile("foo: 1\ngroups: 3\n", "t4.yml");
  EXPECT_THAT(f.errors, ElementsAre("t4.yml: yaml: unmarshal errors:\n"
                                    "  line 1: field foo not found in type rulefmt.RuleGroups\n"
                                    "  line 2: cannot unmarshal !!int `3` into []rulefmt.RuleGroup",
                                    "t4.yml: yaml: unmarshal errors:\n"
                                    "  line 2: cannot unmarshal !!int `3` into []yaml.Node"));
}

TEST(RuleFileTest, BadDurationAbortsDecoding) {
  ParsedRuleFile f =
      ParseRuleFile("groups:\n- name: g1\n  interval: abc\n  limit: x\n  rules: []\n", "t1.yml");
  EXPECT_THAT(f.errors, ElementsAre("t1.yml: not a valid duration string: \"abc\""));
}

TEST(RuleFileTest, RepeatedKeyAndEmptyGroupName) {
  EXPECT_THAT(ParseRuleFile("groups:\n- name: a\n  rules:\n  - record: x\n    expr: y\n    expr: z\n",
                            "d.yml")
                  .errors,
              ElementsAre("d.yml: yaml: unmarshal errors:\n"
                          "  line 6: mapping key \"expr\" already defined at line 5"));
  EXPECT_THAT(ParseRuleFile("groups:\n- name: \"\"\n  rules: []\n", "e.yml").errors,
              ElementsAre("e.yml: 2:3: Groupname must not be empty"));
}

TEST(RuleFileTest, KeepFiringForOnRecordingRule) {
  ParsedRuleFile f = ParseRuleFile(
      "groups:\n- name: g1\n  rules:\n  - record: \"ab:c\"\n    expr: rate(x[5m])\n"
      "    keep_firing_for: 1m\n",
      "t3.yml");
  EXPECT_THAT(f.errors, ElementsAre("t3.yml: 4:13: group \"g1\", rule 1, \"ab:c\": invalid field "
                                    "'keep_firing_for' in recording rule"));
}

TEST(RuleFileTest, SyntaxErrorReportedTwice) {
  ParsedRuleFile f = ParseRuleFile("groups:\n- name: [\n", "bad4.yml");
  ASSERT_EQ(f.errors.size(), 2u);
  EXPECT_THAT(f.errors[0], ::testing::StartsWith("bad4.yml: yaml: line "));
}

TEST(RuleFileTest, MissingFile) {
  EXPECT_THAT(LoadRuleFile("/nonexistent/x.yml").errors,
              ElementsAre("open /nonexistent/x.yml: no such file or directory"));
}

TEST(RuleFileTest, MetricNames) {
  EXPECT_TRUE(IsValidMetricName("job:x:rate5m"));
  EXPECT_TRUE(IsValidMetricName("_x"));
  EXPECT_FALSE(IsValidMetricName("0x"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
}

}  // namespace
}  // namespace tally::rules
