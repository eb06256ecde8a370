#include "storage/model/labels.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "storage/util/coding.h"

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

// LEB128 length prefix: one byte for the lengths label names and values nearly always have.
inline void PutLength(std::string* out, size_t n) {
  while (n >= 0x80) {
    out->push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

inline size_t LengthLen(size_t n) {
  size_t k = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++k;
  }
  return k;
}

inline size_t PairLen(absl::string_view name, absl::string_view value) {
  return LengthLen(name.size()) + name.size() + LengthLen(value.size()) + value.size();
}

// REQUIRES: p < end and a well-formed encoding (Labels only decodes its own buffer).
inline absl::string_view GetString(const char** p) {
  size_t n = 0;
  int shift = 0;
  const auto* u = reinterpret_cast<const unsigned char*>(*p);
  while (*u & 0x80) {
    n |= static_cast<size_t>(*u++ & 0x7f) << shift;
    shift += 7;
  }
  n |= static_cast<size_t>(*u++) << shift;
  const char* s = reinterpret_cast<const char*>(u);
  *p = s + n;
  return absl::string_view(s, n);
}

}  // namespace

void Labels::const_iterator::Decode() {
  if (p_ == end_) return;
  const char* q = p_;
  cur_.name = GetString(&q);
  cur_.value = GetString(&q);
  next_ = q;
}

void Labels::Append(std::string* out, absl::string_view name, absl::string_view value) {
  PutLength(out, name.size());
  out->append(name.data(), name.size());
  PutLength(out, value.size());
  out->append(value.data(), value.size());
}

