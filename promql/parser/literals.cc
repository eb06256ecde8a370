#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "promql/parser/parse_error.h"
#include "storage/model/labels.h"
#include "storage/util/utf8.h"

namespace tally::promql::internal {
namespace {

absl::Status NumberError(absl::string_view s, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "error parsing number: strconv.ParseFloat: parsing ", storage::GoQuote(s), ": ", why));
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::Status ParseErrorAt(absl::string_view input, int32_t pos, absl::string_view msg) {
  if (pos < 0 || static_cast<size_t>(pos) > input.size()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid position: parse error: ", msg));
  }
  int line = 1;
  int64_t last_break = -1;
  for (int32_t i = 0; i < pos; ++i) {
    if (input[i] == '\n') {
      last_break = i;
      ++line;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(line, ":", pos - last_break, ": parse error: ", msg));
}

absl::StatusOr<double> ParseNumber(absl::string_view s) {
  // ParseInt(s, 0, 64): "0x..." hex, "0..." octal, else decimal; only digits.
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    uint64_t v = 0;
    bool ok = s.size() > 2;
    for (size_t i = 2; i < s.size() && ok; ++i) {
      const int d = HexVal(s[i]);
      if (d < 0 || v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - d) / 16) {
        ok = false;
      } else {
        v = v * 16 + d;
      }
    }
    // A hex mantissa without a 'p' exponent is invalid for ParseFloat too.
    if (!ok) return NumberError(s, "invalid syntax");
    return static_cast<double>(v);
  }
  if (s.size() >= 2 && s[0] == '0' &&
      s.find_first_not_of("01234567") == absl::string_view::npos) {
    uint64_t v = 0;
    bool ok = true;
    for (size_t i = 1; i < s.size(); ++i) {
      if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - 7) / 8) {
        ok = false;
        break;
      }
      v = v * 8 + (s[i] - '0');
    }
    if (ok) return static_cast<double>(v);
    // Falls through: Go's ParseFloat then reads the digits as decimal.
  }
  const std::string lower = absl::AsciiStrToLower(s);
  if (lower == "inf" || lower == "infinity") return std::numeric_limits<double>::infinity();
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  // Decimal float: digits [. digits] [e [+-] digits], at least one mantissa digit.
  size_t i = 0;
  size_t mant_digits = 0;
  while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++mant_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++mant_digits;
  }
  bool ok = mant_digits > 0;
  if (ok && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++exp_digits;
    ok = exp_digits > 0;
  }
  if (!ok || i != s.size()) return NumberError(s, "invalid syntax");
  const std::string buf(s);
  errno = 0;
  const double v = std::strtod(buf.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(v)) return NumberError(s, "value out of range");
  return v;
}

absl::StatusOr<std::string> Unquote(absl::string_view q) {
  auto syntax = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("error unquoting string ", storage::GoQuote(q), ": invalid syntax"));
  };
  if (q.size() < 2 || q.front() != q.back()) return syntax();
  const char quote = q.front();
  absl::string_view s = q.substr(1, q.size() - 2);
  if (quote == '`') {
    if (s.find('`') != absl::string_view::npos) return syntax();
    return std::string(s);
  }
  if (quote != '"' && quote != '\'') return syntax();
  if (s.find('\n') != absl::string_view::npos) return syntax();
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == quote) return syntax();
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return syntax();
    const char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': out.push_back('\\'); break;
      case '\'':
      case '"':
        if (e != quote) return syntax();
        out.push_back(e);
        break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        if (i + 2 > s.size()) return syntax();
        uint32_t v = e - '0';
        for (int k = 0; k < 2; ++k) {
          const char d = s[i++];
          if (d < '0' || d > '7') return syntax();
          v = v * 8 + (d - '0');
        }
        if (v > 255) return syntax();
        out.push_back(static_cast<char>(v));
        break;
      }
      case 'x':
      case 'u':
      case 'U': {
        const int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s.size()) return syntax();
        uint32_t v = 0;
        for (int k = 0; k < n; ++k) {
          const int d = HexVal(s[i++]);
          if (d < 0) return syntax();
          v = v * 16 + d;
        }
        if (e == 'x') {
          out.push_back(static_cast<char>(v));
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return syntax();
          storage::AppendUtf8(v, &out);
        }
        break;
      }
      default:
        return syntax();
    }
  }
  return out;
}

}  // namespace tally::promql::internal
