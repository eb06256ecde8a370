#include "rules/lint/series_notation.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"
#include "rules/rule_file.h"
#include "storage/ingest/go_float.h"
#include "storage/model/sample.h"

namespace tally::rules {
namespace {

absl::Status ParseError(int col, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("1:", col, ": parse error: ", msg));
}

bool ParseNumber(absl::string_view s, double* out) {
  absl::string_view body = s;
  double sign = 1;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    sign = body[0] == '-' ? -1 : 1;
    body.remove_prefix(1);
  }
  const std::string lower = absl::AsciiStrToLower(body);
  if (lower == "inf") {
    *out = sign * HUGE_VAL;
    return true;
  }
  if (lower == "nan") {
    *out = std::nan("");
    return true;
  }
  // No hexadecimal here: in series values "0x5" is the times notation (0 repeated).
  if (absl::StartsWith(lower, "0x")) return false;
  double v = 0;
  if (!storage::ParseGoFloat(body, &v)) return false;
  *out = sign * v;
  return true;
}

// Go string literal body after the opening quote; *pos is advanced past the closing quote.
absl::StatusOr<std::string> Unquote(absl::string_view s, size_t* pos) {
  const char q = s[*pos];
  std::string out;
  size_t i = *pos + 1;
  for (; i < s.size() && s[i] != q; ++i) {
    char c = s[i];
    if (c == '\\' && q != '`' && i + 1 < s.size()) {
      c = s[++i];
      switch (c) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        default: out.push_back(c);
      }
      continue;
    }
    out.push_back(c);
  }
  if (i >= s.size()) return ParseError(static_cast<int>(*pos) + 1, "unterminated quoted string");
  *pos = i + 1;
  return out;
}

}  // namespace

absl::StatusOr<storage::Labels> ParseMetric(absl::string_view text) {
  std::vector<storage::Label> ls;
  size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && absl::ascii_isspace(text[i])) ++i;
  };
  auto ident = [&](bool metric) {
    size_t start = i;
    while (i < text.size() && (absl::ascii_isalnum(text[i]) || text[i] == '_' ||
                               (metric && text[i] == ':'))) {
      ++i;
    }
    return std::string(text.substr(start, i - start));
  };
  skip();
  std::string name = ident(true);
  if (!name.empty()) ls.push_back({"__name__", name});
  skip();
  if (i < text.size() && text[i] == '{') {
    ++i;
    while (true) {
      skip();
      if (i < text.size() && text[i] == '}') {
        ++i;
        break;
      }
      std::string ln = ident(false);
      if (ln.empty()) {
        if (i >= text.size()) {
          return ParseError(static_cast<int>(i) + 1, "unexpected end of input inside braces");
        }
        return ParseError(static_cast<int>(i) + 1,
                          absl::StrCat("unexpected character inside braces: '",
                                       text.substr(i, 1), "'"));
      }
      skip();
      if (i >= text.size() || text[i] != '=') {
        return ParseError(static_cast<int>(i) + 1, "expected \"=\" after label name");
      }
      ++i;
      skip();
      if (i >= text.size() || (text[i] != '"' && text[i] != '\'' && text[i] != '`')) {
        return ParseError(static_cast<int>(i) + 1, "expected label value string");
      }
      absl::StatusOr<std::string> v = Unquote(text, &i);
      if (!v.ok()) return v.status();
      ls.push_back({ln, *std::move(v)});
      skip();
      if (i < text.size() && text[i] == ',') {
        ++i;
      } else if (i < text.size() && text[i] != '}') {
        return ParseError(static_cast<int>(i) + 1,
                          absl::StrCat("unexpected character inside braces: '",
                                       text.substr(i, 1), "'"));
      }
    }
  }
  skip();
  if (i != text.size() || (name.empty() && text.find('{') == absl::string_view::npos)) {
    return ParseError(static_cast<int>(i) + 1, "unexpected input in metric");
  }
  return storage::Labels::FromUnsorted(std::move(ls));
}

absl::StatusOr<SeriesValues> ParseSeriesValues(absl::string_view text, int column_base) {
  static const LazyRE2 kBlankTimes = {R"(_x([0-9]+))"};
  static const LazyRE2 kTimes = {R"(([^x]+?)(?:([+-][^x+-]+))?x([0-9]+))"};
  SeriesValues out;
  size_t offset = 0;
  for (absl::string_view item : absl::StrSplit(text, ' ')) {
    const int col = column_base + static_cast<int>(offset) + 1;
    offset += item.size() + 1;
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    uint64_t n = 0;
    std::string a, b;
    double v = 0, d = 0;
    if (item == "_") {
      out.push_back(std::nullopt);
    } else if (item == "stale") {
      out.push_back(storage::StaleNaN());
    } else if (RE2::FullMatch(re2::StringPiece(item.data(), item.size()), *kBlankTimes, &n)) {
      if (n > kMaxSeriesSteps) return ParseError(col, "too many steps in series values");
      out.insert(out.end(), n, std::nullopt);
    } else if (ParseNumber(item, &v)) {
      out.push_back(v);
    } else if (RE2::FullMatch(re2::StringPiece(item.data(), item.size()), *kTimes, &a, &b, &n) && ParseNumber(a, &v) &&
               (b.empty() || ParseNumber(b, &d))) {
      if (n > kMaxSeriesSteps || out.size() + n > kMaxSeriesSteps) {
        return ParseError(col, "too many steps in series values");
      }
      for (uint64_t k = 0; k <= n; ++k) {
        out.push_back(v);
        v += d;
      }
    } else {
      return ParseError(col, absl::StrCat("unexpected identifier \"", item,
                                          "\" in series values, expected number or \"stale\""));
    }
  }
  return out;
}

}  // namespace tally::rules
