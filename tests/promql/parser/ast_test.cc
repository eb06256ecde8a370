#include "promql/parser/ast.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "promql/parser/function_table.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

namespace tally::promql {
namespace {

ExprPtr MustParse(const std::string& q) {
  auto e = ParseExpr(q);
  EXPECT_TRUE(e.ok()) << q << ": " << e.status();
  return e.ok() ? std::move(*e) : nullptr;
}

TEST(AstTest, InspectVisitsPreOrderWithPath) {
  ExprPtr e = MustParse("sum by (a) (rate(x[5m])) / on() scalar(y)");
  ASSERT_NE(e, nullptr);
  std::vector<std::string> seen;
  std::vector<size_t> depths;
  Inspect(*e, [&](const Expr& node, absl::Span<const Expr* const> path) {
    seen.push_back(ToString(node));
    depths.push_back(path.size());
    if (!path.empty()) {
      // The last path entry is the node's parent.
      auto kids = Children(*path.back());
      EXPECT_NE(std::find(kids.begin(), kids.end(), &node), kids.end());
    } else {
      EXPECT_EQ(&node, e.get());
    }
    return true;
  });
  const std::vector<std::string> want = {
      "sum by (a) (rate(x[5m])) / scalar(y)",  // matching is dropped for a scalar side
      "sum by (a) (rate(x[5m]))",
      "rate(x[5m])",
      "x[5m]",
      "x",
      "scalar(y)",
      "y"};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(depths, (std::vector<size_t>{0, 1, 2, 3, 4, 1, 2}));
}

TEST(AstTest, InspectCanSkipChildren) {
  ExprPtr e = MustParse("rate(x[5m]) + rate(y[5m])");
  int visited = 0;
  Inspect(*e, [&](const Expr& node, absl::Span<const Expr* const>) {
    ++visited;
    return node.kind != NodeKind::kCall;
  });
  EXPECT_EQ(visited, 3);  // binary + two calls
}

TEST(AstTest, ChildrenOrderMatchesEvaluationOrder) {
  ExprPtr e = MustParse("topk(5, x)");
  auto kids = Children(*e);
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0]->kind, NodeKind::kNumberLiteral);
  EXPECT_EQ(kids[1]->kind, NodeKind::kVectorSelector);
  EXPECT_TRUE(Children(*MustParse("x")).empty());
}

TEST(AstTest, CloneIsDeepAndEqualWhenPrinted) {
  const char* queries[] = {
      "sum without (a) (rate(x{a=~\"b.*\"}[5m] offset 1m @ 100))",
      "a + on (b) group_left (c) d",
      "max_over_time((-x)[1h:1m] @ start())",
      "count_values(\"v\", x) > bool 3",
  };
  for (const char* q : queries) {
    ExprPtr e = MustParse(q);
    ExprPtr c = Clone(*e);
    EXPECT_EQ(ToString(*c), ToString(*e));
    EXPECT_EQ(c->pos, e->pos);
    EXPECT_NE(c.get(), e.get());
    auto ek = Children(*e);
    auto ck = Children(*c);
    ASSERT_EQ(ek.size(), ck.size());
    for (size_t i = 0; i < ek.size(); ++i) EXPECT_NE(ek[i], ck[i]);
  }
}

TEST(AstTest, UnwrapParens) {
  ExprPtr e = MustParse("((x))");
  EXPECT_EQ(UnwrapParens(*e).kind, NodeKind::kVectorSelector);
}

TEST(AstTest, StepInvariance) {
  EXPECT_TRUE(IsStepInvariant(*MustParse("1 + 2")));
  EXPECT_TRUE(IsStepInvariant(*MustParse("x @ 100")));
  EXPECT_TRUE(IsStepInvariant(*MustParse("sum(rate(x[5m] @ end()))")));
  EXPECT_TRUE(IsStepInvariant(*MustParse("x[5m:1m] @ start()")));
  EXPECT_FALSE(IsStepInvariant(*MustParse("x")));
  EXPECT_FALSE(IsStepInvariant(*MustParse("x @ 100 + y")));
  EXPECT_FALSE(IsStepInvariant(*MustParse("time()")));
  EXPECT_FALSE(IsStepInvariant(*MustParse("timestamp(x @ 100)")));
  EXPECT_TRUE(IsStepInvariant(*MustParse("abs(x @ 100)")));
}

TEST(AstTest, TypeNames) {
  EXPECT_STREQ(ValueTypeName(ValueType::kVector), "instant vector");
  EXPECT_STREQ(ValueTypeName(ValueType::kMatrix), "range vector");
  EXPECT_STREQ(ValueTypeName(ValueType::kScalar), "scalar");
  EXPECT_STREQ(ValueTypeName(ValueType::kString), "string");
  EXPECT_STREQ(BinaryOpString(BinaryOp::kAtan2), "atan2");
  EXPECT_STREQ(AggregateOpString(AggregateOp::kCountValues), "count_values");
  EXPECT_TRUE(AggregateHasParam(AggregateOp::kTopk));
  EXPECT_FALSE(AggregateHasParam(AggregateOp::kSum));
}

TEST(FunctionTableTest, CoversPrometheusFunctionsSortedAndUnique) {
  const char* required[] = {
      "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
      "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
      "count_over_time", "days_in_month", "day_of_month", "day_of_week", "day_of_year", "deg",
      "delta", "deriv", "exp", "floor", "histogram_quantile", "holt_winters", "hour", "idelta",
      "increase", "irate", "label_join", "label_replace", "last_over_time", "ln", "log10",
      "log2", "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
      "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar",
      "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time",
      "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year"};
  for (const char* name : required) {
    const Function* f = LookupFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name, name);
  }
  EXPECT_EQ(LookupFunction("group"), nullptr);  // an aggregation, not a function
  EXPECT_EQ(LookupFunction("Rate"), nullptr);   // function names are case-sensitive
  auto all = AllFunctions();
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
  const Function* hq = LookupFunction("histogram_quantile");
  EXPECT_EQ(hq->arg_types, (std::vector<ValueType>{ValueType::kScalar, ValueType::kVector}));
  EXPECT_EQ(LookupFunction("label_join")->variadic, -1);
  EXPECT_EQ(LookupFunction("round")->variadic, 1);
  EXPECT_EQ(LookupFunction("time")->return_type, ValueType::kScalar);
  EXPECT_TRUE(LookupFunction("time")->at_modifier_unsafe);
  EXPECT_FALSE(LookupFunction("rate")->at_modifier_unsafe);
}

}  // namespace
}  // namespace tally::promql