Labels::Labels(std::initializer_list<std::pair<absl::string_view, absl::string_view>> pairs) {
  std::vector<LabelView> v;
  v.reserve(pairs.size());
  for (const auto& [n, x] : pairs) v.push_back(LabelView{n, x});
  std::stable_sort(v.begin(), v.end(),
                   [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
  v.erase(std::unique(v.begin(), v.end(),
                      [](const LabelView& a, const LabelView& b) { return a.name == b.name; }),
          v.end());
  *this = FromSorted(v);
}

Labels Labels::FromUnsorted(std::vector<Label> labels) {
  SortUnique(&labels);
  return FromSorted(labels);
}

Labels Labels::FromSorted(const std::vector<Label>& labels) {
  size_t len = 0;
  for (const Label& l : labels) len += PairLen(l.name, l.value);
  Labels out;
  out.data_.reserve(len);
  for (const Label& l : labels) Append(&out.data_, l.name, l.value);
  out.size_ = static_cast<uint32_t>(labels.size());
  return out;
}

Labels Labels::FromSorted(absl::Span<const LabelView> labels) {
  size_t len = 0;
  for (const LabelView& l : labels) len += PairLen(l.name, l.value);
  Labels out;
  out.data_.reserve(len);
  for (const LabelView& l : labels) Append(&out.data_, l.name, l.value);
  out.size_ = static_cast<uint32_t>(labels.size());
  return out;
}

bool Labels::FromEncoded(absl::string_view enc, Labels* out) {
  uint32_t n = 0;
  bool canonical = true;
  absl::string_view in = enc;
  auto get = [&](absl::string_view* s) {
    const size_t before = in.size();
    uint64_t len;
    if (!GetVarint64(&in, &len) || len > in.size()) return false;
    if (before - in.size() != LengthLen(len)) canonical = false;
    *s = in.substr(0, len);
    in.remove_prefix(len);
    return true;
  };
  while (!in.empty()) {
    absl::string_view name, value;
    if (!get(&name) || !get(&value)) return false;
    ++n;
  }
  Labels l;
  if (canonical) {
    l.data_.assign(enc.data(), enc.size());
  } else {
    in = enc;
    while (!in.empty()) {
      absl::string_view name, value;
      get(&name);
      get(&value);
      Append(&l.data_, name, value);
    }
  }
  l.size_ = n;
  *out = std::move(l);
  return true;
}

std::vector<Label> Labels::ToVector() const {
  std::vector<Label> out;
  out.reserve(size_);
  for (const LabelView l : *this) out.push_back(Label{std::string(l.name), std::string(l.value)});
  return out;
}

LabelView Labels::operator[](size_t i) const {
  auto it = begin();
  while (i-- > 0) ++it;
  return *it;
}

absl::string_view Labels::Get(absl::string_view name) const {
  // Label sets are small (typically < 12); a linear scan beats binary search here.
  for (const LabelView l : *this) {
    if (l.name == name) return l.value;
  }
  return {};
}

bool Labels::Has(absl::string_view name) const {
  for (const LabelView l : *this) {
    if (l.name == name) return true;
  }
  return false;
}

Labels Labels::Rebuild(absl::FunctionRef<bool(absl::string_view)> keep,
                       absl::Span<const LabelView> set) const {
  // Pass 1 sizes the result so that pass 2 appends into one reserved buffer. The merge
  // visits this set's pairs and `set` in name order; a `set` entry shadows a pair of the
  // same name whether or not `keep` accepts it.
  auto merge = [&](auto&& emit) {
    size_t j = 0;
    for (const LabelView l : *this) {
      while (j < set.size() && set[j].name < l.name) {
        if (!set[j].value.empty()) emit(set[j]);
        ++j;
      }
      if (j < set.size() && set[j].name == l.name) {
        if (!set[j].value.empty()) emit(set[j]);
        ++j;
        continue;
      }
      if (keep(l.name)) emit(l);
    }
    for (; j < set.size(); ++j) {
      if (!set[j].value.empty()) emit(set[j]);
    }
  };
  size_t len = 0, n = 0;
  merge([&](const LabelView& l) {
    len += PairLen(l.name, l.value);
    ++n;
  });
  Labels out;
  out.data_.reserve(len);
  merge([&](const LabelView& l) { Append(&out.data_, l.name, l.value); });
  out.size_ = static_cast<uint32_t>(n);
  return out;
}

Labels Labels::Without(absl::string_view name) const {
  // Copies the bytes before and after the pair, if there is one.
  for (auto it = begin(); it != end(); ++it) {
    if (it->name != name) continue;
    const char* base = data_.data();
    const size_t at = static_cast<size_t>(it.p_ - base);
    const size_t after = static_cast<size_t>(it.next_ - base);
    Labels out;
    out.data_.reserve(data_.size() - (after - at));
    out.data_.append(base, at);
    out.data_.append(base + after, data_.size() - after);
    out.size_ = size_ - 1;
    return out;
  }
  return *this;
}

uint64_t Labels::StableHash() const {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const LabelView l : *this) {
    Fnv(&h, l.name);
    Fnv(&h, l.value);
  }
  return h;
}

std::string Labels::ToString() const {
  std::string out = "{";
  bool first = true;
  for (const LabelView l : *this) {
    if (!first) out += ", ";
    first = false;
    out.append(l.name.data(), l.name.size());
    out += '=';
    out += GoQuote(l.value);
  }
  out += '}';
  return out;
}

size_t Labels::ByteSize() const {
  // std::string keeps up to 15 bytes inline (libstdc++ SSO).
  return sizeof(Labels) + (data_.capacity() > 15 ? data_.capacity() + 1 : 0);
}

int Compare(const Labels& a, const Labels& b) {
  auto i = a.begin(), j = b.begin();
  const auto ie = a.end(), je = b.end();
  for (; i != ie && j != je; ++i, ++j) {
    if (int c = i->name.compare(j->name); c != 0) return c < 0 ? -1 : 1;
    if (int c = i->value.compare(j->value); c != 0) return c < 0 ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

LabelsBuilder::LabelsBuilder(const Labels& base) : labels_(base.ToVector()) {}

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
