#include "server/api/params.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/ingest/go_float.h"
#include "storage/model/labels.h"
#include "storage/util/duration.h"

namespace tally::server::api {
namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string UrlDecode(absl::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && HexVal(s[i + 1]) >= 0 && HexVal(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseUrlEncoded(absl::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  if (s.empty()) return out;
  for (absl::string_view part : absl::StrSplit(s, absl::ByAnyChar("&"))) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      out.emplace_back(UrlDecode(part, true), "");
    } else {
      out.emplace_back(UrlDecode(part.substr(0, eq), true), UrlDecode(part.substr(eq + 1), true));
    }
  }
  return out;
}

RequestParams::RequestParams(const http::HttpRequest& req) {
  url_ = ParseUrlEncoded(req.query);
  if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    absl::string_view ct = req.Header("content-type");
    if (absl::StartsWithIgnoreCase(absl::StripAsciiWhitespace(ct),
                                   "application/x-www-form-urlencoded")) {
      body_ = ParseUrlEncoded(req.body);
    }
  }
}

std::optional<std::string> RequestParams::Get(absl::string_view key) const {
  for (const auto& [k, v] : body_) {
    if (k == key) return v;
  }
  for (const auto& [k, v] : url_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string RequestParams::GetOr(absl::string_view key, absl::string_view dflt) const {
  std::optional<std::string> v = Get(key);
  return v ? *v : std::string(dflt);
}

std::vector<std::string> RequestParams::GetAll(absl::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : body_) {
    if (k == key) out.push_back(v);
  }
  for (const auto& [k, v] : url_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

absl::StatusOr<int64_t> ParseTimeMs(absl::string_view s) {
  double f;
  if (storage::ParseGoFloat(s, &f) && std::isfinite(f)) {
    double sec;
    double frac = std::modf(f, &sec);
    // Prometheus compat: the fraction is rounded half away from zero to ms on the binary
    // value (api.go parseTime: math.Round(ns*1000)/1000).
    double ms_frac = std::round(frac * 1000);
    if (std::fabs(sec) < 9.2e15) {
      return static_cast<int64_t>(sec) * 1000 + static_cast<int64_t>(ms_frac);
    }
  } else {
    // Prometheus compat: the sentinels Go clients send for "unbounded".
    if (s == "-292273086-05-16T16:47:06Z") return kApiMinTimeMs;
    if (s == "292277025-08-18T07:12:54.999999999Z") return kApiMaxTimeMs;
    absl::Time t;
    std::string err;
    if (s.size() >= 20 && s[4] == '-' && s[10] == 'T' &&
        absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
      // Extra fraction digits are truncated to ms.
      return absl::ToUnixMillis(t);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot parse ", storage::GoQuote(s), " to a valid timestamp"));
}

absl::StatusOr<absl::Duration> ParseDurationParam(absl::string_view s) {
  double f;
  if (storage::ParseGoFloat(s, &f)) {
    double ns = f * 1e9;
    if (std::isnan(ns) || ns >= 9.223372036854775807e18 || ns < -9.223372036854775808e18) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot parse ", storage::GoQuote(s), " to a valid duration. It overflows int64"));
    }
    return absl::Nanoseconds(static_cast<int64_t>(ns));
  }
  absl::StatusOr<int64_t> ms = storage::ParseDurationMs(s);
  if (ms.ok()) return absl::Milliseconds(*ms);
  return absl::InvalidArgumentError(
      absl::StrCat("cannot parse ", storage::GoQuote(s), " to a valid duration"));
}

}  // namespace tally::server::api
