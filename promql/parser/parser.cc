// Recursive-descent parser with precedence climbing. It reproduces the observable behaviour
// of Prometheus 2.42's yacc grammar (generated_parser.y): which token is reported as
// unexpected, the "in <context>, expected <what>" suffixes of its error productions, and the
// checks its grammar actions make while parsing. Type checks run afterwards (type_check.cc)
// and only on a syntactically valid tree, as in Prometheus.
#include "promql/parser/parser.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "promql/parser/function_table.h"
#include "promql/parser/parser_impl.h"
#include "storage/model/labels.h"
#include "storage/util/duration.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {
namespace {

// Binding strength of binary operators (higher binds tighter); 0 = not a binary operator.
constexpr int kPrecOr = 1, kPrecAnd = 2, kPrecCmp = 3, kPrecAdd = 4, kPrecMul = 5, kPrecPow = 6;

struct BinaryOpInfo {
  BinaryOp op;
  int prec;  // 0 when the token is not a binary operator
};

BinaryOpInfo InfoFor(TokenType t) {
  switch (t) {
    case TokenType::kLor: return {BinaryOp::kOr, kPrecOr};
    case TokenType::kLand: return {BinaryOp::kAnd, kPrecAnd};
    case TokenType::kLunless: return {BinaryOp::kUnless, kPrecAnd};
    case TokenType::kEqlc: return {BinaryOp::kEql, kPrecCmp};
    case TokenType::kNeq: return {BinaryOp::kNeq, kPrecCmp};
    case TokenType::kLte: return {BinaryOp::kLte, kPrecCmp};
    case TokenType::kLss: return {BinaryOp::kLss, kPrecCmp};
    case TokenType::kGte: return {BinaryOp::kGte, kPrecCmp};
    case TokenType::kGtr: return {BinaryOp::kGtr, kPrecCmp};
    case TokenType::kAdd: return {BinaryOp::kAdd, kPrecAdd};
    case TokenType::kSub: return {BinaryOp::kSub, kPrecAdd};
    case TokenType::kMul: return {BinaryOp::kMul, kPrecMul};
    case TokenType::kDiv: return {BinaryOp::kDiv, kPrecMul};
    case TokenType::kMod: return {BinaryOp::kMod, kPrecMul};
    case TokenType::kAtan2: return {BinaryOp::kAtan2, kPrecMul};
    case TokenType::kPow: return {BinaryOp::kPow, kPrecPow};
    default: return {BinaryOp::kAdd, 0};
  }
}

AggregateOp AggregateFor(TokenType t) {
  switch (t) {
    case TokenType::kAvg: return AggregateOp::kAvg;
    case TokenType::kBottomk: return AggregateOp::kBottomk;
    case TokenType::kCount: return AggregateOp::kCount;
    case TokenType::kCountValues: return AggregateOp::kCountValues;
    case TokenType::kGroup: return AggregateOp::kGroup;
    case TokenType::kMax: return AggregateOp::kMax;
    case TokenType::kMin: return AggregateOp::kMin;
    case TokenType::kQuantile: return AggregateOp::kQuantile;
    case TokenType::kStddev: return AggregateOp::kStddev;
    case TokenType::kStdvar: return AggregateOp::kStdvar;
    case TokenType::kTopk: return AggregateOp::kTopk;
    default: return AggregateOp::kSum;
  }
}

}  // namespace

bool IsMetricIdentifier(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kBy:
    case TokenType::kWithout:
    case TokenType::kOffset:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kStart:
    case TokenType::kEnd:
      return true;
    default:
      return IsAggregatorToken(t);
  }
}

bool IsMaybeLabel(TokenType t) {
  return IsMetricIdentifier(t) || IsKeywordToken(t) || t == TokenType::kAtan2;
}

bool IsExprStart(TokenType t) {
  switch (t) {
    case TokenType::kNumber:
    case TokenType::kString:
    case TokenType::kLeftParen:
    case TokenType::kLeftBrace:
    case TokenType::kAdd:
    case TokenType::kSub:
      return true;
    default:
      return IsMetricIdentifier(t);
  }
}

bool IsClosing(TokenType t) {
  return t == TokenType::kRightParen || t == TokenType::kRightBrace ||
         t == TokenType::kRightBracket || t == TokenType::kDuration || t == TokenType::kNumber;
}

