#include "rules/template/lexer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/model/labels.h"

namespace tally::rules::tmpl {
namespace {

constexpr absl::string_view kLeftDelim = "{{";
constexpr absl::string_view kRightDelim = "}}";
constexpr absl::string_view kLeftComment = "/*";
constexpr absl::string_view kRightComment = "*/";
constexpr size_t kTrimMarkerLen = 2;  // "-" plus the space before or after it
constexpr char kEof = 0;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// Go: '_' or unicode letter or digit. Bytes of multi-byte UTF-8 sequences count as letters,
// which accepts non-ASCII identifiers as Go does (and some non-letters it would reject).
bool IsAlphaNumeric(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         u >= 0x80;
}
bool HasLeftTrimMarker(absl::string_view s) {
  return s.size() >= 2 && s[0] == '-' && IsSpace(s[1]);
}
bool HasRightTrimMarker(absl::string_view s) {
  return s.size() >= 2 && IsSpace(s[0]) && s[1] == '-';
}
size_t RightTrimLength(absl::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsSpace(s[s.size() - 1 - n])) ++n;
  return n;
}
size_t LeftTrimLength(absl::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsSpace(s[n])) ++n;
  return n;
}
// Go's %#U for the ASCII runes the lexer reports: U+0022 '"'.
std::string RuneU(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return absl::StrFormat("U+%04X '%c'", u, c);
  return absl::StrFormat("U+%04X", u);
}

}  // namespace

std::string Token::String() const {
  switch (type) {
    case Tok::kEOF:
      return "EOF";
    case Tok::kError:
      return error;
    default:
      break;
  }
  if (type >= Tok::kDot) return absl::StrCat("<", val, ">");
  // Go's %.10q: at most ten runes, then quoted.
  size_t i = 0;
  int runes = 0;
  while (i < val.size() && runes < 10) {
    ++i;
    while (i < val.size() && (static_cast<unsigned char>(val[i]) & 0xC0) == 0x80) ++i;
    ++runes;
  }
  if (i < val.size()) return storage::GoQuote(val.substr(0, i)) + "...";
  return storage::GoQuote(val);
}

int Lexer::LineAt(size_t pos) const {
  if (pos < line_pos_) {
    line_pos_ = 0;
    line_ = 1;
  }
  line_ += static_cast<int>(std::count(input_.begin() + line_pos_, input_.begin() + pos, '\n'));
  line_pos_ = pos;
  return line_;
}

Token Lexer::Emit(Tok type, size_t start, size_t end) {
  Token t;
  t.type = type;
  t.pos = static_cast<int>(start);
  t.line = LineAt(start);
  t.val = input_.substr(start, end - start);
  start_ = pos_;
  return t;
}

Token Lexer::Error(std::string msg) {
  Token t;
  t.type = Tok::kError;
  t.pos = static_cast<int>(start_);
  t.line = LineAt(start_);
  t.error = std::move(msg);
  state_ = State::kDone;
  pos_ = input_.size();
  return t;
}

Token Lexer::Next() {
  if (!pending_error_.empty()) {
    start_ = pending_error_pos_;
    std::string msg = std::move(pending_error_);
    pending_error_.clear();
    return Error(std::move(msg));
  }
  switch (state_) {
    case State::kDone: {
      Token t;
      t.type = Tok::kEOF;
      t.pos = static_cast<int>(input_.size());
      t.line = LineAt(input_.size());
      return t;
    }
    case State::kText:
      return LexText();
    case State::kInsideAction:
      return LexInsideAction();
  }
  return Token();
}

Token Lexer::LexText() {
  while (true) {
    const size_t x = input_.find(kLeftDelim, pos_);
    if (x == absl::string_view::npos) {
      const size_t start = pos_;
      pos_ = input_.size();
      state_ = State::kDone;
      if (start < pos_) return Emit(Tok::kText, start, pos_);
      return Next();
    }
    const size_t text_start = pos_;
    const size_t after = x + kLeftDelim.size();
    const bool trim = HasLeftTrimMarker(input_.substr(after));
    size_t text_end = x;
    if (trim) text_end -= RightTrimLength(input_.substr(text_start, x - text_start));
    const size_t after_marker = trim ? kTrimMarkerLen : 0;
    if (absl::StartsWith(input_.substr(after + after_marker), kLeftComment)) {
      // A comment: skip it entirely (Go emits nothing unless asked to keep comments).
      const size_t body = after + after_marker + kLeftComment.size();
      const size_t y = input_.find(kRightComment, body);
      if (y == absl::string_view::npos) {
        if (text_end > text_start) {
          pending_error_ = "unclosed comment";
          pending_error_pos_ = x;
          pos_ = x;
          return Emit(Tok::kText, text_start, text_end);
        }
        start_ = x;
        return Error("unclosed comment");
      }
      size_t p = y + kRightComment.size();
      const absl::string_view rest = input_.substr(p);
      bool right_trim = false;
      if (HasRightTrimMarker(rest) && absl::StartsWith(rest.substr(kTrimMarkerLen), kRightDelim)) {
        right_trim = true;
      } else if (!absl::StartsWith(rest, kRightDelim)) {
        if (text_end > text_start) {
          pending_error_ = "comment ends before closing delimiter";
          pending_error_pos_ = p;
          pos_ = p;
          return Emit(Tok::kText, text_start, text_end);
        }
        start_ = p;
        return Error("comment ends before closing delimiter");
      }
      if (right_trim) p += kTrimMarkerLen;
      p += kRightDelim.size();
      if (right_trim) p += LeftTrimLength(input_.substr(p));
      pos_ = p;
      start_ = p;
      if (text_end > text_start) {
        Token t = Emit(Tok::kText, text_start, text_end);
        start_ = p;
        return t;
      }
      continue;
    }
    // A left delimiter: the text before it, then the delimiter itself.
    pos_ = after + after_marker;
    state_ = State::kInsideAction;
    paren_depth_ = 0;
    pending_delim_ = true;
    pending_delim_pos_ = x;
    if (text_end > text_start) return Emit(Tok::kText, text_start, text_end);
    return LexInsideAction();
  }
}

