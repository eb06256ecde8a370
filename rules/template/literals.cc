#include "rules/template/literals.h"

#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/ingest/go_float.h"
#include "storage/model/labels.h"
#include "storage/util/utf8.h"

namespace tally::rules::tmpl {
namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's strconv.UnquoteChar for one escape or character at s[*i] inside a literal quoted
// with `quote`. Appends the bytes; false on invalid syntax.
bool UnquoteChar(absl::string_view s, size_t* i, char quote, std::string* out,
                 uint32_t* rune = nullptr) {
  const char c = s[*i];
  if (c == quote && (quote == '\'' || quote == '"')) return false;
  if (c != '\\') {
    if (rune != nullptr) {
      // Decode one UTF-8 rune (character constants only).
      const unsigned char u = static_cast<unsigned char>(c);
      int n = u < 0x80 ? 1 : u < 0xE0 ? 2 : u < 0xF0 ? 3 : 4;
      uint32_t r = n == 1 ? u : n == 2 ? (u & 0x1F) : n == 3 ? (u & 0x0F) : (u & 0x07);
      for (int k = 1; k < n && *i + k < s.size(); ++k) r = (r << 6) | (s[*i + k] & 0x3F);
      *rune = r;
      absl::StrAppend(out, s.substr(*i, n));
      *i += n;
      return true;
    }
    out->push_back(c);
    ++*i;
    return true;
  }
  if (*i + 1 >= s.size()) return false;
  const char e = s[*i + 1];
  *i += 2;
  uint32_t r = 0;
  switch (e) {
    case 'a':
      r = '\a';
      break;
    case 'b':
      r = '\b';
      break;
    case 'f':
      r = '\f';
      break;
    case 'n':
      r = '\n';
      break;
    case 'r':
      r = '\r';
      break;
    case 't':
      r = '\t';
      break;
    case 'v':
      r = '\v';
      break;
    case '\\':
      r = '\\';
      break;
    case '\'':
    case '"':
      if (e != quote) return false;
      r = static_cast<uint32_t>(e);
      break;
    case 'x':
    case 'u':
    case 'U': {
      const int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (*i + n > s.size()) return false;
      for (int k = 0; k < n; ++k) {
        const int h = HexVal(s[*i + k]);
        if (h < 0) return false;
        r = (r << 4) | static_cast<uint32_t>(h);
      }
      *i += n;
      if (e == 'x') {  // a single byte, not a rune
        if (rune != nullptr) *rune = r;
        out->push_back(static_cast<char>(r));
        return true;
      }
      if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return false;
      break;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      r = static_cast<uint32_t>(e - '0');
      if (*i + 2 > s.size()) return false;
      for (int k = 0; k < 2; ++k) {
        const char d = s[*i + k];
        if (d < '0' || d > '7') return false;
        r = (r << 3) | static_cast<uint32_t>(d - '0');
      }
      *i += 2;
      if (r > 255) return false;
      if (rune != nullptr) *rune = r;
      out->push_back(static_cast<char>(r));
      return true;
    }
    default:
      return false;
  }
  if (rune != nullptr) *rune = r;
  storage::AppendUtf8(r, out);
  return true;
}

// Go's strconv.Unquote for "..." and `...` literals.
bool UnquoteLiteral(absl::string_view lit, std::string* out) {
  if (lit.size() < 2) return false;
  if (lit.front() == '`') {
    if (lit.back() != '`') return false;
    for (char c : lit.substr(1, lit.size() - 2)) {
      if (c != '\r') out->push_back(c);  // Go drops carriage returns from raw strings
    }
    return true;
  }
  if (lit.front() != '"' || lit.back() != '"') return false;
  absl::string_view body = lit.substr(1, lit.size() - 2);
  size_t i = 0;
  while (i < body.size()) {
    if (body[i] == '\n') return false;
    if (!UnquoteChar(body, &i, '"', out)) return false;
  }
  return true;
}

// strconv's underscoreOK: '_' only between digits or after a base prefix.
bool UnderscoreOk(absl::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0') {
    const char b = s[1] | 0x20;
    if (b == 'b' || b == 'o' || b == 'x') {
      i = 2;
      saw = '0';
      hex = b == 'x';
    }
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const char l = c | 0x20;
    if ((c >= '0' && c <= '9') || (hex && l >= 'a' && l <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

// strconv.ParseInt/ParseUint(text, 0, 64) without underscores: decimal, 0x, 0o, 0b and
// leading-0 octal, optional sign.
bool ParseGoInt(absl::string_view s, bool is_unsigned, int64_t* i_out, uint64_t* u_out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (is_unsigned) return false;
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    const char p = s[1] | 0x20;
    if (p == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return false;
  unsigned __int128 v = 0;
  for (char c : s) {
    const int d = HexVal(c);
    if (d < 0 || d >= base) return false;
    v = v * base + static_cast<unsigned>(d);
    if (v > (static_cast<unsigned __int128>(1) << 64)) return false;
  }
  if (is_unsigned) {
    if (v > UINT64_MAX) return false;
    *u_out = static_cast<uint64_t>(v);
    return true;
  }
  if (neg) {
    if (v > static_cast<unsigned __int128>(INT64_MAX) + 1) return false;
    *i_out = static_cast<int64_t>(-static_cast<__int128>(v));
  } else {
    if (v > INT64_MAX) return false;
    *i_out = static_cast<int64_t>(v);
  }
  return true;
}

}  // namespace

bool GoUnquote(absl::string_view lit, std::string* out) { return UnquoteLiteral(lit, out); }

absl::Status ParseNumberLiteral(bool is_char, bool is_complex, absl::string_view text, Node* n) {
  n->text = std::string(text);
  if (is_char) {
    std::string bytes;
    size_t i = 1;
    uint32_t r = 0;
    if (text.size() < 3 || !UnquoteChar(text, &i, '\'', &bytes, &r)) {
      return absl::InvalidArgumentError("invalid syntax");
    }
    if (text.substr(i) != "'") {
      return absl::InvalidArgumentError(absl::StrCat("malformed character constant: ", text));
    }
    n->is_int = n->is_uint = n->is_float = true;
    n->int64 = r;
    n->uint64 = r;
    n->float64 = r;
    return absl::OkStatus();
  }
  if (is_complex || absl::EndsWith(text, "i")) {
    return absl::InvalidArgumentError(
        absl::StrCat("complex numbers are not supported: ", storage::GoQuote(text)));
  }
  const std::string illegal = absl::StrCat("illegal number syntax: ", storage::GoQuote(text));
  std::string digits;  // `text` without the digit-separating underscores Go allows
  if (text.find('_') != absl::string_view::npos) {
    if (!UnderscoreOk(text)) return absl::InvalidArgumentError(illegal);
    for (char c : text) {
      if (c != '_') digits.push_back(c);
    }
  } else {
    digits = std::string(text);
  }
  uint64_t u = 0;
  int64_t i = 0;
  if (ParseGoInt(digits, true, nullptr, &u)) {
    n->is_uint = true;
    n->uint64 = u;
  }
  if (ParseGoInt(digits, false, &i, nullptr)) {
    n->is_int = true;
    n->int64 = i;
    if (i == 0) {
      n->is_uint = true;
      n->uint64 = 0;
    }
  }
  if (n->is_int) {
    n->is_float = true;
    n->float64 = static_cast<double>(n->int64);
  } else if (n->is_uint) {
    n->is_float = true;
    n->float64 = static_cast<double>(n->uint64);
  } else {
    double f = 0;
    if (storage::ParseGoFloat(digits, &f) && digits.find_first_of("iInN") == std::string::npos) {
      if (digits.find_first_of(".eEpP") == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("integer overflow: ", storage::GoQuote(text)));
      }
      n->is_float = true;
      n->float64 = f;
      if (f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 &&
          static_cast<double>(static_cast<int64_t>(f)) == f) {
        n->is_int = true;
        n->int64 = static_cast<int64_t>(f);
      }
      if (f >= 0 && f < 1.8446744073709551616e19 &&
          static_cast<double>(static_cast<uint64_t>(f)) == f) {
        n->is_uint = true;
        n->uint64 = static_cast<uint64_t>(f);
      }
    }
  }
  if (!n->is_int && !n->is_uint && !n->is_float) return absl::InvalidArgumentError(illegal);
  return absl::OkStatus();
}

}  // namespace tally::rules::tmpl
