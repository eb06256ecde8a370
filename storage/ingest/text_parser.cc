#include "storage/ingest/text_parser.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "storage/ingest/go_float.h"
#include "storage/util/utf8.h"

namespace tally::storage {
namespace {

inline bool IsSpace(char c) { return c == ' ' || c == '\t'; }
inline bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
inline bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
inline bool IsLabelNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || (c >= '0' && c <= '9'); }

inline void SkipSpace(absl::string_view s, size_t* pos) {
  while (*pos < s.size() && IsSpace(s[*pos])) ++*pos;
}

// Length of a metric name at s[pos], 0 if none.
size_t ScanName(absl::string_view s, size_t pos) {
  if (pos >= s.size() || !IsNameStart(s[pos])) return 0;
  size_t end = pos + 1;
  while (end < s.size() && IsNameChar(s[end])) ++end;
  return end - pos;
}

size_t ScanLabelName(absl::string_view s, size_t pos) {
  if (pos >= s.size() || !IsLabelNameStart(s[pos])) return 0;
  size_t end = pos + 1;
  while (end < s.size() && IsLabelNameChar(s[end])) ++end;
  return end - pos;
}

// The offending text for an error message: from pos to the next space, at most 40 bytes.
absl::string_view TokenAt(absl::string_view s, size_t pos) {
  if (pos >= s.size()) return {};
  size_t end = pos + 1;
  while (end < s.size() && !IsSpace(s[end]) && end - pos < 40) ++end;
  return s.substr(pos, end - pos);
}

// Next whitespace-delimited token starting at *pos (after skipping spaces).
absl::string_view NextToken(absl::string_view s, size_t* pos) {
  SkipSpace(s, pos);
  const size_t start = *pos;
  while (*pos < s.size() && !IsSpace(s[*pos])) ++*pos;
  return s.substr(start, *pos - start);
}

// Unescapes \\ \" \n (and, for HELP, only \\ and \n); other sequences are kept verbatim.
// Returns bytes written to out (which has room for in.size()).
size_t Unescape(absl::string_view in, char* out, bool allow_quote) {
  size_t n = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size()) {
      const char c = in[i + 1];
      if (c == '\\' || c == 'n' || (allow_quote && c == '"')) {
        out[n++] = c == 'n' ? '\n' : c;
        ++i;
        continue;
      }
    }
    out[n++] = in[i];
  }
  return n;
}

bool ParseMetricType(absl::string_view s, TextFormat f, MetricType* t) {
  if (s == "counter") *t = MetricType::kCounter;
  else if (s == "gauge") *t = MetricType::kGauge;
  else if (s == "histogram") *t = MetricType::kHistogram;
  else if (s == "summary") *t = MetricType::kSummary;
  else if (f == TextFormat::kPrometheus && s == "untyped") *t = MetricType::kUnknown;
  else if (f == TextFormat::kOpenMetrics && s == "unknown") *t = MetricType::kUnknown;
  else if (f == TextFormat::kOpenMetrics && s == "gaugehistogram") *t = MetricType::kGaugeHistogram;
  else if (f == TextFormat::kOpenMetrics && s == "info") *t = MetricType::kInfo;
  else if (f == TextFormat::kOpenMetrics && s == "stateset") *t = MetricType::kStateset;
  else return false;
  return true;
}

}  // namespace

const char* TextFormatName(TextFormat f) {
  return f == TextFormat::kOpenMetrics ? "openmetrics" : "prometheus";
}

const char* MetricTypeString(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kGaugeHistogram: return "gaugehistogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kInfo: return "info";
    case MetricType::kStateset: return "stateset";
    case MetricType::kUnknown: break;
  }
  return "unknown";
}

TextFormat DetectTextFormat(absl::string_view input) {
  // A trailing "# EOF" line (ignoring trailing newlines) is the OpenMetrics terminator.
  absl::string_view tail = input;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.remove_suffix(1);
  if (absl::EndsWith(tail, "\n# EOF") || tail == "# EOF") return TextFormat::kOpenMetrics;
  // A "# UNIT" line only exists in OpenMetrics; look at the first 64 KiB.
  absl::string_view head = input.substr(0, 64 << 10);
  if (absl::StartsWith(head, "# UNIT ") || head.find("\n# UNIT ") != absl::string_view::npos) {
    return TextFormat::kOpenMetrics;
  }
  return TextFormat::kPrometheus;
}

TextParser::TextParser(absl::string_view input, TextParserOptions options)
    : input_(input), options_(options), line_no_(options.first_line - 1) {
  labels_.reserve(16);
  label_escaped_.reserve(16);
}

absl::Status TextParser::Error(absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat("line ", line_no_, ": ", what));
}

