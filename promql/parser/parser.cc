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
#include "promql/parser/lexer.h"
#include "promql/parser/parse_error.h"
#include "promql/parser/type_check.h"
#include "re2/re2.h"
#include "storage/model/labels.h"
#include "storage/util/duration.h"
#include "storage/util/status_macros.h"

namespace tally::promql {
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

// Prometheus compat (generated_parser.y metric_identifier): tokens usable as a metric name.
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

// Prometheus compat (generated_parser.y maybe_label): tokens accepted in grouping lists.
bool IsMaybeLabel(TokenType t) {
  return IsMetricIdentifier(t) || IsKeywordToken(t) || t == TokenType::kAtan2;
}

// Prometheus compat: Go's regexp/syntax wording for a regex RE2 rejects, as labels.NewMatcher
// reports it ("error parsing regexp: missing closing ): `^(?:()$`"). RE2's error argument is
// the same fragment Go quotes. `fallback` when `pattern` compiles.
std::string RegexError(absl::string_view pattern, absl::string_view fallback) {
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), opts);
  const char* what = nullptr;
  switch (re.error_code()) {
    case RE2::NoError: return std::string(fallback);
    case RE2::ErrorBadEscape: what = "invalid escape sequence"; break;
    case RE2::ErrorBadCharClass: what = "invalid character class"; break;
    case RE2::ErrorBadCharRange: what = "invalid character class range"; break;
    case RE2::ErrorMissingBracket: what = "missing closing ]"; break;
    case RE2::ErrorMissingParen: what = "missing closing )"; break;
    case RE2::ErrorUnexpectedParen: what = "unexpected )"; break;
    case RE2::ErrorTrailingBackslash: what = "trailing backslash at end of expression"; break;
    case RE2::ErrorRepeatArgument: what = "missing argument to repetition operator"; break;
    case RE2::ErrorRepeatSize: what = "invalid repeat count"; break;
    case RE2::ErrorRepeatOp: what = "invalid nested repetition operator"; break;
    case RE2::ErrorBadPerlOp: what = "invalid or unsupported Perl syntax"; break;
    case RE2::ErrorBadUTF8: what = "invalid UTF-8"; break;
    case RE2::ErrorBadNamedCapture: what = "invalid named capture"; break;
    default: break;
  }
  if (what == nullptr) return std::string(fallback);
  return absl::StrCat("error parsing regexp: ", what, ": `", re.error_arg(), "`");
}

// Tokens that can begin an expression (the FIRST set of the grammar's `expr`).
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

class Parser {
 public:
  explicit Parser(absl::string_view input) : input_(input), lexer_(input) {
    toks_ = &lexer_.Lex();
  }

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
    RETURN_IF_ERROR(internal::CheckAst(input_, *e));
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

  const Token& Cur() const { return (*toks_)[i_]; }
  const Token& Ahead(size_t k) const {
    return (*toks_)[std::min(i_ + k, toks_->size() - 1)];
  }
  void Advance() {
    const Token& t = Cur();
    if (IsClosing(t.type)) last_closing_ = t.end();
    if (i_ + 1 < toks_->size()) ++i_;
  }

