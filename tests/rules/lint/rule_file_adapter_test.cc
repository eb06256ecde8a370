// The rule-file adapter finds the lines the linter points at (expression start and column,
// `for:`, label and annotation keys) and turns parser validation errors into findings.
#include "rules/lint/rule_file_adapter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tally::rules::lint {
namespace {

constexpr char kFile[] = R"yaml(groups:
- name: g
  interval: 30s
  rules:
  - alert: Block
    expr: |
      sum(x)
        > 1
    for: 5m
    labels:
      severity: page
    annotations:
      summary: "{{ $labels.a }}"
      description: d
  - record: "job:x:sum"
    expr: "sum by (job) (x)"
  - record: bad
    expr: up
    annotations:
      a: b
)yaml";

TEST(RuleFileAdapterTest, LocatesExpressionForLabelsAndAnnotations) {
  ParsedRuleFile parsed = ParseRuleFile(kFile, "r.yml");
  std::vector<Finding> findings;
  LintFile f = ToLintFile(parsed, kFile, "r.yml", &findings);
  ASSERT_EQ(f.groups.size(), 1u);
  EXPECT_EQ(f.groups[0].interval_ms, 30'000);
  ASSERT_EQ(f.groups[0].rules.size(), 3u);
  const LintRule& a = f.groups[0].rules[0];
  EXPECT_EQ(a.kind, LintRule::Kind::kAlerting);
  EXPECT_EQ(a.line, 5);
  EXPECT_EQ(a.expr_line, 7);
  EXPECT_EQ(a.expr_column, 7);
  EXPECT_EQ(a.for_line, 9);
  EXPECT_EQ(a.for_ms, 300'000);
  ASSERT_EQ(a.labels.size(), 1u);
  EXPECT_EQ(a.labels[0].line, 11);
  ASSERT_EQ(a.annotations.size(), 2u);
  // Sorted by key: description, summary.
  EXPECT_EQ(a.annotations[0].key, "description");
  EXPECT_EQ(a.annotations[0].line, 14);
  EXPECT_EQ(a.annotations[1].line, 13);
  const LintRule& r = f.groups[0].rules[1];
  EXPECT_EQ(r.kind, LintRule::Kind::kRecording);
  EXPECT_EQ(r.name, "job:x:sum");
  EXPECT_EQ(r.expr_line, 16);
  EXPECT_EQ(r.expr_column, 12);  // after the opening quote
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].line, 17);  // the parser places it at `record:`
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_THAT(findings[0].message, ::testing::HasSubstr("invalid field 'annotations'"));
}

TEST(RuleFileAdapterTest, ExpressionParseErrorsAreLeftToTheLinter) {
  constexpr char kBad[] = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(x) by\n";
  ParsedRuleFile parsed = ParseRuleFile(kBad, "b.yml");
  ASSERT_FALSE(parsed.errors.empty());
  std::vector<Finding> findings;
  LintFile f = ToLintFile(parsed, kBad, "b.yml", &findings);
  EXPECT_TRUE(findings.empty());
  ASSERT_EQ(f.groups.size(), 1u);
  ASSERT_EQ(f.groups[0].rules.size(), 1u);
  EXPECT_EQ(f.groups[0].rules[0].expr_line, 5);
  EXPECT_EQ(f.groups[0].rules[0].expr_column, 11);
}

}  // namespace
}  // namespace tally::rules::lint