absl::Status TextParser::ExpectedError(absl::string_view expected, absl::string_view got) const {
  if (got.empty()) {
    return Error(absl::StrCat("expected ", expected, ", got end of line"));
  }
  return Error(absl::StrCat("expected ", expected, ", got \"", got, "\""));
}

absl::StatusOr<TextEntry> TextParser::Next() {
  if (!error_.ok()) return error_;
  const bool om = options_.format == TextFormat::kOpenMetrics;
  while (pos_ < input_.size()) {
    if (seen_eof_) {
      ++line_no_;
      error_ = Error("unexpected data after # EOF");
      return error_;
    }
    const size_t nl = input_.find('\n', pos_);
    const size_t end = nl == absl::string_view::npos ? input_.size() : nl;
    absl::string_view line = input_.substr(pos_, end - pos_);
    pos_ = nl == absl::string_view::npos ? input_.size() : nl + 1;
    ++line_no_;

    size_t i = 0;
    if (!om) SkipSpace(line, &i);
    if (i == line.size()) {
      if (om) {
        error_ = Error("unexpected empty line (not allowed in OpenMetrics)");
        return error_;
      }
      continue;
    }
    if (line[i] == '#') {
      absl::StatusOr<TextEntry> e = ParseComment(line.substr(i));
      if (!e.ok()) {
        error_ = e.status();
        return error_;
      }
      if (seen_eof_) continue;          // loop checks what follows
      if (*e == TextEntry::kEnd) continue;  // a plain comment
      return *e;
    }
    absl::Status s = ParseSample(line.substr(i));
    if (!s.ok()) {
      error_ = s;
      return error_;
    }
    return TextEntry::kSample;
  }
  if (om && !seen_eof_ && options_.require_eof) {
    error_ = Error("data does not end with # EOF");
    return error_;
  }
  return TextEntry::kEnd;
}

// Returns kType/kHelp/kUnit for metadata, kEnd for a comment to skip (or after # EOF).
absl::StatusOr<TextEntry> TextParser::ParseComment(absl::string_view line) {
  const bool om = options_.format == TextFormat::kOpenMetrics;
  size_t pos = 1;
  if (om) {
    if (line == "# EOF") {
      seen_eof_ = true;
      return TextEntry::kEnd;
    }
    if (pos >= line.size() || line[pos] != ' ') {
      return ExpectedError("HELP, TYPE, UNIT or EOF after \"#\"", TokenAt(line, 0));
    }
  }
  size_t kw_pos = pos;
  absl::string_view keyword = NextToken(line, &kw_pos);
  TextEntry entry;
  if (keyword == "HELP") {
    entry = TextEntry::kHelp;
  } else if (keyword == "TYPE") {
    entry = TextEntry::kType;
  } else if (om && keyword == "UNIT") {
    entry = TextEntry::kUnit;
  } else if (om) {
    return ExpectedError("HELP, TYPE, UNIT or EOF after \"#\"", keyword);
  } else {
    return TextEntry::kEnd;  // Prometheus text: any other comment is ignored
  }
  pos = kw_pos;
  if (pos < line.size() && !IsSpace(line[pos])) return TextEntry::kEnd;
  SkipSpace(line, &pos);
  const size_t name_len = ScanName(line, pos);
  if (name_len == 0) return ExpectedError("metric name", TokenAt(line, pos));
  family_ = line.substr(pos, name_len);
  pos += name_len;
  if (pos < line.size() && !IsSpace(line[pos])) {
    return ExpectedError("space after metric name", TokenAt(line, pos));
  }
  SkipSpace(line, &pos);
  absl::string_view rest = line.substr(pos);
  if (family_ != current_family_) {
    current_family_ = family_;
    current_type_ = MetricType::kUnknown;
  }
  switch (entry) {
    case TextEntry::kHelp: {
      if (!IsValidUtf8(rest)) return Error("invalid UTF-8 in HELP text");
      if (rest.find('\\') == absl::string_view::npos) {
        help_ = rest;
      } else {
        help_buf_.resize(rest.size());
        // Prometheus compat: HELP unescapes \\ and \n in the text format, and also \" in
        // OpenMetrics.
        help_buf_.resize(Unescape(rest, help_buf_.data(), om));
        help_ = help_buf_;
      }
      break;
    }
    case TextEntry::kType: {
      while (!rest.empty() && IsSpace(rest.back())) rest.remove_suffix(1);
      if (!ParseMetricType(rest, options_.format, &type_)) {
        return Error(absl::StrCat("invalid metric type \"", rest, "\""));
      }
      current_type_ = type_;
      break;
    }
    case TextEntry::kUnit: {
      while (!rest.empty() && IsSpace(rest.back())) rest.remove_suffix(1);
      unit_ = rest;
      // Prometheus compat: openmetricsparse.go rejects a unit that the family name does
      // not end with.
      if (!unit_.empty() && !absl::EndsWith(family_, unit_)) {
        return Error(absl::StrCat("unit not a suffix of metric \"", family_, "\""));
      }
      break;
    }
    default:
      break;
  }
  return entry;
}