Token Lexer::LexRightDelim(bool trim) {
  if (trim) pos_ += kTrimMarkerLen;
  const size_t start = pos_;
  pos_ += kRightDelim.size();
  Token t = Emit(Tok::kRightDelim, start, pos_);
  if (trim) pos_ += LeftTrimLength(input_.substr(pos_));
  start_ = pos_;
  state_ = State::kText;
  return t;
}

Token Lexer::LexInsideAction() {
  if (pending_delim_) {
    pending_delim_ = false;
    Token t = Emit(Tok::kLeftDelim, pending_delim_pos_, pending_delim_pos_ + kLeftDelim.size());
    start_ = pos_;
    return t;
  }
  if (pending_paren_error_) {
    pending_paren_error_ = false;
    return Error("unexpected right paren U+0029 ')'");
  }
  start_ = pos_;
  const absl::string_view rest = input_.substr(pos_);
  bool delim = false, trim = false;
  if (HasRightTrimMarker(rest) && absl::StartsWith(rest.substr(kTrimMarkerLen), kRightDelim)) {
    delim = trim = true;
  } else if (absl::StartsWith(rest, kRightDelim)) {
    delim = true;
  }
  if (delim) {
    if (paren_depth_ == 0) return LexRightDelim(trim);
    return Error("unclosed left paren");
  }
  if (pos_ >= input_.size()) return Error("unclosed action");
  const char r = input_[pos_++];
  if (IsSpace(r)) {
    --pos_;
    return LexSpace();
  }
  switch (r) {
    case '=':
      return Emit(Tok::kAssign, start_, pos_);
    case ':':
      if (pos_ >= input_.size() || input_[pos_] != '=') return Error("expected :=");
      ++pos_;
      return Emit(Tok::kDeclare, start_, pos_);
    case '|':
      return Emit(Tok::kPipe, start_, pos_);
    case '"':
      return LexQuote();
    case '`':
      return LexRawQuote();
    case '$':
      return LexFieldOrVariable(Tok::kVariable);
    case '\'':
      return LexChar();
    case '.':
      if (pos_ < input_.size() && (input_[pos_] < '0' || input_[pos_] > '9')) {
        return LexFieldOrVariable(Tok::kField);
      }
      --pos_;
      return LexNumber();
    case '(':
      ++paren_depth_;
      return Emit(Tok::kLeftParen, start_, pos_);
    case ')': {
      --paren_depth_;
      Token t = Emit(Tok::kRightParen, start_, pos_);
      if (paren_depth_ < 0) pending_paren_error_ = true;
      return t;
    }
    default:
      break;
  }
  if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
    --pos_;
    return LexNumber();
  }
  if (IsAlphaNumeric(r)) {
    --pos_;
    return LexIdentifier();
  }
  if (static_cast<unsigned char>(r) >= 0x20 && static_cast<unsigned char>(r) < 0x7F) {
    return Emit(Tok::kChar, start_, pos_);
  }
  return Error("unrecognized character in action: " + RuneU(r));
}

Token Lexer::LexSpace() {
  int num_spaces = 0;
  while (pos_ < input_.size() && IsSpace(input_[pos_])) {
    ++pos_;
    ++num_spaces;
  }
  // A space may be the start of a trim-marked right delimiter " -}}".
  const absl::string_view prev = input_.substr(pos_ - 1);
  if (HasRightTrimMarker(prev) && absl::StartsWith(prev.substr(kTrimMarkerLen), kRightDelim)) {
    --pos_;
    if (num_spaces == 1) return LexRightDelim(true);
  }
  return Emit(Tok::kSpace, start_, pos_);
}

