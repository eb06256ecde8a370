// Internal to promql/parser: the recursive-descent Parser shared by parser.cc (expressions,
// operators, calls, aggregations) and parse_selectors.cc (selectors, label matchers, ranges,
// subqueries, offset and @). One Parser per input, single-threaded; it owns the lexer, whose
// tokens view the input, so the input must outlive it.
//
// Error handling: the first error is kept in status_ and every Parse* returns null/false
// from then on, so callers just propagate. Prometheus reports only the first error too.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "promql/parser/ast.h"
#include "promql/parser/lexer.h"
#include "promql/parser/parse_error.h"
#include "promql/parser/parser.h"
#include "promql/parser/token.h"
#include "promql/parser/type_check.h"
#include "storage/model/matcher.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {

// Prometheus compat (generated_parser.y metric_identifier): tokens usable as a metric name.
bool IsMetricIdentifier(TokenType t);
// Prometheus compat (generated_parser.y maybe_label): tokens accepted in grouping lists.
bool IsMaybeLabel(TokenType t);
// Tokens that can begin an expression (the FIRST set of the grammar's `expr`).
bool IsExprStart(TokenType t);
// Tokens whose end Prometheus records as "lastClosing" (the end of calls and aggregates).
bool IsClosing(TokenType t);

class Parser {
 public:
  explicit Parser(absl::string_view input) : input_(input), lexer_(input) {}

  absl::StatusOr<ExprPtr> ParseTop() {
    if (Cur().type == TokenType::kEof) {
      Fail(0, "no expression found in input");
      return status_;
    }
    ExprPtr e = ParseExpr(0);
    if (e && Cur().type != TokenType::kEof) Unexpected("", "");
    if (!status_.ok()) return status_;
    // The checks above bound the parser's recursion; postfix chains can still stack a
    // little above that, so the tree's exact height is checked before anything recurses
    // over it (type check, printer, evaluator).
    if (Height(*e) > kMaxNestingDepth) {
      Fail(e->pos.start, NestingMessage());
      return status_;
    }
    RETURN_IF_ERROR(CheckAst(input_, *e));
    return e;
  }

  absl::StatusOr<storage::Matchers> ParseSelectorOnly() {
    const Token& t = Cur();
    ExprPtr e;
    if (IsMetricIdentifier(t.type) || t.type == TokenType::kLeftBrace) {
      e = ParseVectorSelector();
      if (e && Cur().type != TokenType::kEof) Unexpected("", "");
      if (status_.ok() && !storage::ValidateSelector(e->As<VectorSelector>().matchers).ok()) {
        Fail(e->pos.start, "vector selector must contain at least one non-empty matcher");
      }
    } else {
      Unexpected("", "");
    }
    if (!status_.ok()) return status_;
    return std::move(e->As<VectorSelector>().matchers);
  }

 private:

  // Tokens are lexed as the parser reaches them (Lexer::At), so an early error stops the
  // work: a 10 MB `1+1+...` fails at its 512th operator having lexed about 1,000 tokens.
  // By value: lexing more may move the lexer's tokens (Token is three words and views the
  // input, so copies are cheap and stay valid).
  Token Cur() { return lexer_.At(i_); }
  Token Ahead(size_t k) { return lexer_.At(i_ + k); }
  void Advance() {
    const Token t = Cur();
    if (IsClosing(t.type)) last_closing_ = t.end();
    // The final kEof/kError token is never advanced past.
    if (t.type != TokenType::kEof && t.type != TokenType::kError) ++i_;
  }

  std::nullptr_t Fail(int32_t pos, absl::string_view msg) {
    if (status_.ok()) status_ = ParseErrorAt(input_, pos, msg);
    return nullptr;
  }
  // Prometheus compat (parser.go unexpected): reports the current token; a lexer error
  // token reports its own message instead.
  std::nullptr_t Unexpected(absl::string_view context, absl::string_view expected) {
    const Token& t = Cur();
    if (t.type == TokenType::kError) return Fail(t.pos, t.val);
    std::string msg = absl::StrCat("unexpected ", DescribeToken(t));
    if (!context.empty()) absl::StrAppend(&msg, " in ", context);
    if (!expected.empty()) absl::StrAppend(&msg, ", expected ", expected);
    return Fail(t.pos, msg);
  }
  // An unexpected token where only the enclosing construct's error production applies.
  std::nullptr_t UnexpectedHere() {
    return Unexpected(in_aggregation_ > 0 ? "aggregation" : "", "");
  }
  static std::string NestingMessage() {
    return absl::StrCat("expression nesting too deep (more than ", kMaxNestingDepth,
                        " levels)");
  }
  bool Deeper(int extra = 0) {
    if (depth_ + extra > kMaxNestingDepth) {
      Fail(Cur().pos, NestingMessage());
      return false;
    }
    return true;
  }
  // Height of the tree without recursion.
  static int Height(const Expr& root) {
    int max_height = 0;
    std::vector<std::pair<const Expr*, int>> stack = {{&root, 1}};
    while (!stack.empty()) {
      auto [e, h] = stack.back();
      stack.pop_back();
      max_height = std::max(max_height, h);
      for (const Expr* c : Children(*e)) stack.push_back({c, h + 1});
    }
    return max_height;
  }

  ExprPtr ParseExpr(int min_prec);
  ExprPtr ParseUnary();
  ExprPtr ParsePostfix(ExprPtr e);
  ExprPtr ParsePrimary();
  ExprPtr ParseVectorSelector();
  bool ParseLabelMatchers(storage::Matchers* out);
  bool ParseGroupingLabels(std::vector<std::string>* out);
  bool ParseCallBody(std::vector<ExprPtr>* args);
  ExprPtr ParseCall();
  ExprPtr ParseAggregate();
  ExprPtr ParseBrackets(ExprPtr e);
  ExprPtr ParseOffset(ExprPtr e);
  ExprPtr ParseAt(ExprPtr e);
  bool ParseDurationToken(int64_t* ms);

  absl::string_view input_;
  Lexer lexer_;
  size_t i_ = 0;
  int32_t last_closing_ = 0;
  int depth_ = 0;
  int in_aggregation_ = 0;
  absl::Status status_;
};

}  // namespace tally::promql::internal