absl::Status TextParser::ParseLabelValue(absl::string_view line, size_t* pos,
                                         absl::string_view* value, bool* escaped) {
  // *pos is just after the opening quote.
  const size_t start = *pos;
  bool esc = false;
  size_t i = start;
  while (i < line.size()) {
    const char c = line[i];
    if (c == '"') break;
    if (c == '\\') {
      esc = true;
      if (i + 1 >= line.size()) break;
      i += 2;
      continue;
    }
    ++i;
  }
  if (i >= line.size()) return Error("unterminated label value (missing closing quote)");
  *value = line.substr(start, i - start);
  *escaped = esc;
  *pos = i + 1;
  if (!IsValidUtf8(*value)) return Error("invalid UTF-8 label value");
  return absl::OkStatus();
}

absl::Status TextParser::ParseLabels(absl::string_view line, size_t* pos) {
  // *pos is just after '{'.
  size_t i = *pos;
  while (true) {
    SkipSpace(line, &i);
    if (i < line.size() && line[i] == '}') {
      ++i;
      break;
    }
    const size_t name_len = ScanLabelName(line, i);
    if (name_len == 0) return ExpectedError("label name or right brace", TokenAt(line, i));
    absl::string_view name = line.substr(i, name_len);
    i += name_len;
    SkipSpace(line, &i);
    if (i >= line.size() || line[i] != '=') return ExpectedError("equal", TokenAt(line, i));
    ++i;
    SkipSpace(line, &i);
    if (i >= line.size() || line[i] != '"') {
      return ExpectedError("label value", TokenAt(line, i));
    }
    ++i;
    absl::string_view value;
    bool escaped = false;
    if (absl::Status s = ParseLabelValue(line, &i, &value, &escaped); !s.ok()) return s;
    if (name == kMetricNameLabel) {
      return Error(absl::StrCat("duplicate label name \"", name, "\""));
    }
    for (const LabelView& l : labels_) {
      if (l.name == name) return Error(absl::StrCat("duplicate label name \"", name, "\""));
    }
    labels_.push_back(LabelView{name, value});
    label_escaped_.push_back(escaped ? 1 : 0);
    SkipSpace(line, &i);
    if (i < line.size() && line[i] == ',') {
      ++i;
      continue;
    }
    if (i < line.size() && line[i] == '}') {
      ++i;
      break;
    }
    return ExpectedError("comma or right brace", TokenAt(line, i));
  }
  *pos = i;

  // Unescape in one pass into a buffer sized once, so the views stay valid.
  size_t need = 0;
  for (size_t k = 0; k < labels_.size(); ++k) {
    if (label_escaped_[k]) need += labels_[k].value.size();
  }
  if (need > 0) {
    unescaped_.resize(need);
    char* out = unescaped_.data();
    for (size_t k = 0; k < labels_.size(); ++k) {
      if (!label_escaped_[k]) continue;
      const size_t n = Unescape(labels_[k].value, out, /*allow_quote=*/true);
      labels_[k].value = absl::string_view(out, n);
      out += n;
    }
  }
  return absl::OkStatus();
}

absl::Status TextParser::ParseTimestamp(absl::string_view tok) {
  if (options_.format == TextFormat::kPrometheus) {
    absl::string_view digits = tok;
    if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
    int64_t ts = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ts);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
        (digits[0] == '-' && tok[0] == '+')) {
      return Error(absl::StrCat("invalid timestamp \"", tok,
                                "\" (the Prometheus text format wants integer milliseconds)"));
    }
    timestamp_ms_ = ts;
  } else {
    double ts = 0;
    if (!ParseGoFloat(tok, &ts)) {
      return Error(absl::StrCat("invalid timestamp \"", tok, "\" (OpenMetrics wants seconds)"));
    }
    const double ms = ts * 1000;
    if (!std::isfinite(ts) || ms >= 9.2e18 || ms <= -9.2e18) {
      return Error(absl::StrCat("invalid timestamp \"", tok, "\""));
    }
    // Prometheus compat: openmetricsparse.go computes int64(ts * 1000) (truncation).
    timestamp_ms_ = static_cast<int64_t>(ms);
  }
  has_timestamp_ = true;
  return absl::OkStatus();
}

