#include "promql/parser/lexer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/model/labels.h"
#include "storage/util/utf8.h"

namespace tally::promql {
namespace {

constexpr int32_t kEofRune = -1;
constexpr int32_t kRuneError = 0xFFFD;

bool IsSpace(int32_t r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
bool IsAlpha(int32_t r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
bool IsDigit(int32_t r) { return r >= '0' && r <= '9'; }
bool IsAlphaNumeric(int32_t r) { return IsAlpha(r) || IsDigit(r); }

// Decodes one UTF-8 rune at s[0..]; invalid sequences decode as U+FFFD of width 1.
int32_t DecodeRune(absl::string_view s, size_t* width) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    *width = 1;
    return b0;
  }
  auto cont = [&](size_t i) {
    return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
  };
  auto c = [&](size_t i) { return static_cast<int32_t>(static_cast<unsigned char>(s[i]) & 0x3F); };
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
    *width = 2;
    return ((b0 & 0x1F) << 6) | c(1);
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
    int32_t r = ((b0 & 0x0F) << 12) | (c(1) << 6) | c(2);
    if (r >= 0x800 && !(r >= 0xD800 && r <= 0xDFFF)) {
      *width = 3;
      return r;
    }
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    int32_t r = ((b0 & 0x07) << 18) | (c(1) << 12) | (c(2) << 6) | c(3);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      *width = 4;
      return r;
    }
  }
  *width = 1;
  return kRuneError;
}

// Approximation of Go's unicode.IsPrint for the runes that appear in error messages:
// ASCII printables and every non-control rune above U+00A0.
bool IsPrintRune(int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA1) return false;
  return r != 0xAD && r != kRuneError && r <= 0x10FFFF && !(r >= 0xD800 && r <= 0xDFFF);
}

int DigitVal(int32_t r) {
  if (r >= '0' && r <= '9') return r - '0';
  if (r >= 'a' && r <= 'f') return r - 'a' + 10;
  if (r >= 'A' && r <= 'F') return r - 'A' + 10;
  return 16;
}

}  // namespace

std::string GoQuoteRune(int32_t r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  std::string out = "'";
  switch (r) {
    case '\a': out += "\\a"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\v': out += "\\v"; break;
    case '\\': out += "\\\\"; break;
    case '\'': out += "\\'"; break;
    default:
      if (IsPrintRune(r) || r == kRuneError) {
        storage::AppendUtf8(r, &out);
      } else if (r < 0x80) {
        absl::StrAppendFormat(&out, "\\x%02x", r);
      } else if (r < 0x10000) {
        absl::StrAppendFormat(&out, "\\u%04x", r);
      } else {
        absl::StrAppendFormat(&out, "\\U%08x", r);
      }
  }
  out += "'";
  return out;
}

std::string GoUnicodeFormat(int32_t r) {
  std::string out = absl::StrFormat("U+%04X", r < 0 ? kRuneError : r);
  if (r >= 0 && IsPrintRune(r)) {
    out += " '";
    storage::AppendUtf8(r, &out);
    out += "'";
  }
  return out;
}

int32_t Lexer::Next() {
  if (pos_ >= input_.size()) {
    last_width_ = 0;
    return kEofRune;
  }
  size_t w;
  int32_t r = DecodeRune(input_.substr(pos_), &w);
  last_width_ = w;
  pos_ += w;
  return r;
}

int32_t Lexer::Peek() {
  int32_t r = Next();
  Backup();
  return r;
}

bool Lexer::Accept(absl::string_view set) {
  int32_t r = Next();
  if (r >= 0 && r < 0x80 && set.find(static_cast<char>(r)) != absl::string_view::npos) {
    return true;
  }
  Backup();
  return false;
}

void Lexer::AcceptRun(absl::string_view set) {
  while (Accept(set)) {
  }
}

void Lexer::Emit(TokenType t) {
  tokens_.push_back(Token{t, static_cast<int32_t>(start_), input_.substr(start_, pos_ - start_)});
  start_ = pos_;
}

bool Lexer::Error(std::string msg) {
  error_ = std::move(msg);
  tokens_.push_back(Token{TokenType::kError, static_cast<int32_t>(start_), error_});
  return false;
}

bool Lexer::Step() {
  if (!(brace_open_ ? LexInsideBraces() : LexStatement())) return false;
  if (tokens_.size() > kMaxQueryTokens) {
    // The token past the limit becomes the error, at its own position.
    start_ = static_cast<size_t>(tokens_.back().pos);
    tokens_.pop_back();
    return Error(absl::StrCat("query too long (more than ", kMaxQueryTokens, " tokens)"));
  }
  return true;
}

const std::vector<Token>& Lexer::Lex() {
  while (!done_) done_ = !Step();
  return tokens_;
}

