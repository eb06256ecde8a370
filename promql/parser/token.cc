#include "promql/parser/token.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/model/labels.h"

namespace tally::promql {

bool IsOperatorToken(TokenType t) { return t >= TokenType::kSub && t <= TokenType::kAtan2; }
bool IsAggregatorToken(TokenType t) { return t >= TokenType::kAvg && t <= TokenType::kTopk; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kWithout; }

TokenType LookupKeyword(absl::string_view lower) {
  static const auto* kKeywords = new absl::flat_hash_map<absl::string_view, TokenType>{
      {"and", TokenType::kLand},
      {"or", TokenType::kLor},
      {"unless", TokenType::kLunless},
      {"atan2", TokenType::kAtan2},
      {"sum", TokenType::kSum},
      {"avg", TokenType::kAvg},
      {"count", TokenType::kCount},
      {"min", TokenType::kMin},
      {"max", TokenType::kMax},
      {"group", TokenType::kGroup},
      {"stddev", TokenType::kStddev},
      {"stdvar", TokenType::kStdvar},
      {"topk", TokenType::kTopk},
      {"bottomk", TokenType::kBottomk},
      {"count_values", TokenType::kCountValues},
      {"quantile", TokenType::kQuantile},
      {"offset", TokenType::kOffset},
      {"by", TokenType::kBy},
      {"without", TokenType::kWithout},
      {"on", TokenType::kOn},
      {"ignoring", TokenType::kIgnoring},
      {"group_left", TokenType::kGroupLeft},
      {"group_right", TokenType::kGroupRight},
      {"bool", TokenType::kBool},
      {"start", TokenType::kStart},
      {"end", TokenType::kEnd},
      {"inf", TokenType::kNumber},
      {"nan", TokenType::kNumber},
  };
  auto it = kKeywords->find(lower);
  return it == kKeywords->end() ? TokenType::kEof : it->second;
}

namespace {

// Go's fmt "%.10q": the first 10 runes, quoted.
std::string QuoteTruncated(absl::string_view s) {
  size_t bytes = 0;
  for (int runes = 0; bytes < s.size() && runes < 10; ++runes) {
    ++bytes;
    while (bytes < s.size() && (static_cast<unsigned char>(s[bytes]) & 0xC0) == 0x80) ++bytes;
  }
  return storage::GoQuote(s.substr(0, bytes));
}

// Prometheus compat (lex.go Item.String).
std::string ItemString(const Token& t) {
  if (t.type == TokenType::kEof) return "EOF";
  if (t.type == TokenType::kError) return std::string(t.val);
  if (t.type == TokenType::kIdentifier || t.type == TokenType::kMetricIdentifier) {
    return storage::GoQuote(t.val);
  }
  if (IsKeywordToken(t.type)) return absl::StrCat("<", t.val, ">");
  if (IsOperatorToken(t.type)) return absl::StrCat("<op:", t.val, ">");
  if (IsAggregatorToken(t.type)) return absl::StrCat("<aggr:", t.val, ">");
  if (t.val.size() > 10) return absl::StrCat(QuoteTruncated(t.val), "...");
  return storage::GoQuote(t.val);
}

}  // namespace

std::string DescribeToken(const Token& t) {
  switch (t.type) {
    case TokenType::kEof: return "end of input";
    case TokenType::kError: return absl::StrCat("error ", ItemString(t));
    case TokenType::kComment: return absl::StrCat("comment ", ItemString(t));
    case TokenType::kIdentifier: return absl::StrCat("identifier ", ItemString(t));
    case TokenType::kMetricIdentifier: return absl::StrCat("metric identifier ", ItemString(t));
    case TokenType::kString: return absl::StrCat("string ", ItemString(t));
    case TokenType::kNumber: return absl::StrCat("number ", ItemString(t));
    case TokenType::kDuration: return absl::StrCat("duration ", ItemString(t));
    case TokenType::kAt:
      // Prometheus compat: '@' is lexed as an operator but has no entry in ItemTypeStr, so
      // 2.42 describes it by its raw yacc token number.
      return absl::StrCat("\"<Item 57385>\" <op:", t.val, ">");
    default: return ItemString(t);
  }
}

}  // namespace tally::promql