bool Lexer::AtTerminator() const {
  if (pos_ >= input_.size()) return true;
  const char r = input_[pos_];
  if (IsSpace(r)) return true;
  switch (r) {
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(':
    case '}':  // the first rune of the right delimiter
      return true;
    default:
      return false;
  }
}

Token Lexer::LexIdentifier() {
  while (pos_ < input_.size() && IsAlphaNumeric(input_[pos_])) ++pos_;
  if (!AtTerminator()) return Error("bad character " + RuneU(input_[pos_]));
  const absl::string_view word = input_.substr(start_, pos_ - start_);
  static constexpr std::pair<absl::string_view, Tok> kKeywords[] = {
      {"block", Tok::kBlock},
      {"break", Tok::kBreak},
      {"continue", Tok::kContinue},
      {"define", Tok::kDefine},
      {"else", Tok::kElse},
      {"end", Tok::kEnd},
      {"if", Tok::kIf},
      {"range", Tok::kRange},
      {"nil", Tok::kNil},
      {"template", Tok::kTemplate},
      {"with", Tok::kWith},
  };
  for (const auto& [k, t] : kKeywords) {
    if (word == k) return Emit(t, start_, pos_);
  }
  if (word == "true" || word == "false") return Emit(Tok::kBool, start_, pos_);
  return Emit(Tok::kIdentifier, start_, pos_);
}

Token Lexer::LexFieldOrVariable(Tok type) {
  if (AtTerminator())
    return Emit(type == Tok::kVariable ? Tok::kVariable : Tok::kDot, start_, pos_);
  while (pos_ < input_.size() && IsAlphaNumeric(input_[pos_])) ++pos_;
  if (!AtTerminator()) return Error("bad character " + RuneU(input_[pos_]));
  return Emit(type, start_, pos_);
}

Token Lexer::LexQuote() {
  while (true) {
    if (pos_ >= input_.size()) return Error("unterminated quoted string");
    const char c = input_[pos_++];
    if (c == '\\') {
      if (pos_ < input_.size() && input_[pos_] != '\n') {
        ++pos_;
        continue;
      }
      return Error("unterminated quoted string");
    }
    if (c == '\n') return Error("unterminated quoted string");
    if (c == '"') break;
  }
  return Emit(Tok::kString, start_, pos_);
}

Token Lexer::LexRawQuote() {
  const size_t end = input_.find('`', pos_);
  if (end == absl::string_view::npos) return Error("unterminated raw quoted string");
  pos_ = end + 1;
  return Emit(Tok::kRawString, start_, pos_);
}

Token Lexer::LexChar() {
  while (true) {
    if (pos_ >= input_.size()) return Error("unterminated character constant");
    const char c = input_[pos_++];
    if (c == '\\') {
      if (pos_ < input_.size() && input_[pos_] != '\n') {
        ++pos_;
        continue;
      }
      return Error("unterminated character constant");
    }
    if (c == '\n') return Error("unterminated character constant");
    if (c == '\'') break;
  }
  return Emit(Tok::kCharConstant, start_, pos_);
}

bool Lexer::ScanNumber() {
  auto accept = [&](absl::string_view valid) {
    if (pos_ < input_.size() && valid.find(input_[pos_]) != absl::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  };
  auto accept_run = [&](absl::string_view valid) {
    while (accept(valid)) {
    }
  };
  accept("+-");
  absl::string_view digits = "0123456789_";
  if (accept("0")) {
    if (accept("xX")) {
      digits = "0123456789abcdefABCDEF_";
    } else if (accept("oO")) {
      digits = "01234567_";
    } else if (accept("bB")) {
      digits = "01_";
    }
  }
  accept_run(digits);
  if (accept(".")) accept_run(digits);
  if (digits.size() == 11 && accept("eE")) {
    accept("+-");
    accept_run("0123456789_");
  }
  if (digits.size() == 23 && accept("pP")) {
    accept("+-");
    accept_run("0123456789_");
  }
  accept("i");
  if (pos_ < input_.size() && IsAlphaNumeric(input_[pos_])) {
    ++pos_;
    return false;
  }
  return true;
}

Token Lexer::LexNumber() {
  if (!ScanNumber()) {
    return Error("bad number syntax: " + storage::GoQuote(input_.substr(start_, pos_ - start_)));
  }
  if (pos_ < input_.size() && (input_[pos_] == '+' || input_[pos_] == '-')) {
    // Complex: 1+2i.
    if (!ScanNumber() || input_[pos_ - 1] != 'i') {
      return Error("bad number syntax: " + storage::GoQuote(input_.substr(start_, pos_ - start_)));
    }
    return Emit(Tok::kComplex, start_, pos_);
  }
  return Emit(Tok::kNumber, start_, pos_);
}

}  // namespace tally::rules::tmpl
