#include "promql/parser/parser.h"

#include <string>

#include "gtest/gtest.h"
#include "promql/parser/lexer.h"
#include "tests/testutil/child_process.h"
#include "promql/parser/function_table.h"
#include "promql/parser/printer.h"

namespace tally::promql {
namespace {

struct Case {
  const char* query;
  const char* want;  // printed form, or the error text when `error`
  bool error;
};

// Valid expressions and their canonical form (Prometheus 2.42's String()).
constexpr Case kValid[] = {
    {"sum(rate(x[5m])) by (job)", "sum by (job) (rate(x[5m]))", false},
    {"sum by(job)(rate(x[5m]))", "sum by (job) (rate(x[5m]))", false},
    {"a + on(b) group_left(c) d", "a + on (b) group_left (c) d", false},
    {"a * ignoring(b) group_right d", "a * ignoring (b) group_right () d", false},
    {"a * ignoring() group_left b", "a * b", false},
    {"a > bool b", "a > bool b", false},
    {"1 == bool 2", "1 == bool 2", false},
    {"x{b=\"2\", a=\"1\"}", "x{a=\"1\",b=\"2\"}", false},
    {"{__name__=\"x\"}", "{__name__=\"x\"}", false},
    {"x offset 90m", "x offset 1h30m", false},
    {"x offset -5m", "x offset -5m", false},
    {"x offset 5m @ 100", "x @ 100.000 offset 5m", false},
    {"x @ start()", "x @ start()", false},
    {"x[5m:] @ end()", "x[5m:] @ end()", false},
    {"rate(x[5m] offset 1w)", "rate(x[5m] offset 1w)", false},
    {"max_over_time(rate(x[5m])[1h:5m])", "max_over_time(rate(x[5m])[1h:5m])", false},
    {"1e10", "1e+10", false},
    {"0.1", "0.1", false},
    {"100000", "100000", false},
    {"1234567", "1.234567e+06", false},
    {"0x1f", "31", false},
    {"017", "15", false},
    {"Inf", "+Inf", false},
    {"-Inf", "-Inf", false},
    {"nan", "NaN", false},
    {"- -1", "1", false},
    {"-(1)", "-(1)", false},
    {"-x", "-x", false},
    {"2 ^ 3 ^ 4", "2 ^ 3 ^ 4", false},
    {"'a\"'", "\"a\\\"\"", false},
    {"`a\\b`", "\"a\\\\b\"", false},
    {"SUM(x) BY (a)", "sum by (a) (x)", false},
    {"sum", "sum", false},
    {"sum by () (x)", "sum(x)", false},
    {"sum without () (x)", "sum without () (x)", false},
    {"topk(3, x)", "topk(3, x)", false},
    {"count_values(\"v\", x)", "count_values(\"v\", x)", false},
    {"x # comment", "x", false},
    {"x{a=\"b\",}", "x{a=\"b\"}", false},
    {"label_join(x, \"a\", \",\", \"b\", \"c\")", "label_join(x, \"a\", \",\", \"b\", \"c\")", false},
    {"round(x)", "round(x)", false},
    {"round(x, 5)", "round(x, 5)", false},
    {"time()", "time()", false},
    {"pi() * 2", "pi() * 2", false},
};

// Invalid expressions, including every one issue #3 names, with Prometheus's messages.
constexpr Case kInvalid[] = {
    {"histogram_quantile(0.95, rate(x_bucket[5m])) by (model)",
     "1:46: parse error: unexpected <by>", true},
    {"llm_cost_tracker_memory_usage_bytes by (component)", "1:37: parse error: unexpected <by>",
     true},
    {"rate(x[5m]) by (operation)", "1:13: parse error: unexpected <by>", true},
    {"rate(x)",
     "1:6: parse error: expected type range vector in call to function \"rate\", got instant "
     "vector",
     true},
    {"sum(x) by (", "1:12: parse error: unclosed left parenthesis", true},
    {"x{a=\"b\"", "1:8: parse error: unexpected end of input inside braces", true},
    {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher", true},
    {"{a=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher",
     true},
    {"", "1:1: parse error: no expression found in input", true},
    {"1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier", true},
    {"a + bool b", "1:3: parse error: bool modifier can only be used on comparison operators",
     true},
    {"a and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression",
     true},
    {"a or on(x) group_left b", "1:1: parse error: no grouping allowed for \"or\" operation", true},
    {"1 + on(b) 2", "1:1: parse error: vector matching only allowed between instant vectors",
     true},
    {"a * on(x) group_left(x) b",
     "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once", true},
    {"x[5m] + 1",
     "1:1: parse error: binary expression must contain only scalar and instant vector types", true},
    {"-x[5m]",
     "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
     "vector, got \"range vector\"",
     true},
    {"(x[5m:1m])[1h:]",
     "1:1: parse error: subquery is only allowed on instant vector, got matrix instead", true},
    {"sum(x[5m])",
     "1:5: parse error: expected type instant vector in aggregation expression, got range vector",
     true},
    {"topk(\"a\", x)",
     "1:6: parse error: expected type scalar in aggregation parameter, got string", true},
    {"sum()", "1:1: parse error: no arguments for aggregate expression provided", true},
    {"topk(x)",
     "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, "
     "got 1",
     true},
    {"foo(x)", "1:1: parse error: unknown function with name \"foo\"", true},
    {"round(x,1,2)", "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3",
     true},
    {"label_join(x)",
     "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 1", true},
    {"time(1)", "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1", true},
    {"rate(x[5m],)", "1:11: parse error: trailing commas not allowed in function call args", true},
    {"x[5m] offset 5m offset 5m", "1:1: parse error: offset may not be set multiple times", true},
    {"x offset 5m [5m]", "1:13: parse error: no offset modifiers allowed before range", true},
    {"(x)[5m]", "1:4: parse error: ranges only allowed for vector selectors", true},
    {"x[0s]", "1:3: parse error: duration must be greater than 0", true},
    {"x[5]", "1:3: parse error: missing unit character in duration", true},
    {"x[1h1h]", "1:3: parse error: not a valid duration string: \"1h1h\"", true},
    {"x @ Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf", true},
    {"x @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times", true},
    {"x offset", "1:9: parse error: unexpected end of input in offset, expected duration", true},
    {"sum(x) by a", "1:11: parse error: unexpected identifier \"a\" in grouping opts, expected \"(\"",
     true},
    {"sum(x y)", "1:7: parse error: unexpected identifier \"y\" in aggregation", true},
    {"x{a}", "1:4: parse error: unexpected \"}\" in label matching, expected label matching operator",
     true},
    {"x{a=~\"(\"}", "1:3: parse error: error parsing regexp: missing closing ): `^(?:()$`", true},
    {"x $ y", "1:3: parse error: unexpected character: '$'", true},
    {"x)", "1:3: parse error: unexpected right parenthesis ')'", true},
    {"\"abc\\q\"", "1:1: parse error: unknown escape sequence U+0071 'q'", true},
    {"1e400",
     "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e400\": value out of "
     "range",
     true},
    {"x{__name__=\"y\"}", "1:1: parse error: metric name must not be set twice: \"x\" or \"y\"",
     true},
    {"x\n  + \n  y z", "3:5: parse error: unexpected identifier \"z\"", true},
    {"@0x10", "1:1: parse error: unexpected \"<Item 57385>\" <op:@>", true},
};

TEST(ParserTest, ValidExpressionsPrintCanonically) {
  for (const Case& c : kValid) {
    auto e = ParseExpr(c.query);
    ASSERT_TRUE(e.ok()) << c.query << ": " << e.status();
    EXPECT_EQ(ToString(**e), c.want) << c.query;
  }
}

TEST(ParserTest, InvalidExpressionsFailWithPrometheusMessages) {
  for (const Case& c : kInvalid) {
    auto e = ParseExpr(c.query);
    ASSERT_FALSE(e.ok()) << c.query << " parsed as " << ToString(**e);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << c.query;
    EXPECT_EQ(e.status().message(), c.want) << c.query;
  }
}

TEST(ParserTest, SelectorKeepsNameMatcherLastAndOffsetsInMs) {
  auto e = ParseExpr("http_requests_total{job=\"api\", code=~\"5..\"} offset -1m30s");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ((*e)->kind, NodeKind::kVectorSelector);
  const auto& vs = (*e)->As<VectorSelector>();
  EXPECT_EQ(vs.name, "http_requests_total");
  ASSERT_EQ(vs.matchers.size(), 3u);
  EXPECT_EQ(vs.matchers[0].ToString(), "job=\"api\"");
  EXPECT_EQ(vs.matchers[1].type(), storage::MatchType::kRegexMatch);
  EXPECT_EQ(vs.matchers[2].name(), "__name__");
  EXPECT_EQ(vs.matchers[2].value(), "http_requests_total");
  EXPECT_EQ(vs.offset_ms, -90000);
  EXPECT_FALSE(vs.at.present());
  EXPECT_EQ(vs.pos.start, 0);
  EXPECT_EQ(vs.pos.end, 57);
  EXPECT_EQ((*e)->type(), ValueType::kVector);
}

TEST(ParserTest, AtModifierRoundsSecondsToMillisAndKeepsStartEndSymbolic) {
  auto e = ParseExpr("x @ 1609746000.0005");
  ASSERT_TRUE(e.ok());
  const auto& at = (*e)->As<VectorSelector>().at;
  EXPECT_EQ(at.kind, AtModifier::Kind::kTimestamp);
  EXPECT_EQ(at.t_ms, 1609746000001);

  e = ParseExpr("rate(x[5m] @ end())");
  ASSERT_TRUE(e.ok());
  const auto& call = (*e)->As<Call>();
  ASSERT_EQ(call.args[0]->kind, NodeKind::kMatrixSelector);
  const auto& ms = call.args[0]->As<MatrixSelector>();
  EXPECT_EQ(ms.range_ms, 300000);
  EXPECT_EQ(ms.selector->at.kind, AtModifier::Kind::kEnd);
  EXPECT_EQ(ms.type(), ValueType::kMatrix);
}

TEST(ParserTest, SubqueryDefaultStepIsZero) {
  auto e = ParseExpr("max_over_time((a + b)[1h:] offset 5m)");
  ASSERT_TRUE(e.ok());
  const auto& sq = (*e)->As<Call>().args[0]->As<SubqueryExpr>();
  EXPECT_EQ(sq.range_ms, 3600000);
  EXPECT_EQ(sq.step_ms, 0);
  EXPECT_EQ(sq.offset_ms, 300000);
  EXPECT_EQ(sq.expr->kind, NodeKind::kParen);
  e = ParseExpr("x[1h:30s]");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->As<SubqueryExpr>().step_ms, 30000);
}

TEST(ParserTest, BinaryMatchingAndPrecedence) {
  auto e = ParseExpr("a - b * c ^ d ^ e unless f or g");
  ASSERT_TRUE(e.ok());
  // ((a - (b * (c ^ (d ^ e)))) unless f) or g
  const auto& orr = (*e)->As<BinaryExpr>();
  EXPECT_EQ(orr.op, BinaryOp::kOr);
  ASSERT_TRUE(orr.matching.has_value());
  EXPECT_EQ(orr.matching->card, Cardinality::kManyToMany);
  const auto& unless = orr.lhs->As<BinaryExpr>();
  EXPECT_EQ(unless.op, BinaryOp::kUnless);
  const auto& sub = unless.lhs->As<BinaryExpr>();
  EXPECT_EQ(sub.op, BinaryOp::kSub);
  const auto& mul = sub.rhs->As<BinaryExpr>();
  EXPECT_EQ(mul.op, BinaryOp::kMul);
  const auto& pow1 = mul.rhs->As<BinaryExpr>();
  EXPECT_EQ(pow1.op, BinaryOp::kPow);
  EXPECT_EQ(pow1.rhs->As<BinaryExpr>().op, BinaryOp::kPow);  // right-associative

  e = ParseExpr("a / on(x, y) group_left(z) b");
  ASSERT_TRUE(e.ok());
  const auto& div = (*e)->As<BinaryExpr>();
  ASSERT_TRUE(div.matching.has_value());
  EXPECT_TRUE(div.matching->on);
  EXPECT_EQ(div.matching->card, Cardinality::kManyToOne);
  EXPECT_EQ(div.matching->matching_labels, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(div.matching->include, (std::vector<std::string>{"z"}));

  e = ParseExpr("a + 1");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE((*e)->As<BinaryExpr>().matching.has_value());
  EXPECT_EQ((*e)->type(), ValueType::kVector);
  e = ParseExpr("1 + 2 * 3");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->type(), ValueType::kScalar);
}

TEST(ParserTest, UnaryBindsLooserThanPowTighterThanMul) {
  auto e = ParseExpr("-a ^ b");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->kind, NodeKind::kUnary);
  e = ParseExpr("-a * b");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ((*e)->kind, NodeKind::kBinary);
  EXPECT_EQ((*e)->As<BinaryExpr>().lhs->kind, NodeKind::kUnary);
  e = ParseExpr("-5");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ((*e)->kind, NodeKind::kNumberLiteral);
  EXPECT_EQ((*e)->As<NumberLiteral>().value, -5);
  EXPECT_EQ((*e)->pos.start, 0);
}

TEST(ParserTest, AggregateParamAndGrouping) {
  auto e = ParseExpr("quantile without (a, b) (0.9, x)");
  ASSERT_TRUE(e.ok());
  const auto& agg = (*e)->As<AggregateExpr>();
  EXPECT_EQ(agg.op, AggregateOp::kQuantile);
  EXPECT_TRUE(agg.without);
  EXPECT_EQ(agg.grouping, (std::vector<std::string>{"a", "b"}));
  ASSERT_NE(agg.param, nullptr);
  EXPECT_EQ(agg.param->As<NumberLiteral>().value, 0.9);
  EXPECT_EQ(agg.expr->kind, NodeKind::kVectorSelector);
  e = ParseExpr("sum(x)");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->As<AggregateExpr>().param, nullptr);
}

