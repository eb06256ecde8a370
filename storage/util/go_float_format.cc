#include "storage/util/go_float_format.h"

#include <charconv>
#include <cstring>

namespace tally::storage {

void AppendGoFloatF(double v, std::string* out) {
  // Shortest round-trip digits and decimal exponent from the scientific form
  // ("-d.ddde+XX"), then placed around the decimal point by hand.
  char sci[64];
  auto r = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
  const char* p = sci;
  const char* end = r.ptr;
  if (*p == '-') {
    out->push_back('-');
    ++p;
  }
  const char* e = static_cast<const char*>(std::memchr(p, 'e', end - p));
  char digits[32];
  int nd = 0;
  for (const char* q = p; q < e; ++q) {
    if (*q != '.') digits[nd++] = *q;
  }
  int exp = 0;
  const char* eb = e + 1;
  if (*eb == '+') ++eb;
  std::from_chars(eb, end, exp);
  // Value = 0.d1d2...dn * 10^(exp + 1): `point` digits before the decimal point.
  const int point = exp + 1;
  if (point <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-point), '0');
    out->append(digits, nd);
    return;
  }
  if (point >= nd) {
    out->append(digits, nd);
    out->append(static_cast<size_t>(point - nd), '0');
    return;
  }
  out->append(digits, point);
  out->push_back('.');
  out->append(digits + point, nd - point);
}

}  // namespace tally::storage