const Token& Lexer::LexUpTo(size_t i) {
  while (!done_ && tokens_.size() <= i) done_ = !Step();
  return i < tokens_.size() ? tokens_[i] : tokens_.back();
}

void Lexer::LexLineComment() {
  pos_ += 1;  // '#'
  for (int32_t r = Next(); r != '\n' && r != kEofRune; r = Next()) {
  }
  Backup();
  start_ = pos_;  // Comments are dropped (the parser skips them too).
}

bool Lexer::LexStatement() {
  if (pos_ < input_.size() && input_[pos_] == '#') {
    LexLineComment();
    return true;
  }
  const int32_t r = Next();
  switch (r) {
    case kEofRune:
      if (paren_depth_ != 0) return Error("unclosed left parenthesis");
      if (bracket_open_) return Error("unclosed left bracket");
      Emit(TokenType::kEof);
      return false;
    case ',': Emit(TokenType::kComma); return true;
    case '*': Emit(TokenType::kMul); return true;
    case '/': Emit(TokenType::kDiv); return true;
    case '%': Emit(TokenType::kMod); return true;
    case '+': Emit(TokenType::kAdd); return true;
    case '-': Emit(TokenType::kSub); return true;
    case '^': Emit(TokenType::kPow); return true;
    case '@': Emit(TokenType::kAt); return true;
    case '=': {
      const int32_t t = Peek();
      if (t == '=') {
        Next();
        Emit(TokenType::kEqlc);
      } else if (t == '~') {
        return Error(absl::StrCat("unexpected character after '=': ", GoQuoteRune(t)));
      } else {
        Emit(TokenType::kAssign);
      }
      return true;
    }
    case '!': {
      const int32_t t = Next();
      if (t != '=') return Error(absl::StrCat("unexpected character after '!': ", GoQuoteRune(t)));
      Emit(TokenType::kNeq);
      return true;
    }
    case '<':
      if (Peek() == '=') {
        Next();
        Emit(TokenType::kLte);
      } else {
        Emit(TokenType::kLss);
      }
      return true;
    case '>':
      if (Peek() == '=') {
        Next();
        Emit(TokenType::kGte);
      } else {
        Emit(TokenType::kGtr);
      }
      return true;
    case '"':
    case '\'':
      return LexString(static_cast<char>(r));
    case '`':
      return LexRawString();
    case '(':
      Emit(TokenType::kLeftParen);
      ++paren_depth_;
      return true;
    case ')':
      // Prometheus compat (lex.go): the ')' item is replaced by the error, which is
      // positioned after it.
      if (paren_depth_ == 0) {
        start_ = pos_;
        return Error("unexpected right parenthesis ')'");
      }
      Emit(TokenType::kRightParen);
      --paren_depth_;
      return true;
    case '{':
      Emit(TokenType::kLeftBrace);
      brace_open_ = true;
      return true;
    case '[':
      if (bracket_open_) return Error("unexpected left bracket '['");
      got_colon_ = false;
      Emit(TokenType::kLeftBracket);
      while (IsSpace(Peek())) Next();
      start_ = pos_;
      bracket_open_ = true;
      return LexDuration();
    case ']':
      if (!bracket_open_) return Error("unexpected right bracket ']'");
      Emit(TokenType::kRightBracket);
      bracket_open_ = false;
      return true;
    default:
      break;
  }
  if (IsSpace(r)) {
    while (IsSpace(Peek())) Next();
    start_ = pos_;
    return true;
  }
  if (IsDigit(r) || (r == '.' && IsDigit(Peek()))) {
    Backup();
    return LexNumberOrDuration();
  }
  if (IsAlpha(r) || r == ':') {
    if (!bracket_open_) {
      Backup();
      LexIdentifierOrKeyword();
      return true;
    }
    // Prometheus compat (lex.go): inside brackets any letter or ':' is the subquery colon.
    if (got_colon_) return Error(absl::StrCat("unexpected colon ", GoQuoteRune(r)));
    Emit(TokenType::kColon);
    got_colon_ = true;
    return true;
  }
  return Error(absl::StrCat("unexpected character: ", GoQuoteRune(r)));
}