TEST(ParserTest, CallPointsIntoFunctionTable) {
  auto e = ParseExpr("label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\")");
  ASSERT_TRUE(e.ok()) << e.status();
  const auto& call = (*e)->As<Call>();
  EXPECT_EQ(call.func, LookupFunction("label_replace"));
  EXPECT_EQ(call.func->id, FunctionId::kLabelReplace);
  ASSERT_EQ(call.args.size(), 5u);
  EXPECT_EQ(call.args[2]->As<StringLiteral>().value, "$1");
  e = ParseExpr("scalar(x)");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->type(), ValueType::kScalar);
}

// Both limits are hit while reading: a 10 MB operator chain fails at its 512th operator
// without tokenizing the rest, so parsing it needs next to no memory. The child process may
// grow by 16 MB only; lexing the whole input up front took ~120 MB of tokens.
TEST(ParserTest, HugeInputsFailEarlyWithinLittleMemory) {
  std::string chain = "1";
  chain.reserve(10 << 20);
  while (chain.size() < (10u << 20)) chain += "+1";
  testutil::ChildResult r = testutil::RunInChild(
      [&chain] {
        auto e = ParseExpr(chain);
        return !e.ok() && e.status().message() ==
                              "1:1023: parse error: expression nesting too deep (more than "
                              "512 levels)"
                   ? 0
                   : 1;
      },
      /*extra_address_space_bytes=*/16 << 20, /*seconds=*/20);
  EXPECT_EQ(r.code, 0) << "134: out of memory, 142: too slow";

  // A flat list has no depth: the token cap stops it (at the 100,001st token).
  std::string labels = "sum by (a";
  while (labels.size() < (10u << 20)) labels += ",a";
  labels += ") (x)";
  auto e = ParseExpr(labels);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "1:100006: parse error: query too long (more than 100000 tokens)");
  // Exactly kMaxQueryTokens tokens parse: sum by ( L labels, L-1 commas ) ( x ).
  std::string fits = "sum by (a";
  for (size_t i = 1; i < (kMaxQueryTokens - 6) / 2; ++i) fits += ",a";
  fits += ") (x)";
  EXPECT_TRUE(ParseExpr(fits).ok()) << ParseExpr(fits).status();
}

