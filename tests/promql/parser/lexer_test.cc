#include "promql/parser/lexer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tally::promql {
namespace {

std::vector<TokenType> Types(absl::string_view input) {
  Lexer l(input);
  std::vector<TokenType> out;
  for (const Token& t : l.Lex()) out.push_back(t.type);
  return out;
}

using T = TokenType;

TEST(LexerTest, LexesOnlyAsFarAsAsked) {
  std::string big = "1";
  for (int i = 0; i < 100'000; ++i) big += "+1";
  Lexer l(big);
  EXPECT_EQ(l.At(4).type, T::kNumber);
  EXPECT_LE(l.tokens().size(), 6u);  // not the 200,001 tokens of the input
  EXPECT_EQ(l.At(3).type, T::kAdd);
  // Past the end: the final token, repeatedly.
  Lexer s("a b");
  EXPECT_EQ(s.At(10).type, T::kEof);
  EXPECT_EQ(s.At(11).type, T::kEof);
  EXPECT_EQ(s.tokens().size(), 3u);
}

TEST(LexerTest, MoreThanMaxQueryTokensIsAnError) {
  std::string ok = "x";
  while (ok.size() < 2 * kMaxQueryTokens - 1) ok += " x";  // exactly kMaxQueryTokens
  Lexer a(ok);
  EXPECT_EQ(a.Lex().back().type, T::kEof);
  EXPECT_EQ(a.tokens().size(), kMaxQueryTokens + 1);
  const std::string over = ok + " y";  // the Lexer views its input: keep it alive
  Lexer b(over);
  const auto& toks = b.Lex();
  ASSERT_EQ(toks.size(), kMaxQueryTokens + 1);
  EXPECT_EQ(toks.back().type, T::kError);
  EXPECT_EQ(toks.back().val, "query too long (more than 100000 tokens)");
  EXPECT_EQ(toks.back().pos, static_cast<int32_t>(ok.size() + 1));  // at the extra token
}

TEST(LexerTest, SelectorWithMatchersRangeAndOffset) {
  Lexer l("rate(foo:bar{a=\"b\",c!~'d'}[1h30m] offset -5m)");
  const auto& toks = l.Lex();
  std::vector<TokenType> types;
  for (const auto& t : toks) types.push_back(t.type);
  EXPECT_EQ(types, (std::vector<T>{T::kIdentifier, T::kLeftParen, T::kMetricIdentifier,
                                   T::kLeftBrace, T::kIdentifier, T::kAssign, T::kString,
                                   T::kComma, T::kIdentifier, T::kNeqRegex, T::kString,
                                   T::kRightBrace, T::kLeftBracket, T::kDuration,
                                   T::kRightBracket, T::kOffset, T::kSub, T::kDuration,
                                   T::kRightParen, T::kEof}));
  EXPECT_EQ(toks[2].val, "foo:bar");
  EXPECT_EQ(toks[2].pos, 5);
  EXPECT_EQ(toks[13].val, "1h30m");
  EXPECT_EQ(toks.back().pos, 45);
}

TEST(LexerTest, KeywordsAreCaseInsensitiveAndInfNanAreNumbers) {
  EXPECT_EQ(Types("SUM BY Without and OR unless atan2 bool on ignoring group_left group_right"),
            (std::vector<T>{T::kSum, T::kBy, T::kWithout, T::kLand, T::kLor, T::kLunless,
                            T::kAtan2, T::kBool, T::kOn, T::kIgnoring, T::kGroupLeft,
                            T::kGroupRight, T::kEof}));
  EXPECT_EQ(Types("Inf NaN inf 1 0x1F 1e-3 .5"),
            (std::vector<T>{T::kNumber, T::kNumber, T::kNumber, T::kNumber, T::kNumber,
                            T::kNumber, T::kNumber, T::kEof}));
  EXPECT_EQ(Types("Infinity"), (std::vector<T>{T::kIdentifier, T::kEof}));
}

TEST(LexerTest, OperatorsAndComments) {
  EXPECT_EQ(Types("a == b != c <= d >= e < f > g ^ h % i # trailing comment"),
            (std::vector<T>{T::kIdentifier, T::kEqlc, T::kIdentifier, T::kNeq, T::kIdentifier,
                            T::kLte, T::kIdentifier, T::kGte, T::kIdentifier, T::kLss,
                            T::kIdentifier, T::kGtr, T::kIdentifier, T::kPow, T::kIdentifier,
                            T::kMod, T::kIdentifier, T::kEof}));
  EXPECT_EQ(Types("x @ start() [5m:1m]"),
            (std::vector<T>{T::kIdentifier, T::kAt, T::kStart, T::kLeftParen, T::kRightParen,
                            T::kLeftBracket, T::kDuration, T::kColon, T::kDuration,
                            T::kRightBracket, T::kEof}));
}

TEST(LexerTest, ErrorsStopLexingWithPrometheusText) {
  struct {
    const char* input;
    const char* message;
    int pos;
  } cases[] = {
      {"x $", "unexpected character: '$'", 2},
      {"(x", "unclosed left parenthesis", 2},
      {"x)", "unexpected right parenthesis ')'", 2},
      {"x[5m", "unclosed left bracket", 4},
      {"x{a=\"b\"", "unexpected end of input inside braces", 7},
      {"\"abc", "unterminated quoted string", 0},
      {"`abc", "unterminated raw string", 0},
      {"\"\\q\"", "unknown escape sequence U+0071 'q'", 0},
      {"\"\\x4g\"", "illegal character U+0067 'g' in escape sequence", 0},
      {"\"\\uD800\"", "escape sequence is an invalid Unicode code point", 0},
      {"x[5x]", "bad duration syntax: \"5\"", 2},
      {"x[5]", "missing unit character in duration", 2},
      {"1_000", "bad number or duration syntax: \"1\"", 0},
      {"x{a!b}", "unexpected character after '!' inside braces: 'b'", 3},
      {"x =~ y", "unexpected character after '=': '~'", 2},
      {"x[5m:1m:]", "unexpected colon ':'", 7},
      {"\"\xff\"", "invalid UTF-8 rune", 0},
  };
  for (const auto& c : cases) {
    Lexer l(c.input);
    const auto& toks = l.Lex();
    ASSERT_FALSE(toks.empty());
    EXPECT_EQ(toks.back().type, T::kError) << c.input;
    EXPECT_EQ(toks.back().val, c.message) << c.input;
    EXPECT_EQ(toks.back().pos, c.pos) << c.input;
  }
}

TEST(LexerTest, DescribeTokenMatchesPrometheus) {
  auto describe = [](absl::string_view input) {
    Lexer l(input);
    return DescribeToken(l.Lex()[0]);
  };
  EXPECT_EQ(describe("by"), "<by>");
  EXPECT_EQ(describe("+"), "<op:+>");
  EXPECT_EQ(describe("and"), "<op:and>");
  EXPECT_EQ(describe("sum"), "<aggr:sum>");
  EXPECT_EQ(describe("foo"), "identifier \"foo\"");
  EXPECT_EQ(describe("a:b"), "metric identifier \"a:b\"");
  EXPECT_EQ(describe("12"), "number \"12\"");
  EXPECT_EQ(describe("5m"), "duration \"5m\"");
  EXPECT_EQ(describe(","), "\",\"");
  EXPECT_EQ(describe("\"abcdefghijkl\""), "string \"\\\"abcdefghi\"...");
  EXPECT_EQ(describe(""), "end of input");
  EXPECT_EQ(describe("@"), "\"<Item 57385>\" <op:@>");
}

}  // namespace
}  // namespace tally::promql
