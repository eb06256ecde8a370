// Hand-written PromQL lexer with Prometheus 2.42's lex.go rules: case-insensitive keywords,
// `inf`/`nan` as numbers, metric identifiers with ':', durations only where a unit follows
// digits, Go string escapes, `#` comments, and the same error messages and positions
// ("unexpected character: '$'", "unclosed left parenthesis", "bad duration syntax: \"5\"").
//
// Lex() tokenizes the whole input up front. The token list ends with exactly one kEof or
// kError token (lexing stops at the first error, whose message is Token::val). Tokens view
// `input` and the Lexer's own error text, so the Lexer and the input must outlive them.
// Not thread-safe; one Lexer per input.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "promql/parser/token.h"

namespace tally::promql {

class Lexer {
 public:
  explicit Lexer(absl::string_view input) : input_(input) {}
  Lexer(const Lexer&) = delete;
  Lexer& operator=(const Lexer&) = delete;

  // Tokenizes `input`; comments are dropped. Call once.
  const std::vector<Token>& Lex();
  const std::vector<Token>& tokens() const { return tokens_; }

 private:
  // Each returns false after emitting a kError token.
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
  std::string error_;
  std::vector<Token> tokens_;
};

// Go's strconv.QuoteRune ('x', '\n', '\'') and fmt's %#U ("U+0071 'q'"), for messages.
std::string GoQuoteRune(int32_t r);
std::string GoUnicodeFormat(int32_t r);

}  // namespace tally::promql