TEST(ParserTest, NestingDepthIsCapped) {
  const int n = kMaxNestingDepth + 10;
  std::string deep = std::string(n, '(') + "x" + std::string(n, ')');
  auto e = ParseExpr(deep);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("expression nesting too deep"), std::string::npos)
      << e.status();

  std::string chain = "x";
  for (int i = 0; i < n; ++i) chain += " + x";
  e = ParseExpr(chain);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("nesting too deep"), std::string::npos);

  std::string subqueries = "x";
  for (int i = 0; i < n; ++i) subqueries += "[1h:]";
  e = ParseExpr(subqueries);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("nesting too deep"), std::string::npos);

  std::string ok = std::string(100, '(') + "x" + std::string(100, ')');
  EXPECT_TRUE(ParseExpr(ok).ok());
  // Chains below the cap are fine.
  std::string chain_ok = "x";
  for (int i = 0; i < 300; ++i) chain_ok += " or x";
  EXPECT_TRUE(ParseExpr(chain_ok).ok());
}

TEST(ParserTest, ParseMetricSelector) {
  auto m = ParseMetricSelector("up{job=\"api\"}");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].name(), "job");
  EXPECT_EQ((*m)[1].name(), "__name__");
  EXPECT_EQ((*m)[1].value(), "up");

  // Selectors matching everything are rejected (Prometheus's API makes the same check).
  EXPECT_EQ(ParseMetricSelector("{}").status().message(),
            "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_FALSE(ParseMetricSelector("{a=~\".*\"}").ok());
  EXPECT_TRUE(ParseMetricSelector("{a=~\".+\"}").ok());

  // Error texts as /api/v1/series?match[]=... reports them in Prometheus 2.42.
  EXPECT_EQ(ParseMetricSelector("x[5m]").status().message(), "1:2: parse error: unexpected \"[\"");
  EXPECT_EQ(ParseMetricSelector("rate(x[5m])").status().message(),
            "1:5: parse error: unexpected \"(\"");
  EXPECT_EQ(ParseMetricSelector("x offset 5m").status().message(),
            "1:3: parse error: unexpected <offset>");
  EXPECT_EQ(ParseMetricSelector("1").status().message(),
            "1:1: parse error: unexpected number \"1\"");
  EXPECT_EQ(ParseMetricSelector("").status().message(), "1:1: parse error: unexpected end of input");
  EXPECT_EQ(ParseMetricSelector("x{a=\"b\"").status().message(),
            "1:8: parse error: unexpected end of input inside braces");
}

}  // namespace
}  // namespace tally::promql