ExprPtr Parser::ParseExpr(int min_prec) {
  ++depth_;
  if (!Deeper()) return nullptr;
  ExprPtr lhs = ParseUnary();
  int chain = 0;
  while (lhs) {
    const BinaryOpInfo info = InfoFor(Cur().type);
    if (info.prec == 0 || info.prec < min_prec) break;
    // Each operator in a left-associative chain adds one level above everything parsed
    // so far, so the chain counts towards the depth of its right-hand operands.
    ++chain;
    ++depth_;
    if (!Deeper()) return nullptr;
    Advance();
    auto bin = std::make_unique<BinaryExpr>();
    bin->op = info.op;
    VectorMatching vm;
    if (Cur().type == TokenType::kBool) {
      bin->return_bool = true;
      Advance();
    }
    if (Cur().type == TokenType::kOn || Cur().type == TokenType::kIgnoring) {
      vm.on = Cur().type == TokenType::kOn;
      Advance();
      if (!ParseGroupingLabels(&vm.matching_labels)) return nullptr;
      if (Cur().type == TokenType::kGroupLeft || Cur().type == TokenType::kGroupRight) {
        vm.card = Cur().type == TokenType::kGroupLeft ? Cardinality::kManyToOne
                                                      : Cardinality::kOneToMany;
        Advance();
        // Prometheus compat: the optional label list's error rule fires for any token that
        // can start neither the list nor the right-hand operand.
        if (Cur().type == TokenType::kLeftParen || !IsExprStart(Cur().type)) {
          if (!ParseGroupingLabels(&vm.include)) return nullptr;
        }
      }
    }
    bin->matching = std::move(vm);
    // `^` is right-associative, everything else left-associative.
    ExprPtr rhs = ParseExpr(info.prec == kPrecPow ? info.prec : info.prec + 1);
    if (!rhs) return nullptr;
    bin->pos = {lhs->pos.start, rhs->pos.end};
    bin->lhs = std::move(lhs);
    bin->rhs = std::move(rhs);
    lhs = std::move(bin);
  }
  depth_ -= chain + 1;
  return lhs;
}

ExprPtr Parser::ParseUnary() {
  const Token& t = Cur();
  if (t.type != TokenType::kAdd && t.type != TokenType::kSub) return ParsePostfix(ParsePrimary());
  const Token op = t;
  Advance();
  // Prometheus compat: unary operators bind like `*`, so only `^` (and postfix modifiers)
  // bind tighter: -a^b == -(a^b), -a*b == (-a)*b.
  ExprPtr operand = ParseExpr(kPrecPow);
  if (!operand) return nullptr;
  if (operand->kind == NodeKind::kNumberLiteral) {
    // Prometheus compat: a sign directly on a number literal folds into it.
    auto& n = operand->As<NumberLiteral>();
    if (op.type == TokenType::kSub) n.value = -n.value;
    n.pos.start = op.pos;
    return operand;
  }
  auto u = std::make_unique<UnaryExpr>();
  u->op = op.type == TokenType::kSub ? BinaryOp::kSub : BinaryOp::kAdd;
  u->pos = {op.pos, operand->pos.end};
  u->expr = std::move(operand);
  return u;
}

ExprPtr Parser::ParsePostfix(ExprPtr e) {
  int chain = 0;
  while (e) {
    switch (Cur().type) {
      case TokenType::kLeftBracket:
        if (!Deeper(++chain)) return nullptr;
        e = ParseBrackets(std::move(e));
        break;
      case TokenType::kOffset:
        e = ParseOffset(std::move(e));
        break;
      case TokenType::kAt:
        e = ParseAt(std::move(e));
        break;
      default:
        return e;
    }
  }
  return e;
}

ExprPtr Parser::ParsePrimary() {
  const Token& t = Cur();
  switch (t.type) {
    case TokenType::kNumber: {
      auto v = ParseNumber(t.val);
      if (!v.ok()) return Fail(t.pos, v.status().message());
      auto n = std::make_unique<NumberLiteral>();
      n->value = *v;
      n->pos = {t.pos, t.end()};
      Advance();
      return n;
    }
    case TokenType::kString: {
      auto v = Unquote(t.val);
      if (!v.ok()) return Fail(t.pos, v.status().message());
      auto s = std::make_unique<StringLiteral>();
      s->value = std::move(*v);
      s->pos = {t.pos, t.end()};
      Advance();
      return s;
    }
    case TokenType::kLeftParen: {
      const int32_t start = t.pos;
      Advance();
      ExprPtr inner = ParseExpr(0);
      if (!inner) return nullptr;
      if (Cur().type != TokenType::kRightParen) return UnexpectedHere();
      auto p = std::make_unique<ParenExpr>();
      p->pos = {start, Cur().end()};
      p->expr = std::move(inner);
      Advance();
      return p;
    }
    case TokenType::kLeftBrace:
      return ParseVectorSelector();
    case TokenType::kIdentifier:
      if (Ahead(1).type == TokenType::kLeftParen) return ParseCall();
      return ParseVectorSelector();
    default:
      break;
  }
  if (IsAggregatorToken(t.type)) {
    const TokenType next = Ahead(1).type;
    if (next == TokenType::kLeftParen || next == TokenType::kBy || next == TokenType::kWithout) {
      return ParseAggregate();
    }
    return ParseVectorSelector();
  }
  if (IsMetricIdentifier(t.type)) return ParseVectorSelector();
  return UnexpectedHere();
}

