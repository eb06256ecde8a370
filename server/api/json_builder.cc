#include "server/api/json_builder.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace tally::server::api {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t Utf8SeqLen(absl::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

}  // namespace

void AppendJsonString(absl::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SeqLen(s, i);
      if (n == 0) {
        out->append("\xEF\xBF\xBD");  // Go writes U+FFFD for invalid bytes
        ++i;
        continue;
      }
      // U+2028 / U+2029 are escaped by Go (JSONP safety).
      if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
          (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
        out->append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
      } else {
        out->append(s.data() + i, n);
      }
      i += n;
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '<': out->append("\\u003c"); break;
      case '>': out->append("\\u003e"); break;
      case '&': out->append("\\u0026"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

JsonBuilder& JsonBuilder::String(absl::string_view s) {
  AppendJsonString(s, &out_);
  return *this;
}

JsonBuilder& JsonBuilder::Int(int64_t v) {
  absl::StrAppend(&out_, v);
  return *this;
}

JsonBuilder& JsonBuilder::Double(double v) {
  if (!std::isfinite(v)) return Raw("0");  // Go refuses; we never emit these here
  // Go: shortest repr; exponent form when |v| < 1e-6 or >= 1e21.
  char buf[64];
  double a = std::fabs(v);
  std::to_chars_result r;
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    std::string s(buf, r.ptr);
    // C++ prints e-07 already with 2 digits; Go too ("1e-07").
    return Raw(s);
  }
  r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  out_.append(buf, r.ptr);
  return *this;
}

JsonBuilder& JsonBuilder::LabelsObject(const storage::Labels& labels) {
  out_.push_back('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out_.push_back(',');
    first = false;
    AppendJsonString(l.name, &out_);
    out_.push_back(':');
    AppendJsonString(l.value, &out_);
  }
  out_.push_back('}');
  return *this;
}

}  // namespace tally::server::api
