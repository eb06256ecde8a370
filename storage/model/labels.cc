#include "storage/model/labels.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace tally::storage {
namespace {

bool NameLess(const Label& a, const Label& b) { return a.name < b.name; }

void SortUnique(std::vector<Label>* labels) {
  std::stable_sort(labels->begin(), labels->end(), NameLess);
  labels->erase(std::unique(labels->begin(), labels->end(),
                            [](const Label& a, const Label& b) { return a.name == b.name; }),
                labels->end());
}

// 64-bit FNV-1a over bytes; a separator byte keeps ("ab","c") and ("a","bc") distinct.
inline void Fnv(uint64_t* h, absl::string_view s) {
  for (unsigned char c : s) {
    *h ^= c;
    *h *= 0x100000001b3ULL;
  }
  *h ^= 0xff;
  *h *= 0x100000001b3ULL;
}

}  // namespace

Labels::Labels(std::initializer_list<std::pair<absl::string_view, absl::string_view>> pairs) {
  labels_.reserve(pairs.size());
  for (const auto& [n, v] : pairs) labels_.push_back(Label{std::string(n), std::string(v)});
  SortUnique(&labels_);
}

Labels Labels::FromUnsorted(std::vector<Label> labels) {
  SortUnique(&labels);
  Labels l;
  l.labels_ = std::move(labels);
  return l;
}

Labels Labels::FromSorted(std::vector<Label> labels) {
  Labels l;
  l.labels_ = std::move(labels);
  return l;
}

absl::string_view Labels::Get(absl::string_view name) const {
  // Label sets are small (typically < 12); a linear scan beats binary search here.
  for (const Label& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

bool Labels::Has(absl::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return true;
  }
  return false;
}

uint64_t Labels::StableHash() const {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const Label& l : labels_) {
    Fnv(&h, l.name);
    Fnv(&h, l.value);
  }
  return h;
}

std::string Labels::ToString() const {
  std::string out = "{";
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels_[i].name;
    out += '=';
    out += GoQuote(labels_[i].value);
  }
  out += '}';
  return out;
}

size_t Labels::ByteSize() const {
  size_t n = sizeof(Labels) + labels_.capacity() * sizeof(Label);
  for (const Label& l : labels_) {
    // std::string keeps up to 15 bytes inline (libstdc++ SSO).
    if (l.name.capacity() > 15) n += l.name.capacity() + 1;
    if (l.value.capacity() > 15) n += l.value.capacity() + 1;
  }
  return n;
}

int Compare(const Labels& a, const Labels& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = a[i].name.compare(b[i].name); c != 0) return c < 0 ? -1 : 1;
    if (int c = a[i].value.compare(b[i].value); c != 0) return c < 0 ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

LabelsBuilder::LabelsBuilder(const Labels& base) : labels_(base.begin(), base.end()) {}

LabelsBuilder& LabelsBuilder::Set(absl::string_view name, absl::string_view value) {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, absl::string_view n) { return l.name < n; });
  const bool found = it != labels_.end() && it->name == name;
  if (value.empty()) {
    if (found) labels_.erase(it);
  } else if (found) {
    it->value.assign(value.data(), value.size());
  } else {
    labels_.insert(it, Label{std::string(name), std::string(value)});
  }
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(absl::string_view name) { return Set(name, ""); }

LabelsBuilder& LabelsBuilder::Keep(const std::vector<std::string>& names, bool keep) {
  labels_.erase(std::remove_if(labels_.begin(), labels_.end(),
                               [&](const Label& l) {
                                 const bool listed =
                                     std::find(names.begin(), names.end(), l.name) != names.end();
                                 return listed != keep;
                               }),
                labels_.end());
  return *this;
}

absl::string_view LabelsBuilder::Get(absl::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

Labels LabelsBuilder::Build() const { return Labels::FromSorted(labels_); }

namespace {

// Decodes one UTF-8 sequence at s[i] with Go's rules (no overlongs, no surrogates, at most
// U+10FFFF). Returns its length, or 0 when the byte at i does not start a valid sequence.
int DecodeUtf8(absl::string_view s, size_t i, uint32_t* rune) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  auto cont = [&](size_t k, uint8_t lo = 0x80, uint8_t hi = 0xbf) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  const uint8_t b0 = byte(i);
  if (b0 >= 0xc2 && b0 <= 0xdf && cont(i + 1)) {
    *rune = (uint32_t{b0} & 0x1f) << 6 | (byte(i + 1) & 0x3f);
    return 2;
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const uint8_t lo = b0 == 0xe0 ? 0xa0 : 0x80;
    const uint8_t hi = b0 == 0xed ? 0x9f : 0xbf;
    if (cont(i + 1, lo, hi) && cont(i + 2)) {
      *rune = (uint32_t{b0} & 0x0f) << 12 | (byte(i + 1) & 0x3fu) << 6 | (byte(i + 2) & 0x3f);
      return 3;
    }
    return 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const uint8_t lo = b0 == 0xf0 ? 0x90 : 0x80;
    const uint8_t hi = b0 == 0xf4 ? 0x8f : 0xbf;
    if (cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3)) {
      *rune = (uint32_t{b0} & 0x07) << 18 | (byte(i + 1) & 0x3fu) << 12 |
              (byte(i + 2) & 0x3fu) << 6 | (byte(i + 3) & 0x3f);
      return 4;
    }
  }
  return 0;
}

// Non-ASCII runes Go's strconv.IsPrint rejects that label values plausibly contain: C1
// controls, the Unicode spaces other than ' ', common format characters, private use
// and the noncharacters U+FFFE/U+FFFF. (Unassigned code points are not tracked.)
bool IsNonPrintable(uint32_t r) {
  return (r >= 0x80 && r <= 0x9f) || r == 0xa0 || r == 0xad || r == 0x1680 ||
         (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
         (r >= 0x205f && r <= 0x2064) || r == 0x3000 || (r >= 0xe000 && r <= 0xf8ff) ||
         r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb) || r == 0xfffe || r == 0xffff;
}

}  // namespace

bool IsValidLabelName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string GoQuote(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Prometheus compat (strconv.Quote): a byte that is not valid UTF-8 prints as \xNN,
      // a valid but non-printable rune as \uNNNN; printable runes pass through.
      uint32_t rune = 0;
      const int len = DecodeUtf8(s, i, &rune);
      if (len == 0) {
        out += absl::StrFormat("\\x%02x", c);
      } else {
        if (IsNonPrintable(rune)) {
          out += absl::StrFormat("\\u%04x", rune);
        } else {
          out.append(s.data() + i, static_cast<size_t>(len));
        }
        i += static_cast<size_t>(len) - 1;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace tally::storage
