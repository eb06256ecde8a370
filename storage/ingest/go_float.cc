#include "storage/ingest/go_float.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/match.h"

namespace tally::storage {
namespace {

// Go accepts '_' between digits only with a base prefix; we reject it everywhere except
// in hex ("0x_1p0" style is vanishingly rare in exposition, so the strict subset is fine).
bool ParseHex(absl::string_view s, double* out) {
  // s is "0x..." or "0X..." without sign. std::from_chars(hex) wants no prefix and needs
  // a 'p' exponent to be optional: Go requires the 'p' exponent for hex floats.
  absl::string_view body = s.substr(2);
  if (body.empty() || body.find_first_of("pP") == absl::string_view::npos) return false;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), *out,
                                   std::chars_format::hex);
  if (ptr != body.data() + body.size()) return false;
  return ec == std::errc() || ec == std::errc::result_out_of_range;
}

}  // namespace

bool ParseGoFloat(absl::string_view s, double* out) {
  if (s.empty()) return false;
  bool neg = false;
  absl::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
    if (body.empty()) return false;
  }
  const char c0 = body[0];
  if (c0 == 'i' || c0 == 'I' || c0 == 'n' || c0 == 'N') {
    if (absl::EqualsIgnoreCase(body, "inf") || absl::EqualsIgnoreCase(body, "infinity")) {
      *out = neg ? -std::numeric_limits<double>::infinity()
                 : std::numeric_limits<double>::infinity();
      return true;
    }
    // Go parses a signed "NaN" too ("+NaN", "-NaN"); the sign of a NaN is not kept.
    if (absl::EqualsIgnoreCase(body, "nan")) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    return false;
  }
  if (body.size() > 2 && c0 == '0' && (body[1] == 'x' || body[1] == 'X')) {
    if (!ParseHex(body, out)) return false;
    if (std::isinf(*out)) return false;  // overflow: Go's ErrRange
    if (neg) *out = -*out;
    return true;
  }
  // Decimal: digits, optional '.', optional exponent. from_chars(general) also accepts
  // "inf"/"nan" spellings, which were handled (or rejected) above, and never a sign.
  if (!(c0 >= '0' && c0 <= '9') && c0 != '.') return false;
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v,
                                   std::chars_format::general);
  if (ptr != body.data() + body.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // libstdc++ reports both overflow and underflow here. Go rounds underflow to the
    // nearest subnormal or zero and only fails on overflow; strtod tells them apart.
    std::string copy(body);
    errno = 0;
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return false;
  } else if (ec != std::errc()) {
    return false;
  }
  *out = neg ? -v : v;
  return true;
}

int FormatGoFloat(double v, char* buf) {
  if (std::isnan(v)) {
    std::memcpy(buf, "NaN", 3);
    return 3;
  }
  if (std::isinf(v)) {
    std::memcpy(buf, v > 0 ? "+Inf" : "-Inf", 4);
    return 4;
  }
  // Shortest round-trip digits in scientific form: "d[.ddd]e[+-]XX" (at least two exponent
  // digits, like Go's %e).
  char sci[kGoFloatBufSize];
  auto res = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
  const int sci_len = static_cast<int>(res.ptr - sci);
  const char* e = static_cast<const char*>(std::memchr(sci, 'e', sci_len));
  int exp = 0;
  const char* exp_begin = e + 1;
  if (*exp_begin == '+') ++exp_begin;  // from_chars takes '-' but not '+'
  std::from_chars(exp_begin, sci + sci_len, exp);
  // Prometheus compat: strconv.FormatFloat(v, 'g', -1, 64) (promtool tsdb dump) uses the
  // exponent form when exp < -4 || exp >= 6 (Go uses eprec 6 for shortest 'g').
  if (exp < -4 || exp >= 6) {
    std::memcpy(buf, sci, sci_len);
    return sci_len;
  }
  // Plain form with the same digits: shortest fixed is the same digit string here because
  // the exponent is small (no trailing zeros are needed before the decimal point beyond 6).
  auto res2 = std::to_chars(buf, buf + kGoFloatBufSize, v, std::chars_format::fixed);
  return static_cast<int>(res2.ptr - buf);
}

std::string FormatGoFloat(double v) {
  char buf[kGoFloatBufSize];
  return std::string(buf, FormatGoFloat(v, buf));
}

}  // namespace tally::storage
