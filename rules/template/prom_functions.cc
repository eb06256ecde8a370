// Prometheus 2.42's template functions (template/template.go): number humanizing, time
// and duration conversion, string helpers, regexps and the query functions.
#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rules/template/functions.h"
#include "rules/template/go_fmt.h"
#include "rules/template/go_regexp.h"
#include "rules/template/go_strings.h"
#include "rules/template/go_time.h"
#include "storage/ingest/go_float.h"
#include "storage/model/labels.h"
#include "storage/util/duration.h"

namespace tally::rules::tmpl {
namespace {

absl::Status Err(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

// Prometheus's convertToFloat: float64, string (strconv.ParseFloat), integers.
absl::StatusOr<double> ConvertToFloat(const Value& v) {
  switch (v.kind) {
    case Kind::kFloat:
      return v.f;
    case Kind::kInt:
    case Kind::kUint8:
      return static_cast<double>(v.i);
    case Kind::kString: {
      double f = 0;
      if (storage::ParseGoFloat(v.s, &f)) return f;
      // ParseGoFloat rejects overflow too; Go names that case "value out of range".
      std::string copy = v.s;
      char* end = nullptr;
      const double d = std::strtod(copy.c_str(), &end);
      const bool range = !copy.empty() && end == copy.c_str() + copy.size() && std::isinf(d) &&
                         copy.find_first_of("iInN") == std::string::npos;
      return Err(absl::StrCat("strconv.ParseFloat: parsing ", storage::GoQuote(v.s), ": ",
                              range ? "value out of range" : "invalid syntax"));
    }
    default:
      return Err(absl::StrCat("can't convert ", TypeName(v), " to float"));
  }
}

using Impl = absl::StatusOr<Value> (*)(const CallContext&, std::vector<Value>&);

// Dereferencing nil (a nil *sample, an unset query function) panics in Go;
// text/template reports the runtime error as the call's error.
constexpr absl::string_view kNilDeref =
    "runtime error: invalid memory address or nil pointer dereference";

absl::StatusOr<Value> Humanize(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<double> f = ConvertToFloat(a[0]);
  if (!f.ok()) return f.status();
  double v = *f;
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Value::String(FormatG(v, 4));
  const char* prefix = "";
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return Value::String(FormatG(v, 4) + prefix);
}

absl::StatusOr<Value> Humanize1024(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<double> f = ConvertToFloat(a[0]);
  if (!f.ok()) return f.status();
  double v = *f;
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Value::String(FormatG(v, 4));
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Value::String(FormatG(v, 4) + prefix);
}

absl::StatusOr<Value> HumanizeDuration(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<double> f = ConvertToFloat(a[0]);
  if (!f.ok()) return f.status();
  double v = *f;
  if (std::isnan(v) || std::isinf(v)) return Value::String(FormatG(v, 4));
  if (v == 0) return Value::String(FormatG(v, 4) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    // Go's int64(v) yields the minimum int64 for out-of-range values on amd64.
    const int64_t duration = v >= 9.223372036854775807e18 ? INT64_MIN : static_cast<int64_t>(v);
    const int64_t seconds = duration % 60;
    const int64_t minutes = (duration / 60) % 60;
    const int64_t hours = (duration / 60 / 60) % 24;
    const int64_t days = duration / 60 / 60 / 24;
    if (days != 0) {
      return Value::String(
          absl::StrFormat("%s%dd %dh %dm %ds", sign, days, hours, minutes, seconds));
    }
    if (hours != 0) {
      return Value::String(absl::StrFormat("%s%dh %dm %ds", sign, hours, minutes, seconds));
    }
    if (minutes != 0) return Value::String(absl::StrFormat("%s%dm %ds", sign, minutes, seconds));
    return Value::String(sign + FormatG(v, 4) + "s");
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(FormatG(v, 4) + prefix + "s");
}

absl::StatusOr<Value> HumanizePercentage(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<double> f = ConvertToFloat(a[0]);
  if (!f.ok()) return f.status();
  return Value::String(FormatG(*f * 100, 4) + "%");
}

// Prometheus's floatToTime: seconds -> nanoseconds -> model.Time (milliseconds, truncated).
absl::StatusOr<int64_t> FloatToTimeMs(double v) {
  const double ns = v * 1e9;
  if (ns > 9.223372036854775807e18 || ns < -9.223372036854775808e18) {
    return Err(absl::StrCat(SprintValue(Value::Float(v)),
                            " cannot be represented as a nanoseconds timestamp since it "
                            "overflows int64"));
  }
  const int64_t ins = ns >= 9.223372036854775807e18 ? INT64_MIN : static_cast<int64_t>(ns);
  return ins / 1000000;
}

absl::StatusOr<Value> HumanizeTimestamp(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<double> f = ConvertToFloat(a[0]);
  if (!f.ok()) return f.status();
  if (std::isnan(*f) || std::isinf(*f)) return Value::String(FormatG(*f, 4));
  absl::StatusOr<int64_t> ms = FloatToTimeMs(*f);
  if (!ms.ok()) return ms.status();
  return Value::String(FormatGoTimeUtc(*ms));
}

absl::StatusOr<Value> ToTime(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<double> f = ConvertToFloat(a[0]);
  if (!f.ok()) return f.status();
  if (std::isnan(*f) || std::isinf(*f)) return Err("value is NaN or Inf");
  absl::StatusOr<int64_t> ms = FloatToTimeMs(*f);
  if (!ms.ok()) return ms.status();
  Value t;
  t.kind = Kind::kTime;
  t.i = *ms;
  return t;
}

absl::StatusOr<Value> ParseDuration(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<int64_t> ms = storage::ParseDurationMs(a[0].s);
  if (!ms.ok()) return Err(ms.status().message());
  return Value::Float(static_cast<double>(*ms) / 1000.0);
}

absl::StatusOr<Value> Query(const CallContext& ctx, std::vector<Value>& a) {
  // Prometheus calls its QueryFunc unchecked; a missing one is a nil-function panic.
  if (!ctx.data->query) return Err(kNilDeref);
  absl::StatusOr<promql::Vector> vec = ctx.data->query(a[0].s, ctx.data->eval_time_ms);
  if (!vec.ok()) return Err(vec.status().message());
  auto result = std::make_shared<QueryResult>();
  result->reserve(vec->size());
  for (const promql::VectorSample& s : *vec) {
    auto sample = std::make_shared<Sample>();
    for (const auto& l : s.metric) sample->labels.emplace(l.name, l.value);
    sample->value = s.v;
    result->push_back(std::move(sample));
  }
  return Value::OfResult(std::move(result));
}

absl::StatusOr<Value> First(const CallContext&, std::vector<Value>& a) {
  if (a[0].result && !a[0].result->empty()) return Value::OfSample((*a[0].result)[0]);
  return Err("first() called on vector with no elements");
}

absl::StatusOr<Value> Label(const CallContext&, std::vector<Value>& a) {
  if (!a[1].sample) return Err(kNilDeref);
  auto it = a[1].sample->labels.find(a[0].s);
  return Value::String(it == a[1].sample->labels.end() ? std::string() : it->second);
}

absl::StatusOr<Value> SampleValue(const CallContext&, std::vector<Value>& a) {
  if (!a[0].sample) return Err(kNilDeref);
  return Value::Float(a[0].sample->value);
}

absl::StatusOr<Value> StrValue(const CallContext&, std::vector<Value>& a) {
  if (!a[0].sample) return Err(kNilDeref);
  auto it = a[0].sample->labels.find("__value__");
  return Value::String(it == a[0].sample->labels.end() ? std::string() : it->second);
}

absl::StatusOr<Value> SortByLabel(const CallContext&, std::vector<Value>& a) {
  auto sorted = std::make_shared<QueryResult>();
  if (a[1].result) *sorted = *a[1].result;
  const std::string& label = a[0].s;
  for (const SamplePtr& s : *sorted) {
    if (!s) return Err(kNilDeref);
  }
  std::stable_sort(sorted->begin(), sorted->end(), [&](const SamplePtr& x, const SamplePtr& y) {
    auto xi = x->labels.find(label);
    auto yi = y->labels.find(label);
    const std::string& xv = xi == x->labels.end() ? std::string() : xi->second;
    const std::string& yv = yi == y->labels.end() ? std::string() : yi->second;
    return xv < yv;
  });
  return Value::OfResult(std::move(sorted));
}

absl::StatusOr<Value> Args(const CallContext&, std::vector<Value>& a) {
  auto m = std::make_shared<ArgMap>();
  for (size_t i = 0; i < a.size(); ++i) m->emplace(absl::StrCat("arg", i), a[i]);
  Value v;
  v.kind = Kind::kArgs;
  v.args = std::move(m);
  return v;
}

absl::StatusOr<Value> ReReplaceAll(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<std::string> s = GoRegexpReplaceAll(a[0].s, a[1].s, a[2].s);
  if (!s.ok()) return s.status();
  return Value::String(*std::move(s));
}

absl::StatusOr<Value> Match(const CallContext&, std::vector<Value>& a) {
  absl::StatusOr<bool> m = GoRegexpMatch(a[0].s, a[1].s);
  if (!m.ok()) return m.status();
  return Value::Bool(*m);
}

bool IsAsciiAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

absl::StatusOr<Value> Title(const CallContext&, std::vector<Value>& a) {
  return Value::String(GoTitle(a[0].s));
}

absl::StatusOr<Value> ToUpper(const CallContext&, std::vector<Value>& a) {
  return Value::String(GoToUpper(a[0].s));
}

absl::StatusOr<Value> ToLower(const CallContext&, std::vector<Value>& a) {
  return Value::String(GoToLower(a[0].s));
}

absl::StatusOr<Value> SafeHtml(const CallContext&, std::vector<Value>& a) {
  return Value::String(a[0].s, Kind::kHtml);
}

// net.SplitHostPort; false on any of its errors.
bool SplitHostPort(absl::string_view hp, std::string* host, std::string* port) {
  const size_t i = hp.rfind(':');
  if (i == absl::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    const size_t end = hp.find(']');
    if (end == absl::string_view::npos) return false;
    if (end + 1 == hp.size()) return false;
    if (end + 1 != i) return false;
    *host = std::string(hp.substr(1, end - 1));
    j = 1;
    k = end + 1;
  } else {
    *host = std::string(hp.substr(0, i));
    if (host->find(':') != std::string::npos) return false;
  }
  if (hp.substr(j).find('[') != absl::string_view::npos) return false;
  if (hp.substr(k).find(']') != absl::string_view::npos) return false;
  *port = std::string(hp.substr(i + 1));
  return true;
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

absl::StatusOr<Value> StripPort(const CallContext&, std::vector<Value>& a) {
  std::string host, port;
  if (!SplitHostPort(a[0].s, &host, &port)) return Value::String(a[0].s);
  return Value::String(host);
}

absl::StatusOr<Value> StripDomain(const CallContext&, std::vector<Value>& a) {
  std::string host, port;
  if (!SplitHostPort(a[0].s, &host, &port)) {
    host = a[0].s;
    port.clear();
  }
  if (IsIp(host)) return Value::String(a[0].s);
  host = host.substr(0, host.find('.'));
  if (!port.empty()) {
    // net.JoinHostPort brackets hosts that contain a colon.
    if (host.find(':') != std::string::npos)
      return Value::String(absl::StrCat("[", host, "]:", port));
    return Value::String(absl::StrCat(host, ":", port));
  }
  return Value::String(host);
}

// The path of the external URL (url.URL.Path): after scheme://authority, before ?/#.
std::string UrlPath(absl::string_view url) {
  size_t p = url.find("://");
  p = p == absl::string_view::npos ? 0 : url.find('/', p + 3);
  if (p == absl::string_view::npos) return "";
  absl::string_view path = url.substr(p);
  path = path.substr(0, path.find_first_of("?#"));
  return std::string(path);
}

absl::StatusOr<Value> PathPrefix(const CallContext& ctx, std::vector<Value>&) {
  return Value::String(UrlPath(ctx.data->external_url));
}

absl::StatusOr<Value> ExternalUrl(const CallContext& ctx, std::vector<Value>&) {
  return Value::String(ctx.data->external_url);
}

std::string QueryEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (IsAsciiAlnum(c) || c == '-' || c == '.' || c == '~') {
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

absl::StatusOr<Value> GraphLink(const CallContext&, std::vector<Value>& a) {
  return Value::String(absl::StrCat("/graph?g0.expr=", QueryEscape(a[0].s), "&g0.tab=0"));
}

absl::StatusOr<Value> TableLink(const CallContext&, std::vector<Value>& a) {
  return Value::String(absl::StrCat("/graph?g0.expr=", QueryEscape(a[0].s), "&g0.tab=1"));
}

}  // namespace

void AddPrometheusFunctions(std::vector<Function>* t) {
  using P = Param;
  auto add = [t](absl::string_view name, std::vector<Param> params, Impl f, bool variadic = false) {
    t->push_back(Function{name, std::move(params), variadic, false, f});
  };
  add("query", {P::kString}, Query);
  add("first", {P::kQueryResult}, First);
  add("label", {P::kString, P::kSample}, Label);
  add("value", {P::kSample}, SampleValue);
  add("strvalue", {P::kSample}, StrValue);
  add("args", {P::kAny}, Args, /*variadic=*/true);
  add("reReplaceAll", {P::kString, P::kString, P::kString}, ReReplaceAll);
  add("safeHtml", {P::kString}, SafeHtml);
  add("match", {P::kString, P::kString}, Match);
  add("title", {P::kString}, Title);
  add("toUpper", {P::kString}, ToUpper);
  add("toLower", {P::kString}, ToLower);
  add("graphLink", {P::kString}, GraphLink);
  add("tableLink", {P::kString}, TableLink);
  add("sortByLabel", {P::kString, P::kQueryResult}, SortByLabel);
  add("humanize", {P::kAny}, Humanize);
  add("humanize1024", {P::kAny}, Humanize1024);
  add("humanizeDuration", {P::kAny}, HumanizeDuration);
  add("humanizePercentage", {P::kAny}, HumanizePercentage);
  add("humanizeTimestamp", {P::kAny}, HumanizeTimestamp);
  add("toTime", {P::kAny}, ToTime);
  add("pathPrefix", {}, PathPrefix);
  add("externalURL", {}, ExternalUrl);
  add("parseDuration", {P::kString}, ParseDuration);
  add("stripPort", {P::kString}, StripPort);
  add("stripDomain", {P::kString}, StripDomain);
}

}  // namespace tally::rules::tmpl
