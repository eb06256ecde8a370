// Tokenizer for Go's text/template syntax with the default "{{" "}}" delimiters, following
// text/template/parse/lex.go (Go 1.19, the toolchain Debian's Prometheus 2.42 was built
// with): trim markers "{{- " and " -}}", comments, quoted and raw strings, numbers,
// character constants, fields, variables and keywords. Comments are dropped.
//
// Lexing is lazy like Go's: a lexical error becomes a kError token at the point where it
// occurs, and the parser reports it only if it gets that far. Token values are views into
// the input, which must outlive the tokens. Not thread-safe; one lexer per parse.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace tally::rules::tmpl {

enum class Tok : uint8_t {
  kError,  // val = the message
  kEOF,
  kText,
  kLeftDelim,
  kRightDelim,
  kSpace,
  kIdentifier,
  kField,     // ".Name"
  kVariable,  // "$" or "$name"
  kString,
  kRawString,
  kNumber,
  kCharConstant,
  kComplex,
  kBool,
  kPipe,
  kLeftParen,
  kRightParen,
  kDeclare,  // :=
  kAssign,   // =
  kChar,     // any other printable ASCII character, e.g. ","
  // Keywords (Go's items after itemKeyword; printed as "<word>").
  kDot,
  kNil,
  kBlock,
  kBreak,
  kContinue,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  Tok type = Tok::kEOF;
  int pos = 0;   // byte offset in the input
  int line = 1;  // 1-based line of the token's start
  absl::string_view val;
  std::string error;  // kError only

  // Go's item.String(): "EOF", the error text, "<if>" for keywords, %q otherwise
  // (shortened to 10 characters + "...").
  std::string String() const;
};

class Lexer {
 public:
  explicit Lexer(absl::string_view input) : input_(input) {}
  // The next token; kEOF (repeatedly) at the end, kError once then kEOF after an error.
  Token Next();

 private:
  enum class State { kText, kInsideAction, kDone };
  Token Emit(Tok type, size_t start, size_t end);
  Token Error(std::string msg);
  Token LexText();
  Token LexInsideAction();
  Token LexSpace();
  Token LexIdentifier();
  Token LexFieldOrVariable(Tok type);
  Token LexQuote();
  Token LexRawQuote();
  Token LexChar();
  Token LexNumber();
  Token LexRightDelim(bool trim);
  bool ScanNumber();
  bool AtTerminator() const;
  int LineAt(size_t pos) const;

  absl::string_view input_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int paren_depth_ = 0;
  State state_ = State::kText;
  // Tokens owed after the one just returned: the "{{" after a text token, an error after a
  // text token or after an unbalanced ")".
  bool pending_delim_ = false;
  size_t pending_delim_pos_ = 0;
  bool pending_paren_error_ = false;
  std::string pending_error_;
  size_t pending_error_pos_ = 0;
  // Line counting: lines before line_pos_ are counted in line_.
  mutable size_t line_pos_ = 0;
  mutable int line_ = 1;
};

}  // namespace tally::rules::tmpl
