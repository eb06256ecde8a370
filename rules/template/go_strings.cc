#include "rules/template/go_strings.h"

#include <cstdint>

#include "storage/util/utf8.h"

namespace tally::rules::tmpl {
namespace {

// Decodes one rune at s[*i]; invalid bytes come back as -1 with *len = 1.
int32_t DecodeRune(absl::string_view s, size_t i, size_t* len) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (c < 0x80) return c;
  int n = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return -1;
  int32_t r = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < n; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return -1;
    r = (r << 6) | (d & 0x3F);
  }
  if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10FFFF)) ||
      (r >= 0xD800 && r <= 0xDFFF)) {
    return -1;
  }
  *len = static_cast<size_t>(n);
  return r;
}

int32_t ToUpperRune(int32_t r) {
  if (r >= 'a' && r <= 'z') return r - 32;
  if (r < 0x80) return r;
  if (r == 0xB5) return 0x39C;  // micro sign -> Greek capital mu, as Go
  if (r >= 0xE0 && r <= 0xFE && r != 0xF7) return r - 32;
  if (r == 0xFF) return 0x178;
  if (r >= 0x100 && r <= 0x17F) {
    if (r == 0x131) return 'I';
    if (r == 0x17F) return 'S';
    if (r == 0x130 || r == 0x138 || r == 0x149) return r;
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) return r % 2 == 0 ? r - 1 : r;
    return r % 2 == 1 ? r - 1 : r;
  }
  if (r >= 0x3B1 && r <= 0x3C9) return r == 0x3C2 ? 0x3A3 : r - 32;
  if (r >= 0x430 && r <= 0x44F) return r - 32;
  if (r >= 0x450 && r <= 0x45F) return r - 80;
  return r;
}

int32_t ToLowerRune(int32_t r) {
  if (r >= 'A' && r <= 'Z') return r + 32;
  if (r < 0x80) return r;
  if (r >= 0xC0 && r <= 0xDE && r != 0xD7) return r + 32;
  if (r == 0x178) return 0xFF;
  if (r >= 0x100 && r <= 0x17F) {
    if (r == 0x130) return 'i';
    if (r == 0x131 || r == 0x138 || r == 0x149 || r == 0x17F) return r;
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) return r % 2 == 1 ? r + 1 : r;
    return r % 2 == 0 ? r + 1 : r;
  }
  if (r >= 0x391 && r <= 0x3A9 && r != 0x3A2) return r + 32;
  if (r >= 0x410 && r <= 0x42F) return r + 32;
  if (r >= 0x400 && r <= 0x40F) return r + 80;
  return r;
}

bool IsUnicodeSpace(int32_t r) {
  return r == 0x85 || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 ||
         r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000;
}

// strings.Title's isSeparator.
bool IsSeparator(int32_t r) {
  if (r < 0x80) {
    return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
             r == '_');
  }
  return IsUnicodeSpace(r);
}

template <typename F>
std::string MapRunes(absl::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    const int32_t r = DecodeRune(s, i, &len);
    if (r < 0) {
      // Go's Map turns invalid bytes into U+FFFD.
      storage::AppendUtf8(0xFFFD, &out);
    } else {
      const int32_t m = f(r);
      if (m == r) {
        out.append(s.data() + i, len);
      } else {
        storage::AppendUtf8(static_cast<uint32_t>(m), &out);
      }
    }
    i += len;
  }
  return out;
}

}  // namespace

std::string GoToUpper(absl::string_view s) { return MapRunes(s, ToUpperRune); }
std::string GoToLower(absl::string_view s) { return MapRunes(s, ToLowerRune); }

std::string GoTitle(absl::string_view s) {
  int32_t prev = ' ';
  return MapRunes(s, [&prev](int32_t r) {
    const int32_t out = IsSeparator(prev) ? ToUpperRune(r) : r;
    prev = r;
    return out;
  });
}

}  // namespace tally::rules::tmpl
