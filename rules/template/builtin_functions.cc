// Go text/template's predefined functions (text/template/funcs.go, Go 1.19).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/template/functions.h"
#include "rules/template/go_fmt.h"

namespace tally::rules::tmpl {
namespace {

absl::Status Err(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

// text/template's evalArgs for html/js/urlquery: one string as is, else fmt.Sprint with
// pointers dereferenced and missing values as "<no value>".
std::string EvalArgs(std::vector<Value>& args) {
  if (args.size() == 1 && args[0].kind == Kind::kString) return args[0].s;
  std::vector<Value> printable;
  printable.reserve(args.size());
  for (const Value& a : args) {
    if (a.kind == Kind::kInvalid || a.kind == Kind::kNil) {
      printable.push_back(Value::String("<no value>"));
    } else {
      printable.push_back(a);
    }
  }
  std::string s;
  if (!AppendSprint(printable, &s)) s.resize(kMaxStringBytes + 1);  // the executor rejects it
  return s;
}

absl::Status TooLong() { return Err(absl::StrCat("result exceeds ", kMaxStringBytes, " bytes")); }

// template.HTMLEscapeString.
std::string HtmlEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// template.JSEscapeString (non-ASCII runes are kept; Go escapes unprintable ones too).
std::string JsEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '<':
        out += "\\u003C";
        break;
      case '>':
        out += "\\u003E";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '=':
        out += "\\u003D";
        break;
      default:
        if (c < ' ') {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  return out;
}

// url.QueryEscape.
std::string QueryEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// text/template's basicKind.
enum class BasicKind { kInvalid, kBool, kInt, kUint, kFloat, kString };
BasicKind Basic(const Value& v) {
  switch (v.kind) {
    case Kind::kBool:
      return BasicKind::kBool;
    case Kind::kInt:
      return BasicKind::kInt;
    case Kind::kUint8:
      return BasicKind::kUint;
    case Kind::kFloat:
      return BasicKind::kFloat;
    case Kind::kString:
    case Kind::kHtml:
      return BasicKind::kString;
    default:
      return BasicKind::kInvalid;
  }
}

constexpr absl::string_view kBadComparison = "incompatible types for comparison";
constexpr absl::string_view kBadComparisonType = "invalid type for comparison";

absl::StatusOr<bool> Eq(const Value& a, absl::Span<const Value> others) {
  if (others.empty()) return Err("missing argument for comparison");
  const BasicKind k1 = Basic(a);
  for (const Value& b : others) {
    const BasicKind k2 = Basic(b);
    bool truth = false;
    if (k1 != k2) {
      if (k1 == BasicKind::kInt && k2 == BasicKind::kUint) {
        truth = a.i >= 0 && a.i == b.i;
      } else if (k1 == BasicKind::kUint && k2 == BasicKind::kInt) {
        truth = b.i >= 0 && a.i == b.i;
      } else if (a.valid() && a.kind != Kind::kNil && b.valid() && b.kind != Kind::kNil) {
        return Err(kBadComparison);
      }
    } else {
      switch (k1) {
        case BasicKind::kBool:
          truth = a.b == b.b;
          break;
        case BasicKind::kInt:
        case BasicKind::kUint:
          truth = a.i == b.i;
          break;
        case BasicKind::kFloat:
          truth = a.f == b.f;
          break;
        case BasicKind::kString:
          truth = a.s == b.s;
          break;
        case BasicKind::kInvalid: {
          const bool a_nil =
              !a.valid() || a.kind == Kind::kNil || (a.kind == Kind::kSample && !a.sample);
          const bool b_nil =
              !b.valid() || b.kind == Kind::kNil || (b.kind == Kind::kSample && !b.sample);
          if (a_nil || b_nil) {
            truth = a_nil == b_nil;
          } else if (a.kind == Kind::kSample && b.kind == Kind::kSample) {
            truth = a.sample == b.sample;
          } else if (a.kind == b.kind) {
            return Err(absl::StrCat("non-comparable type ", SprintValue(b), ": ", TypeName(b)));
          } else {
            return Err(kBadComparison);
          }
          break;
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

absl::StatusOr<bool> Lt(const Value& a, const Value& b) {
  const BasicKind k1 = Basic(a);
  if (k1 == BasicKind::kInvalid) return Err(kBadComparisonType);
  const BasicKind k2 = Basic(b);
  if (k2 == BasicKind::kInvalid) return Err(kBadComparisonType);
  if (k1 != k2) {
    if (k1 == BasicKind::kInt && k2 == BasicKind::kUint) return a.i < 0 || a.i < b.i;
    if (k1 == BasicKind::kUint && k2 == BasicKind::kInt) return b.i >= 0 && a.i < b.i;
    return Err(kBadComparison);
  }
  switch (k1) {
    case BasicKind::kBool:
      return Err(kBadComparisonType);
    case BasicKind::kFloat:
      return a.f < b.f;
    case BasicKind::kInt:
    case BasicKind::kUint:
      return a.i < b.i;
    case BasicKind::kString:
      return a.s < b.s;
    default:
      return Err(kBadComparisonType);
  }
}

absl::StatusOr<bool> Le(const Value& a, const Value& b) {
  absl::StatusOr<bool> lt = Lt(a, b);
  if (!lt.ok() || *lt) return lt;
  return Eq(a, absl::MakeConstSpan(&b, 1));
}

// text/template's index: maps by key, slices and strings by int.
absl::StatusOr<Value> Index(const Value& item_in, absl::Span<const Value> indexes) {
  Value item = item_in;
  if (!item.valid() || item.kind == Kind::kNil) return Err("index of untyped nil");
  for (const Value& index : indexes) {
    if (item.kind == Kind::kSample && !item.sample) return Err("index of nil pointer");
    auto int_index = [&](size_t len) -> absl::StatusOr<int64_t> {
      if (index.kind == Kind::kInt || index.kind == Kind::kUint8) {
        if (index.i < 0 || index.i > static_cast<int64_t>(len)) {
          return Err(absl::StrCat("index out of range: ", index.i));
        }
        return index.i;
      }
      if (!index.valid() || index.kind == Kind::kNil)
        return Err("cannot index slice/array with nil");
      return Err(absl::StrCat("cannot index slice/array with type ", TypeName(index)));
    };
    auto string_key = [&](absl::string_view type) -> absl::StatusOr<std::string> {
      if (index.kind == Kind::kString) return index.s;
      if (!index.valid() || index.kind == Kind::kNil) {
        return Err(absl::StrCat("value is nil; should be of type ", type));
      }
      return Err(absl::StrCat("value has type ", TypeName(index), "; should be ", type));
    };
    switch (item.kind) {
      case Kind::kString:
      case Kind::kHtml: {
        absl::StatusOr<int64_t> x = int_index(item.s.size());
        if (!x.ok()) return x.status();
        // Go's reflect panics one past the end; text/template reports the panic.
        if (*x == static_cast<int64_t>(item.s.size()))
          return Err("reflect: string index out of range");
        Value b;
        b.kind = Kind::kUint8;
        b.i = static_cast<unsigned char>(item.s[*x]);
        item = b;
        break;
      }
      case Kind::kQueryResult: {
        const size_t n = item.result ? item.result->size() : 0;
        absl::StatusOr<int64_t> x = int_index(n);
        if (!x.ok()) return x.status();
        if (*x == static_cast<int64_t>(n)) return Err("reflect: slice index out of range");
        item = Value::OfSample((*item.result)[*x]);
        break;
      }
      case Kind::kLabels: {
        absl::StatusOr<std::string> k = string_key("string");
        if (!k.ok()) return k.status();
        auto it = item.labels->find(*k);
        item = Value::String(it == item.labels->end() ? std::string() : it->second);
        break;
      }
      case Kind::kArgs: {
        absl::StatusOr<std::string> k = string_key("string");
        if (!k.ok()) return k.status();
        auto it = item.args->find(*k);
        item = it == item.args->end() ? Value::Nil() : it->second;
        break;
      }
      case Kind::kSample:
        return Err("can't index item of type template.sample");  // after indirection
      default:
        return Err(absl::StrCat("can't index item of type ", TypeName(item)));
    }
  }
  return item;
}

absl::StatusOr<Value> Len(const Value& v) {
  switch (v.kind) {
    case Kind::kString:
    case Kind::kHtml:
      return Value::Int(static_cast<int64_t>(v.s.size()));
    case Kind::kLabels:
      return Value::Int(static_cast<int64_t>(v.labels->size()));
    case Kind::kArgs:
      return Value::Int(static_cast<int64_t>(v.args->size()));
    case Kind::kQueryResult:
      return Value::Int(v.result ? static_cast<int64_t>(v.result->size()) : 0);
    case Kind::kSample:
      if (!v.sample) return Err("len of nil pointer");
      return Err("len of type template.sample");
    case Kind::kInvalid:
    case Kind::kNil:
      // Go asks the invalid reflect.Value for its type and panics.
      return Err("reflect: call of reflect.Value.Type on zero Value");
    default:
      return Err(absl::StrCat("len of type ", TypeName(v)));
  }
}

}  // namespace

void AddBuiltinFunctions(std::vector<Function>* t) {
  using P = Param;
  auto add = [t](absl::string_view name, std::vector<Param> params, bool variadic, FuncImpl f) {
    t->push_back(Function{name, std::move(params), variadic, true, std::move(f)});
  };
  // and/or are evaluated by the executor (they short-circuit); the impl is never called.
  add("and", {P::kReflect, P::kReflect}, true, nullptr);
  add("or", {P::kReflect, P::kReflect}, true, nullptr);
  add("not", {P::kReflect}, false,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        return Value::Bool(!IsTrue(a[0]));
      });
  add("len", {P::kReflect}, false,
      [](const CallContext&, std::vector<Value>& a) { return Len(a[0]); });
  add("index", {P::kReflect, P::kReflect}, true, [](const CallContext&, std::vector<Value>& a) {
    return Index(a[0], absl::MakeConstSpan(a).subspan(1));
  });
  add("print", {P::kAny}, true,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        std::string s;
        if (!AppendSprint(a, &s)) return TooLong();
        return Value::String(std::move(s));
      });
  add("println", {P::kAny}, true,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        std::string s;
        if (!AppendSprintln(a, &s)) return TooLong();
        return Value::String(std::move(s));
      });
  add("printf", {P::kString, P::kAny}, true,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        std::string s;
        if (!AppendSprintf(a[0].s, absl::MakeConstSpan(a).subspan(1), &s)) return TooLong();
        return Value::String(std::move(s));
      });
  add("html", {P::kAny}, true,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        return Value::String(HtmlEscape(EvalArgs(a)));
      });
  add("js", {P::kAny}, true,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        return Value::String(JsEscape(EvalArgs(a)));
      });
  add("urlquery", {P::kAny}, true,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        return Value::String(QueryEscape(EvalArgs(a)));
      });
  add("eq", {P::kReflect, P::kReflect}, true,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        absl::StatusOr<bool> r = Eq(a[0], absl::MakeConstSpan(a).subspan(1));
        if (!r.ok()) return r.status();
        return Value::Bool(*r);
      });
  add("ne", {P::kReflect, P::kReflect}, false,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        absl::StatusOr<bool> r = Eq(a[0], absl::MakeConstSpan(&a[1], 1));
        if (!r.ok()) return r.status();
        return Value::Bool(!*r);
      });
  add("lt", {P::kReflect, P::kReflect}, false,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        absl::StatusOr<bool> r = Lt(a[0], a[1]);
        if (!r.ok()) return r.status();
        return Value::Bool(*r);
      });
  add("le", {P::kReflect, P::kReflect}, false,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        absl::StatusOr<bool> r = Le(a[0], a[1]);
        if (!r.ok()) return r.status();
        return Value::Bool(*r);
      });
  add("gt", {P::kReflect, P::kReflect}, false,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        absl::StatusOr<bool> r = Le(a[0], a[1]);
        if (!r.ok()) return r.status();
        return Value::Bool(!*r);
      });
  add("ge", {P::kReflect, P::kReflect}, false,
      [](const CallContext&, std::vector<Value>& a) -> absl::StatusOr<Value> {
        absl::StatusOr<bool> r = Lt(a[0], a[1]);
        if (!r.ok()) return r.status();
        return Value::Bool(!*r);
      });
}

}  // namespace tally::rules::tmpl