bool Lexer::LexInsideBraces() {
  if (pos_ < input_.size() && input_[pos_] == '#') {
    LexLineComment();
    return true;
  }
  const int32_t r = Next();
  if (r == kEofRune) return Error("unexpected end of input inside braces");
  if (IsSpace(r)) {
    while (IsSpace(Peek())) Next();
    start_ = pos_;
    return true;
  }
  if (IsAlpha(r)) {
    while (IsAlphaNumeric(Next())) {
    }
    Backup();
    Emit(TokenType::kIdentifier);
    return true;
  }
  switch (r) {
    case ',': Emit(TokenType::kComma); return true;
    case '"':
    case '\'':
      return LexString(static_cast<char>(r));
    case '`':
      return LexRawString();
    case '=':
      if (Next() == '~') {
        Emit(TokenType::kEqlRegex);
      } else {
        Backup();
        Emit(TokenType::kAssign);
      }
      return true;
    case '!': {
      const int32_t nr = Next();
      if (nr == '~') {
        Emit(TokenType::kNeqRegex);
      } else if (nr == '=') {
        Emit(TokenType::kNeq);
      } else {
        return Error(
            absl::StrCat("unexpected character after '!' inside braces: ", GoQuoteRune(nr)));
      }
      return true;
    }
    case '{':
      return Error("unexpected left brace '{'");
    case '}':
      Emit(TokenType::kRightBrace);
      brace_open_ = false;
      return true;
    default:
      return Error(absl::StrCat("unexpected character inside braces: ", GoQuoteRune(r)));
  }
}

bool Lexer::ScanNumber() {
  absl::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) digits = "0123456789abcdefABCDEF";
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (Accept("eE")) {
    Accept("+-");
    AcceptRun("0123456789");
  }
  return !IsAlphaNumeric(Peek());
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // "ms"; bad pairs like "hs" fail later in ParseDurationMs.
  while (Accept("0123456789")) {
    AcceptRun("0123456789");
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  return !IsAlphaNumeric(Next());
}

bool Lexer::LexNumberOrDuration() {
  if (ScanNumber()) {
    Emit(TokenType::kNumber);
    return true;
  }
  if (AcceptRemainingDuration()) {
    Backup();
    Emit(TokenType::kDuration);
    return true;
  }
  return Error(absl::StrCat("bad number or duration syntax: ",
                            storage::GoQuote(input_.substr(start_, pos_ - start_))));
}

bool Lexer::LexDuration() {
  if (ScanNumber()) return Error("missing unit character in duration");
  if (!AcceptRemainingDuration()) {
    return Error(absl::StrCat("bad duration syntax: ",
                              storage::GoQuote(input_.substr(start_, pos_ - start_))));
  }
  Backup();
  Emit(TokenType::kDuration);
  return true;
}

bool Lexer::LexEscape(char quote) {
  int32_t ch = Next();
  int n = 0;
  uint32_t base = 0, max = 0;
  switch (ch) {
    case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v': case '\\':
      return true;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
      n = 3, base = 8, max = 255;
      break;
    case 'x':
      ch = Next();
      n = 2, base = 16, max = 255;
      break;
    case 'u':
      ch = Next();
      n = 4, base = 16, max = 0x10FFFF;
      break;
    case 'U':
      ch = Next();
      n = 8, base = 16, max = 0x10FFFF;
      break;
    case kEofRune:
      return Error("escape sequence not terminated");
    default:
      if (ch == quote) return true;
      return Error(absl::StrCat("unknown escape sequence ", GoUnicodeFormat(ch)));
  }
  uint32_t x = 0;
  while (n > 0) {
    const uint32_t d = static_cast<uint32_t>(DigitVal(ch));
    if (d >= base) {
      if (ch == kEofRune) return Error("escape sequence not terminated");
      return Error(absl::StrCat("illegal character ", GoUnicodeFormat(ch), " in escape sequence"));
    }
    x = x * base + d;
    --n;
    if (n > 0) ch = Next();
  }
  if (x > max || (x >= 0xD800 && x < 0xE000)) {
    return Error("escape sequence is an invalid Unicode code point");
  }
  return true;
}

bool Lexer::LexString(char quote) {
  while (true) {
    const int32_t r = Next();
    if (r == '\\') {
      if (!LexEscape(quote)) return false;
      continue;
    }
    if (r == kRuneError) return Error("invalid UTF-8 rune");
    if (r == kEofRune || r == '\n') return Error("unterminated quoted string");
    if (r == quote) break;
  }
  Emit(TokenType::kString);
  return true;
}

bool Lexer::LexRawString() {
  while (true) {
    const int32_t r = Next();
    if (r == kRuneError) return Error("invalid UTF-8 rune");
    if (r == kEofRune) return Error("unterminated raw string");
    if (r == '`') break;
  }
  Emit(TokenType::kString);
  return true;
}

void Lexer::LexIdentifierOrKeyword() {
  while (true) {
    const int32_t r = Next();
    if (IsAlphaNumeric(r) || r == ':') continue;
    Backup();
    break;
  }
  const absl::string_view word = input_.substr(start_, pos_ - start_);
  const TokenType kw = LookupKeyword(absl::AsciiStrToLower(word));
  if (kw != TokenType::kEof) {
    Emit(kw);
  } else if (word.find(':') == absl::string_view::npos) {
    Emit(TokenType::kIdentifier);
  } else {
    Emit(TokenType::kMetricIdentifier);
  }
}

}  // namespace tally::promql