absl::Status TextParser::SkipExemplar(absl::string_view rest) {
  // rest starts at '#'. Exemplars are "# {labels} value [timestamp]"; validated for shape
  // and otherwise ignored (Tally stores no exemplars).
  if (rest.size() < 3 || rest[1] != ' ' || rest[2] != '{') {
    return ExpectedError("exemplar \"# {labels} value\"", TokenAt(rest, 0));
  }
  const size_t close = rest.find('}');
  if (close == absl::string_view::npos) return Error("unterminated exemplar label set");
  size_t pos = close + 1;
  absl::string_view v = NextToken(rest, &pos);
  double dummy;
  if (!ParseGoFloat(v, &dummy)) return ExpectedError("exemplar value", v);
  absl::string_view ts = NextToken(rest, &pos);
  if (!ts.empty() && !ParseGoFloat(ts, &dummy)) return ExpectedError("exemplar timestamp", ts);
  SkipSpace(rest, &pos);
  if (pos != rest.size()) return ExpectedError("end of line after exemplar", TokenAt(rest, pos));
  return absl::OkStatus();
}

absl::Status TextParser::ParseSample(absl::string_view line) {
  has_timestamp_ = false;
  // Consecutive samples of one series (a backfill file grouped by series) repeat the same
  // series text: that text already parsed and validated to the labels_ we still hold (their
  // views point into the input or into unescaped_, neither touched since), so skip to the
  // value. Only a successful parse leaves series_text_ set.
  const size_t prev = series_text_.size();
  if (prev != 0 && line.size() > prev && IsSpace(line[prev]) &&
      std::memcmp(line.data(), series_text_.data(), prev) == 0) {
    series_repeated_ = true;
    series_text_ = line.substr(0, prev);
    ResolveFamily();
    return ParseValueAndTimestamp(line, prev);
  }
  series_repeated_ = false;
  series_text_ = {};
  labels_.clear();
  label_escaped_.clear();
  const size_t name_len = ScanName(line, 0);
  if (name_len == 0) return ExpectedError("metric name", TokenAt(line, 0));
  metric_name_ = line.substr(0, name_len);
  size_t pos = name_len;
  if (pos < line.size() && line[pos] == '{') {
    ++pos;
    if (absl::Status s = ParseLabels(line, &pos); !s.ok()) return s;
  } else if (pos < line.size() && !IsSpace(line[pos])) {
    return ExpectedError("label set or value after metric name", TokenAt(line, pos));
  }
  ResolveFamily();
  if (absl::Status s = ParseValueAndTimestamp(line, pos); !s.ok()) return s;
  series_text_ = line.substr(0, pos);
  return absl::OkStatus();
}

absl::Status TextParser::ParseValueAndTimestamp(absl::string_view line, size_t pos) {
  absl::string_view vtok = NextToken(line, &pos);
  if (vtok.empty()) return ExpectedError("value after metric", vtok);
  if (!ParseGoFloat(vtok, &value_)) {
    return Error(absl::StrCat("invalid sample value \"", vtok, "\""));
  }
  SkipSpace(line, &pos);
  if (pos == line.size()) return absl::OkStatus();
  const bool om = options_.format == TextFormat::kOpenMetrics;
  if (om && line[pos] == '#') return SkipExemplar(line.substr(pos));
  absl::string_view ttok = NextToken(line, &pos);
  if (absl::Status s = ParseTimestamp(ttok); !s.ok()) return s;
  SkipSpace(line, &pos);
  if (pos == line.size()) return absl::OkStatus();
  if (om && line[pos] == '#') return SkipExemplar(line.substr(pos));
  return ExpectedError("end of line after timestamp", TokenAt(line, pos));
}

void TextParser::ResolveFamily() {
  sample_family_ = metric_name_;
  sample_type_ = MetricType::kUnknown;
  if (current_family_.empty() || !absl::StartsWith(metric_name_, current_family_)) return;
  const absl::string_view suffix = metric_name_.substr(current_family_.size());
  bool ok = suffix.empty();
  switch (current_type_) {
    case MetricType::kCounter:
      ok = ok || suffix == "_total" || suffix == "_created";
      break;
    case MetricType::kHistogram:
      ok = ok || suffix == "_bucket" || suffix == "_sum" || suffix == "_count" ||
           suffix == "_created";
      break;
    case MetricType::kSummary:
      ok = ok || suffix == "_sum" || suffix == "_count" || suffix == "_created";
      break;
    case MetricType::kGaugeHistogram:
      ok = ok || suffix == "_bucket" || suffix == "_gsum" || suffix == "_gcount";
      break;
    case MetricType::kInfo:
      ok = ok || suffix == "_info";
      break;
    default:
      break;
  }
  if (ok) {
    sample_family_ = current_family_;
    sample_type_ = current_type_;
  }
}

Labels TextParser::BuildLabels() const {
  std::vector<Label> v;
  v.reserve(labels_.size() + 1);
  v.push_back(Label{std::string(kMetricNameLabel), std::string(metric_name_)});
  for (const LabelView& l : labels_) {
    // Prometheus semantics: an empty label value is the same as no label.
    if (l.value.empty()) continue;
    v.push_back(Label{std::string(l.name), std::string(l.value)});
  }
  return Labels::FromUnsorted(std::move(v));
}

}  // namespace tally::storage
