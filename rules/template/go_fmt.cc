#include "rules/template/go_fmt.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rules/template/go_time.h"
#include "storage/ingest/go_float.h"
#include "storage/model/labels.h"
#include "storage/util/utf8.h"

namespace tally::rules::tmpl {
namespace {

// Go's fmt state for one verb (fmt.fmtFlags plus width and precision).
struct Flags {
  bool plus = false, minus = false, sharp = false, space = false, zero = false;
  bool wid_present = false, prec_present = false;
  int wid = 0, prec = 0;
};

size_t RuneCount(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void WritePadding(const Flags& f, int n, std::string* out) {
  if (n > 0) out->append(static_cast<size_t>(n), f.zero ? '0' : ' ');
}

// fmt.pad: width counts runes; '-' pads on the right (with spaces).
void Pad(const Flags& f, absl::string_view s, std::string* out) {
  if (!f.wid_present || f.wid == 0) {
    absl::StrAppend(out, s);
    return;
  }
  const int width = f.wid - static_cast<int>(RuneCount(s));
  if (!f.minus) {
    WritePadding(f, width, out);
    absl::StrAppend(out, s);
  } else {
    absl::StrAppend(out, s);
    if (width > 0) out->append(static_cast<size_t>(width), ' ');
  }
}

void FormatValue(const Value& v, char verb, Flags f, int depth, std::string* out);

// fmt.badVerb: "%!d(float64=3.5)"; a nil operand prints "%!d(<nil>)".
void BadVerb(const Value& v, char verb, const Flags& f, std::string* out) {
  out->append("%!");
  out->push_back(verb);
  out->push_back('(');
  if (v.kind == Kind::kInvalid || v.kind == Kind::kNil) {
    out->append("<nil>");
  } else {
    out->append(TypeName(v));
    out->push_back('=');
    FormatValue(v, 'v', f, 0, out);
  }
  out->push_back(')');
}

// fmt.fmtInteger.
void FormatInteger(uint64_t u, int base, bool is_signed, char verb, Flags f, std::string* out) {
  const bool negative = is_signed && static_cast<int64_t>(u) < 0;
  if (negative) u = -u;
  int prec = 0;
  if (f.prec_present) {
    prec = f.prec;
    if (prec == 0 && u == 0) {  // "%.0d" of 0 prints nothing but the padding
      f.zero = false;
      WritePadding(f, f.wid, out);
      return;
    }
  } else if (f.zero && f.wid_present) {
    prec = f.wid;
    if (negative || f.plus || f.space) --prec;  // leave room for the sign
  }
  const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string buf;
  do {
    buf.push_back(digits[u % base]);
    u /= base;
  } while (u != 0);
  while (static_cast<int>(buf.size()) < prec) buf.push_back('0');
  if (f.sharp) {
    if (base == 2) {
      buf.append("b0");
    } else if (base == 8) {
      if (buf.back() != '0') buf.push_back('0');
    } else if (base == 16) {
      buf.push_back(verb == 'X' ? 'X' : 'x');
      buf.push_back('0');
    }
  }
  if (verb == 'O') buf.append("o0");
  if (negative) {
    buf.push_back('-');
  } else if (f.plus) {
    buf.push_back('+');
  } else if (f.space) {
    buf.push_back(' ');
  }
  std::string s(buf.rbegin(), buf.rend());
  f.zero = false;  // zero padding was done as precision above
  Pad(f, s, out);
}

// Go's strconv.QuoteRune for %q on integers.
std::string QuoteRune(int64_t r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  switch (r) {
    case '\'':
      return "'\\''";
    case '\\':
      return "'\\\\'";
    case '\a':
      return "'\\a'";
    case '\b':
      return "'\\b'";
    case '\f':
      return "'\\f'";
    case '\n':
      return "'\\n'";
    case '\r':
      return "'\\r'";
    case '\t':
      return "'\\t'";
    case '\v':
      return "'\\v'";
    default:
      break;
  }
  if (r < 0x20 || r == 0x7F) return absl::StrFormat("'\\x%02x'", r);
  std::string s = "'";
  storage::AppendUtf8(static_cast<uint32_t>(r), &s);
  s += "'";
  return s;
}

void FormatInt(const Value& v, char verb, const Flags& f, std::string* out) {
  const bool is_signed = v.kind == Kind::kInt;
  const uint64_t u = static_cast<uint64_t>(v.i);
  switch (verb) {
    case 'v':
    case 'd':
      FormatInteger(u, 10, is_signed, verb, f, out);
      return;
    case 'b':
      FormatInteger(u, 2, is_signed, verb, f, out);
      return;
    case 'o':
    case 'O':
      FormatInteger(u, 8, is_signed, verb, f, out);
      return;
    case 'x':
    case 'X':
      FormatInteger(u, 16, is_signed, verb, f, out);
      return;
    case 'c': {
      std::string s;
      const int64_t r = v.i;
      storage::AppendUtf8((r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
                              ? 0xFFFD
                              : static_cast<uint32_t>(r),
                          &s);
      Pad(f, s, out);
      return;
    }
    case 'q':
      Pad(f, QuoteRune(v.i), out);
      return;
    case 'U': {
      std::string s = absl::StrFormat("U+%04X", static_cast<uint64_t>(v.i));
      Pad(f, s, out);
      return;
    }
    default:
      BadVerb(v, verb, f, out);
  }
}

// strconv.AppendFloat(v, verb, prec, 64) with an explicit sign ("+1.5", "-2"), as
// fmt.fmtFloat prepares it. prec -1 = shortest.
std::string SignedFloat(double v, char verb, int prec) {
  std::string num;
  if (std::isnan(v)) return "+NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  const bool neg = std::signbit(v);
  const double a = std::fabs(v);
  char buf[512];
  if (prec < 0 && (verb == 'g' || verb == 'G')) {
    num = storage::FormatGoFloat(a);
    if (verb == 'G') {
      for (char& c : num) c = c == 'e' ? 'E' : c;
    }
  } else if (verb == 'x' || verb == 'X') {
    // Go: "0x1.8p+01" (two exponent digits at least); C: "0x1.8p+1".
    if (prec < 0) {
      std::snprintf(buf, sizeof(buf), "%a", a);
    } else {
      std::snprintf(buf, sizeof(buf), "%.*a", std::min(prec, 400), a);
    }
    num = buf;
    const size_t p = num.find('p');
    if (p != std::string::npos && num.size() - p == 3) num.insert(p + 2, "0");
    if (verb == 'X') {
      for (char& c : num) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  } else {
    const char cverb = verb == 'F' ? 'f' : verb;
    const char fmt[] = {'%', '.', '*', cverb, 0};
    // Finite values: C's %.Ne / %.Nf / %.Ng round exactly as Go's strconv does, and C's
    // %g rule (exponent < -4 or >= precision, trailing zeros removed) is Go's.
    std::snprintf(buf, sizeof(buf), fmt, prec < 0 ? 6 : std::min(prec, 400), a);
    num = buf;
  }
  return (neg ? "-" : "+") + num;
}

// fmt.fmtFloat.
void FormatFloatVerb(double v, char verb, int prec, const Flags& f, std::string* out) {
  if (f.prec_present) prec = f.prec;
  std::string num = SignedFloat(v, verb, prec);
  if (f.space && num[0] == '+' && !f.plus) num[0] = ' ';
  if (num[1] == 'I' || num[1] == 'N') {
    Flags g = f;
    g.zero = false;
    if (num[1] == 'N' && !f.space && !f.plus) num.erase(0, 1);
    Pad(g, num, out);
    return;
  }
  if (f.plus || num[0] != '+') {
    if (f.zero && f.wid_present && f.wid > static_cast<int>(num.size())) {
      out->push_back(num[0]);
      WritePadding(f, f.wid - static_cast<int>(num.size()), out);
      out->append(num, 1);
      return;
    }
    Pad(f, num, out);
    return;
  }
  Pad(f, absl::string_view(num).substr(1), out);
}

void FormatFloat(const Value& v, char verb, const Flags& f, std::string* out) {
  switch (verb) {
    case 'v':
      FormatFloatVerb(v.f, 'g', -1, f, out);
      return;
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
      FormatFloatVerb(v.f, verb, -1, f, out);
      return;
    case 'f':
    case 'e':
    case 'E':
    case 'F':
      FormatFloatVerb(v.f, verb, 6, f, out);
      return;
    default:
      BadVerb(v, verb, f, out);
  }
}

void FormatString(const Value& v, char verb, const Flags& f, std::string* out) {
  absl::string_view s = v.s;
  switch (verb) {
    case 'v':
    case 's': {
      if (f.prec_present) {  // precision truncates to that many runes
        size_t i = 0;
        int runes = 0;
        while (i < s.size() && runes < f.prec) {
          ++i;
          while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
          ++runes;
        }
        s = s.substr(0, i);
      }
      Pad(f, s, out);
      return;
    }
    case 'q':
      Pad(f, storage::GoQuote(s), out);
      return;
    case 'x':
    case 'X': {
      const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      std::string h;
      for (size_t i = 0; i < s.size(); ++i) {
        if (f.space && i > 0) h.push_back(' ');
        if (f.sharp && (f.space || i == 0)) h.append(verb == 'X' ? "0X" : "0x");
        const unsigned char c = static_cast<unsigned char>(s[i]);
        h.push_back(digits[c >> 4]);
        h.push_back(digits[c & 15]);
      }
      Pad(f, h, out);
      return;
    }
    default:
      BadVerb(v, verb, f, out);
  }
}

void FormatPointer(const void* p, char verb, const Flags& f, std::string* out) {
  if (p == nullptr) {
    if (verb == 'v') {
      Pad(f, "<nil>", out);
    } else {
      FormatInteger(0, 16, false, 'x', f, out);
    }
    return;
  }
  Pad(f, absl::StrFormat("0x%x", reinterpret_cast<uintptr_t>(p)), out);
}

void FormatLabelMap(const LabelMap* m, char verb, const Flags& f, int depth, std::string* out) {
  out->append("map[");
  bool first = true;
  if (m != nullptr) {
    for (const auto& [k, val] : *m) {
      if (!first) out->push_back(' ');
      first = false;
      FormatValue(Value::String(k), verb, f, depth + 1, out);
      out->push_back(':');
      FormatValue(Value::String(val), verb, f, depth + 1, out);
    }
  }
  out->push_back(']');
}

void FormatValue(const Value& v, char verb, Flags f, int depth, std::string* out) {
  switch (v.kind) {
    case Kind::kInvalid:
    case Kind::kNil:
      if (verb == 'v') {
        Pad(f, "<nil>", out);
      } else {
        BadVerb(v, verb, f, out);
      }
      return;
    case Kind::kBool:
      if (verb == 'v' || verb == 't') {
        Pad(f, v.b ? "true" : "false", out);
      } else {
        BadVerb(v, verb, f, out);
      }
      return;
    case Kind::kInt:
    case Kind::kUint8:
      FormatInt(v, verb, f, out);
      return;
    case Kind::kFloat:
      FormatFloat(v, verb, f, out);
      return;
    case Kind::kString:
    case Kind::kHtml:
      FormatString(v, verb, f, out);
      return;
    case Kind::kLabels:
      FormatLabelMap(v.labels.get(), verb, f, depth, out);
      return;
    case Kind::kArgs: {
      out->append("map[");
      bool first = true;
      if (v.args) {
        for (const auto& [k, val] : *v.args) {
          if (!first) out->push_back(' ');
          first = false;
          FormatValue(Value::String(k), verb, f, depth + 1, out);
          out->push_back(':');
          FormatValue(val, verb, f, depth + 1, out);
        }
      }
      out->push_back(']');
      return;
    }
    case Kind::kQueryResult: {
      // A slice of pointers: Go prints the element addresses, e.g. [0xc000123450].
      out->push_back('[');
      if (v.result) {
        for (size_t i = 0; i < v.result->size(); ++i) {
          if (i > 0) out->push_back(' ');
          FormatPointer((*v.result)[i].get(), verb, f, out);
        }
      }
      out->push_back(']');
      return;
    }
    case Kind::kSample:
      if (depth == 0 && v.sample != nullptr) {
        out->append("&{");
        FormatLabelMap(&v.sample->labels, verb, f, depth + 1, out);
        out->push_back(' ');
        FormatValue(Value::Float(v.sample->value), verb, f, depth + 1, out);
        out->push_back('}');
        return;
      }
      FormatPointer(v.sample.get(), verb, f, out);
      return;
    case Kind::kTime:
      if (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q') {
        FormatString(Value::String(FormatGoTimeUtc(v.i)), verb, f, out);
      } else {
        FormatPointer(&v, verb, f, out);
      }
      return;
    case Kind::kData: {
      const TemplateData* d = v.data;
      out->push_back('{');
      FormatLabelMap(&d->labels, verb, f, depth + 1, out);
      out->push_back(' ');
      FormatLabelMap(&d->external_labels, verb, f, depth + 1, out);
      out->push_back(' ');
      FormatValue(Value::String(d->external_url), verb, f, depth + 1, out);
      out->push_back(' ');
      FormatValue(Value::Float(d->value), verb, f, depth + 1, out);
      out->push_back('}');
      return;
    }
  }
}

// fmt.parsenum: a decimal number at format[i:], capped at 1e6 like Go.
bool ParseNum(absl::string_view format, size_t* i, int* num) {
  size_t j = *i;
  int64_t n = 0;
  while (j < format.size() && format[j] >= '0' && format[j] <= '9') {
    if (n > 1000000) return false;
    n = n * 10 + (format[j] - '0');
    ++j;
  }
  if (j == *i) return false;
  *num = static_cast<int>(n);
  *i = j;
  return true;
}

// fmt.intFromArg: the int operand of a '*' width or precision.
bool IntFromArg(absl::Span<const Value> args, size_t* arg_num, int* num) {
  if (*arg_num >= args.size()) return false;
  const Value& a = args[*arg_num];
  ++*arg_num;
  if (a.kind != Kind::kInt && a.kind != Kind::kUint8) return false;
  if (a.i > 1000000 || a.i < -1000000) return false;
  *num = static_cast<int>(a.i);
  return true;
}

bool IsStringArg(const Value& v) { return v.is_string_kind(); }

}  // namespace

bool AppendSprint(absl::Span<const Value> args, std::string* out) {
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (out->size() > kMaxStringBytes) return false;
    const bool is_string = IsStringArg(args[i]);
    if (i > 0 && !is_string && !prev_string) out->push_back(' ');
    FormatValue(args[i], 'v', Flags(), 0, out);
    prev_string = is_string;
  }
  return out->size() <= kMaxStringBytes;
}

bool AppendSprintln(absl::Span<const Value> args, std::string* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (out->size() > kMaxStringBytes) return false;
    if (i > 0) out->push_back(' ');
    FormatValue(args[i], 'v', Flags(), 0, out);
  }
  out->push_back('\n');
  return out->size() <= kMaxStringBytes;
}

bool AppendSprintf(absl::string_view format, absl::Span<const Value> args, std::string* out) {
  size_t arg_num = 0;
  size_t i = 0;
  const size_t end = format.size();
  while (i < end) {
    if (out->size() > kMaxStringBytes) return false;
    const size_t last = i;
    while (i < end && format[i] != '%') ++i;
    absl::StrAppend(out, format.substr(last, i - last));
    if (i >= end) break;
    ++i;  // skip '%'
    Flags f;
    for (; i < end; ++i) {
      const char c = format[i];
      if (c == '#') {
        f.sharp = true;
      } else if (c == '0') {
        f.zero = !f.minus;
      } else if (c == '+') {
        f.plus = true;
      } else if (c == '-') {
        f.minus = true;
        f.zero = false;
      } else if (c == ' ') {
        f.space = true;
      } else {
        break;
      }
    }
    if (i < end && format[i] == '*') {
      ++i;
      f.wid_present = IntFromArg(args, &arg_num, &f.wid);
      if (!f.wid_present) out->append("%!(BADWIDTH)");
      if (f.wid < 0) {
        f.wid = -f.wid;
        f.minus = true;
        f.zero = false;
      }
    } else {
      f.wid_present = ParseNum(format, &i, &f.wid);
    }
    if (i + 1 < end && format[i] == '.') {
      ++i;
      if (format[i] == '*') {
        ++i;
        f.prec_present = IntFromArg(args, &arg_num, &f.prec);
        if (f.prec < 0) {
          f.prec = 0;
          f.prec_present = false;
        }
        if (!f.prec_present) out->append("%!(BADPREC)");
      } else {
        f.prec_present = true;
        if (!ParseNum(format, &i, &f.prec)) f.prec = 0;
      }
    }
    if (i >= end) {
      out->append("%!(NOVERB)");
      break;
    }
    // Verbs are ASCII in practice; a multi-byte verb is reported with its first byte.
    const char verb = format[i];
    ++i;
    if (verb == '%') {
      out->push_back('%');  // absorbs no operand, ignores width and precision
      continue;
    }
    if (arg_num >= args.size()) {
      out->append("%!");
      out->push_back(verb);
      out->append("(MISSING)");
      continue;
    }
    if (verb == 'v') f.plus = false;  // '+' on %v selects field names, not a sign
    FormatValue(args[arg_num], verb, f, 0, out);
    ++arg_num;
  }
  if (arg_num < args.size()) {
    out->append("%!(EXTRA ");
    for (size_t k = arg_num; k < args.size(); ++k) {
      if (k > arg_num) out->append(", ");
      const Value& a = args[k];
      if (a.kind == Kind::kInvalid || a.kind == Kind::kNil) {
        out->append("<nil>");
      } else {
        out->append(TypeName(a));
        out->push_back('=');
        FormatValue(a, 'v', Flags(), 0, out);
      }
    }
    out->push_back(')');
  }
  return out->size() <= kMaxStringBytes;
}

std::string SprintValue(const Value& v) {
  std::string out;
  FormatValue(v, 'v', Flags(), 0, &out);
  return out;
}

std::string FormatG(double v, int precision) {
  Flags f;
  f.prec_present = true;
  f.prec = precision;
  std::string out;
  FormatFloatVerb(v, 'g', precision, f, &out);
  return out;
}

}  // namespace tally::rules::tmpl
