// Hand-written PromQL lexer with Prometheus 2.42's lex.go rules: case-insensitive keywords,
// `inf`/`nan` as numbers, metric identifiers with ':', durations only where a unit follows
// digits, Go string escapes, `#` comments, and the same error messages and positions
// ("unexpected character: '$'", "unclosed left parenthesis", "bad duration syntax: \"5\"").
//
// Tokens are produced on demand: At(i) lexes just far enough to return token i, so a parser
// that stops at an early error (nesting too deep, an unexpected token) never tokenizes the
// rest of a huge input; Lex() tokenizes everything. The token list ends with exactly one
// kEof or kError token (lexing stops at the first error, whose message is Token::val).
// Tokens view `input` and the Lexer's own error text, so the Lexer and the input must
// outlive them. A reference returned by At() is valid until the next At() or Lex().
// Not thread-safe; one Lexer per input.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "promql/parser/token.h"

namespace tally::promql {

// Tally-only limit: an input of more tokens than this fails, when the lexer reaches that
// token, with "query too long (more than 100000 tokens)". Prometheus has no limit; flat
// lists (matchers, grouping labels, label_join arguments) are what it bounds, since
// operator chains and nesting already stop at kMaxNestingDepth (parser.h). 100,000 tokens
// are at least 200 KB of query text; their AST costs at most a few tens of MB.
inline constexpr size_t kMaxQueryTokens = 100'000;

class Lexer {
 public:
  explicit Lexer(absl::string_view input) : input_(input) {}
  Lexer(const Lexer&) = delete;
  Lexer& operator=(const Lexer&) = delete;

  // Tokenizes the rest of `input`; comments are dropped.
  const std::vector<Token>& Lex();
  // Token i, lexing up to it if needed; the final kEof/kError token when the input ends
  // (or lexing failed) before token i.
  const Token& At(size_t i) {
    if (i < tokens_.size()) return tokens_[i];
    return LexUpTo(i);
  }
  // Tokens lexed so far.
  const std::vector<Token>& tokens() const { return tokens_; }

 private:
  const Token& LexUpTo(size_t i);
  // Lexes the next token(s); false once the final kEof/kError token is emitted.
  bool Step();
  // Each returns false after emitting a kError token (or kEof).
  bool LexStatement();
  bool LexInsideBraces();
  bool LexNumberOrDuration();
  bool LexDuration();
  bool LexString(char quote);
  bool LexRawString();
  bool LexEscape(char quote);
  void LexIdentifierOrKeyword();
  void LexLineComment();

  bool ScanNumber();
  bool AcceptRemainingDuration();

  // Rune access (UTF-8 decoded as Go does; invalid bytes are U+FFFD of width 1).
  int32_t Next();  // -1 at end of input
  int32_t Peek();
  void Backup() { pos_ -= last_width_; }
  bool Accept(absl::string_view set);
  void AcceptRun(absl::string_view set);

  void Emit(TokenType t);
  bool Error(std::string msg);  // always false

  absl::string_view input_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t last_width_ = 0;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  bool done_ = false;  // kEof or kError emitted
  std::string error_;
  std::vector<Token> tokens_;
};

// Go's strconv.QuoteRune ('x', '\n', '\'') and fmt's %#U ("U+0071 'q'"), for messages.
std::string GoQuoteRune(int32_t r);
std::string GoUnicodeFormat(int32_t r);

}  // namespace tally::promql