  std::nullptr_t Fail(int32_t pos, absl::string_view msg) {
    if (status_.ok()) status_ = internal::ParseErrorAt(input_, pos, msg);
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
  const std::vector<Token>* toks_ = nullptr;
  size_t i_ = 0;
  int32_t last_closing_ = 0;
  int depth_ = 0;
  int in_aggregation_ = 0;
  absl::Status status_;
};

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
      auto v = internal::ParseNumber(t.val);
      if (!v.ok()) return Fail(t.pos, v.status().message());
      auto n = std::make_unique<NumberLiteral>();
      n->value = *v;
      n->pos = {t.pos, t.end()};
      Advance();
      return n;
    }
    case TokenType::kString: {
      auto v = internal::Unquote(t.val);
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

ExprPtr Parser::ParseVectorSelector() {
  auto vs = std::make_unique<VectorSelector>();
  const Token& t = Cur();
  vs->pos = {t.pos, t.end()};
  if (t.type != TokenType::kLeftBrace) {
    vs->name = std::string(t.val);
    Advance();
  }
  if (Cur().type == TokenType::kLeftBrace) {
    if (!ParseLabelMatchers(&vs->matchers)) return nullptr;
    vs->pos.end = last_closing_;
  }
  if (!vs->name.empty()) {
    // Prometheus compat (assembleVectorSelector): the name matcher goes last.
    auto m = storage::Matcher::Make(storage::MatchType::kEqual, storage::kMetricNameLabel,
                                    vs->name);
    vs->matchers.push_back(std::move(*m));
  }
  return vs;
}

bool Parser::ParseLabelMatchers(storage::Matchers* out) {
  Advance();  // '{'
  if (Cur().type == TokenType::kRightBrace) {
    Advance();
    return true;
  }
  while (true) {
    if (Cur().type != TokenType::kIdentifier) {
      Unexpected("label matching", "identifier or \"}\"");
      return false;
    }
    const Token label = Cur();
    Advance();
    storage::MatchType type;
    switch (Cur().type) {
      case TokenType::kAssign: type = storage::MatchType::kEqual; break;
      case TokenType::kNeq: type = storage::MatchType::kNotEqual; break;
      case TokenType::kEqlRegex: type = storage::MatchType::kRegexMatch; break;
      case TokenType::kNeqRegex: type = storage::MatchType::kRegexNoMatch; break;
      default:
        Unexpected("label matching", "label matching operator");
        return false;
    }
    Advance();
    if (Cur().type != TokenType::kString) {
      Unexpected("label matching", "string");
      return false;
    }
    auto value = internal::Unquote(Cur().val);
    if (!value.ok()) {
      Fail(Cur().pos, value.status().message());
      return false;
    }
    Advance();
    auto m = storage::Matcher::Make(type, label.val, *value);
    if (!m.ok()) {
      Fail(label.pos, RegexError(absl::StrCat("^(?:", *value, ")$"), m.status().message()));
      return false;
    }
    // Prometheus compat (labels.NewFastRegexMatcher): the bare pattern is parsed too, so
    // `a)|(b`, valid once wrapped in ^(?:...)$, is still rejected. Only a ')' can make
    // the two differ, so other patterns skip the second compile.
    if ((type == storage::MatchType::kRegexMatch || type == storage::MatchType::kRegexNoMatch) &&
        value->find(')') != std::string::npos) {
      std::string err = RegexError(*value, "");
      if (!err.empty()) {
        Fail(label.pos, err);
        return false;
      }
    }
    out->push_back(std::move(*m));
    if (Cur().type == TokenType::kComma) {
      Advance();
      if (Cur().type == TokenType::kRightBrace) {
        Advance();
        return true;
      }
      continue;
    }
    if (Cur().type == TokenType::kRightBrace) {
      Advance();
      return true;
    }
    Unexpected("label matching", "\",\" or \"}\"");
    return false;
  }
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

bool Parser::ParseDurationToken(int64_t* ms) {
  const Token& t = Cur();
  auto d = storage::ParseDurationMs(t.val);
  if (!d.ok()) {
    Fail(t.pos, absl::StrCat("not a valid duration string: ", storage::GoQuote(t.val)));
    return false;
  }
  if (*d == 0) {
    Fail(t.pos, "duration must be greater than 0");
    return false;
  }
  *ms = *d;
  Advance();
  return true;
}

ExprPtr Parser::ParseBrackets(ExprPtr e) {
  const Token lbracket = Cur();
  Advance();
  if (Cur().type != TokenType::kDuration) return Unexpected("subquery selector", "duration");
  int64_t range_ms = 0;
  if (!ParseDurationToken(&range_ms)) return nullptr;
  if (Cur().type == TokenType::kRightBracket) {
    const int32_t end = Cur().end();
    if (e->kind != NodeKind::kVectorSelector) {
      return Fail(lbracket.pos, "ranges only allowed for vector selectors");
    }
    if (e->As<VectorSelector>().offset_ms != 0) {
      return Fail(lbracket.pos, "no offset modifiers allowed before range");
    }
    // Prometheus compat: only a numeric @ is rejected here; `x @ start() [5m]` is accepted.
    if (e->As<VectorSelector>().at.kind == AtModifier::Kind::kTimestamp) {
      return Fail(lbracket.pos, "no @ modifiers allowed before range");
    }
    Advance();
    auto ms = std::make_unique<MatrixSelector>();
    ms->pos = {e->pos.start, end};
    ms->selector.reset(static_cast<VectorSelector*>(e.release()));
    ms->range_ms = range_ms;
    return ms;
  }
  if (Cur().type != TokenType::kColon) return Unexpected("subquery or range", "\":\" or \"]\"");
  Advance();
  int64_t step_ms = 0;
  if (Cur().type == TokenType::kDuration) {
    if (!ParseDurationToken(&step_ms)) return nullptr;
    if (Cur().type != TokenType::kRightBracket) return Unexpected("subquery selector", "\"]\"");
  } else if (Cur().type != TokenType::kRightBracket) {
    return Unexpected("subquery selector", "duration or \"]\"");
  }
  auto sq = std::make_unique<SubqueryExpr>();
  sq->pos = {e->pos.start, Cur().end()};
  sq->expr = std::move(e);
  sq->range_ms = range_ms;
  sq->step_ms = step_ms;
  Advance();
  return sq;
}

ExprPtr Parser::ParseOffset(ExprPtr e) {
  Advance();  // offset
  bool negative = false;
  if (Cur().type == TokenType::kSub) {
    negative = true;
    Advance();
  }
  if (Cur().type != TokenType::kDuration) return Unexpected("offset", "duration");
  int64_t ms = 0;
  if (!ParseDurationToken(&ms)) return nullptr;
  if (negative) ms = -ms;
  int64_t* target = nullptr;
  switch (e->kind) {
    case NodeKind::kVectorSelector: target = &e->As<VectorSelector>().offset_ms; break;
    case NodeKind::kMatrixSelector: target = &e->As<MatrixSelector>().selector->offset_ms; break;
    case NodeKind::kSubquery: target = &e->As<SubqueryExpr>().offset_ms; break;
    default:
      return Fail(e->pos.start,
                  "offset modifier must be preceded by an instant vector selector or range "
                  "vector selector or a subquery");
  }
  if (*target != 0) return Fail(e->pos.start, "offset may not be set multiple times");
  *target = ms;
  e->pos.end = last_closing_;
  return e;
}

ExprPtr Parser::ParseAt(ExprPtr e) {
  Advance();  // @
  AtModifier at;
  double ts = 0;
  if (Cur().type == TokenType::kStart || Cur().type == TokenType::kEnd) {
    at.kind = Cur().type == TokenType::kStart ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
    Advance();
    if (Cur().type != TokenType::kLeftParen) return Unexpected("@", "timestamp");
    Advance();
    if (Cur().type != TokenType::kRightParen) return Unexpected("@", "timestamp");
    Advance();
  } else {
    bool negative = false;
    if (Cur().type == TokenType::kAdd || Cur().type == TokenType::kSub) {
      negative = Cur().type == TokenType::kSub;
      Advance();
    }
    if (Cur().type != TokenType::kNumber) return Unexpected("@", "timestamp");
    auto v = internal::ParseNumber(Cur().val);
    if (!v.ok()) return Fail(Cur().pos, v.status().message());
    Advance();
    ts = negative ? -*v : *v;
    constexpr double kMaxInt64 = 9223372036854775807.0;
    if (std::isinf(ts) || std::isnan(ts) || ts >= kMaxInt64 || ts <= -kMaxInt64) {
      std::string shown = std::isnan(ts)   ? "NaN"
                          : std::isinf(ts) ? (ts > 0 ? "+Inf" : "-Inf")
                                           : absl::StrFormat("%f", ts);
      return Fail(e->pos.start, absl::StrCat("timestamp out of bounds for @ modifier: ", shown));
    }
    at.kind = AtModifier::Kind::kTimestamp;
    const double ms = std::round(ts * 1000.0);
    // Out-of-range float->int64 conversion yields INT64_MIN on amd64 Go; do the same
    // without undefined behaviour.
    at.t_ms = (ms >= kMaxInt64 || ms < -kMaxInt64) ? std::numeric_limits<int64_t>::min()
                                                   : static_cast<int64_t>(ms);
  }
  AtModifier* target = nullptr;
  switch (e->kind) {
    case NodeKind::kVectorSelector: target = &e->As<VectorSelector>().at; break;
    case NodeKind::kMatrixSelector: target = &e->As<MatrixSelector>().selector->at; break;
    case NodeKind::kSubquery: target = &e->As<SubqueryExpr>().at; break;
    default:
      return Fail(e->pos.start,
                  "@ modifier must be preceded by an instant vector selector or range vector "
                  "selector or a subquery");
  }
  if (target->present()) {
    return Fail(e->pos.start, "@ <timestamp> may not be set multiple times");
  }
  *target = at;
  e->pos.end = last_closing_;
  return e;
}

}  // namespace

absl::StatusOr<ExprPtr> ParseExpr(absl::string_view input) {
  Parser p(input);
  return p.ParseTop();
}

absl::StatusOr<storage::Matchers> ParseMetricSelector(absl::string_view input) {
  Parser p(input);
  return p.ParseSelectorOnly();
}

}  // namespace tally::promql