bool Parser::ParseGroupingLabels(std::vector<std::string>* out) {
  if (Cur().type != TokenType::kLeftParen) {
    Unexpected("grouping opts", "\"(\"");
    return false;
  }
  Advance();
  if (Cur().type == TokenType::kRightParen) {
    Advance();
    return true;
  }
  while (true) {
    // Every maybe_label token but a metric identifier (with ':') is a valid label name.
    if (!IsMaybeLabel(Cur().type) || Cur().type == TokenType::kMetricIdentifier) {
      Unexpected("grouping opts", "label");
      return false;
    }
    out->emplace_back(Cur().val);
    Advance();
    if (Cur().type == TokenType::kComma) {
      Advance();
      if (Cur().type == TokenType::kRightParen) {
        Advance();
        return true;
      }
      continue;
    }
    if (Cur().type == TokenType::kRightParen) {
      Advance();
      return true;
    }
    Unexpected("grouping opts", "\",\" or \")\"");
    return false;
  }
}

bool Parser::ParseCallBody(std::vector<ExprPtr>* args) {
  Advance();  // '('
  if (Cur().type == TokenType::kRightParen) {
    Advance();
    return true;
  }
  while (true) {
    ExprPtr arg = ParseExpr(0);
    if (!arg) return false;
    args->push_back(std::move(arg));
    if (Cur().type == TokenType::kComma) {
      const int32_t comma = Cur().pos;
      Advance();
      // Prometheus compat: yacc reduces the "args COMMA" error rule before it notices any
      // token that cannot start an argument, so those are reported as a trailing comma too.
      if (Cur().type == TokenType::kError) {
        Unexpected("", "");
        return false;
      }
      if (!IsExprStart(Cur().type)) {
        Fail(comma, "trailing commas not allowed in function call args");
        return false;
      }
      continue;
    }
    if (Cur().type == TokenType::kRightParen) {
      Advance();
      return true;
    }
    UnexpectedHere();
    return false;
  }
}

ExprPtr Parser::ParseCall() {
  const Token name = Cur();
  Advance();
  auto call = std::make_unique<Call>();
  if (!ParseCallBody(&call->args)) return nullptr;
  // Prometheus compat: the name is checked after the arguments (yacc reduces the call last).
  call->func = LookupFunction(name.val);
  if (call->func == nullptr) {
    return Fail(name.pos, absl::StrCat("unknown function with name ", storage::GoQuote(name.val)));
  }
  call->pos = {name.pos, last_closing_};
  return call;
}

ExprPtr Parser::ParseAggregate() {
  const Token op = Cur();
  Advance();
  auto agg = std::make_unique<AggregateExpr>();
  agg->op = AggregateFor(op.type);
  std::vector<ExprPtr> args;
  ++in_aggregation_;
  bool have_modifier = false;
  if (Cur().type == TokenType::kBy || Cur().type == TokenType::kWithout) {
    agg->without = Cur().type == TokenType::kWithout;
    Advance();
    if (!ParseGroupingLabels(&agg->grouping)) return nullptr;
    have_modifier = true;
  }
  if (Cur().type != TokenType::kLeftParen) return UnexpectedHere();
  if (!ParseCallBody(&args)) return nullptr;
  --in_aggregation_;
  if (!have_modifier && (Cur().type == TokenType::kBy || Cur().type == TokenType::kWithout)) {
    agg->without = Cur().type == TokenType::kWithout;
    Advance();
    if (!ParseGroupingLabels(&agg->grouping)) return nullptr;
  }
  // Prometheus compat: yacc needs a lookahead after `op(...)` (a `by` may follow), so a
  // lexer error there is reported before the argument-count checks below.
  if (!have_modifier && Cur().type == TokenType::kError) return Unexpected("", "");
  agg->pos = {op.pos, last_closing_};
  if (args.empty()) return Fail(op.pos, "no arguments for aggregate expression provided");
  const size_t want = AggregateHasParam(agg->op) ? 2 : 1;
  if (args.size() != want) {
    return Fail(op.pos,
                absl::StrCat("wrong number of arguments for aggregate expression provided, "
                             "expected ",
                             want, ", got ", args.size()));
  }
  if (want == 2) agg->param = std::move(args[0]);
  agg->expr = std::move(args[want - 1]);
  return agg;
}

}  // namespace tally::promql::internal

namespace tally::promql {

absl::StatusOr<ExprPtr> ParseExpr(absl::string_view input) {
  internal::Parser p(input);
  return p.ParseTop();
}

absl::StatusOr<storage::Matchers> ParseMetricSelector(absl::string_view input) {
  internal::Parser p(input);
  return p.ParseSelectorOnly();
}

}  // namespace tally::promql
