// PromQL lexical tokens (Prometheus 2.42 lex.go item types) and the descriptions the parser
// uses in "unexpected ..." errors. A Token views the query text it was lexed from; it is
// valid only while that text is alive.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tally::promql {

enum class TokenType : uint8_t {
  kEof,
  kError,  // lexer error; Token::val is the message
  kComment,
  kIdentifier,
  kMetricIdentifier,  // identifier containing ':'
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kAssign,  // '=' (label matching)
  kColon,
  kNumber,
  kString,
  kDuration,
  kAt,  // '@'
  // Operators.
  kSub,
  kAdd,
  kMul,
  kMod,
  kDiv,
  kEqlc,  // ==
  kNeq,
  kLte,
  kLss,
  kGte,
  kGtr,
  kEqlRegex,
  kNeqRegex,
  kPow,
  kLand,
  kLor,
  kLunless,
  kAtan2,
  // Aggregators.
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,
  // @ modifier preprocessors.
  kStart,
  kEnd,
};

struct Token {
  TokenType type = TokenType::kEof;
  int32_t pos = 0;        // byte offset of the first character
  absl::string_view val;  // source text (for kError: the message)
  int32_t end() const { return pos + static_cast<int32_t>(val.size()); }
};

bool IsOperatorToken(TokenType t);
bool IsAggregatorToken(TokenType t);
bool IsKeywordToken(TokenType t);

// Keyword/operator/aggregator for a lower-cased word (incl. "inf"/"nan" -> kNumber), or
// kEof when `lower` is not a keyword.
TokenType LookupKeyword(absl::string_view lower);

// Prometheus compat (lex.go Item.desc): how an unexpected token is named in errors:
// `<by>`, `<op:+>`, `<aggr:sum>`, `identifier "x"`, `number "1"`, `")"`, `end of input`.
std::string DescribeToken(const Token& t);

}  // namespace tally::promql
