// TextParser: one pull parser for the Prometheus text exposition format (0.0.4) and
// OpenMetrics 1.0 text, used by `tally backfill` and by scraping.
//
//   TextParser p(body, TextFormat::kOpenMetrics);
//   while (true) {
//     ASSIGN_OR_RETURN(TextEntry e, p.Next());
//     if (e == TextEntry::kEnd) break;
//     if (e == TextEntry::kSample) Use(p.metric_name(), p.labels(), p.value(), ...);
//   }
//
// Formats. Prometheus text: `# HELP`/`# TYPE` lines (other `#` lines are comments), samples
// `name{l="v",...} value [timestamp_ms]`, blank lines allowed, no `# EOF`. OpenMetrics:
// `# HELP`/`# TYPE`/`# UNIT` (a unit must be a suffix of the family name), timestamps in
// seconds with an optional fraction (ms = int64(ts * 1000), truncated, as Prometheus does),
// exemplars after ` # ` are validated loosely and ignored, `_created` samples are returned
// like any other sample (as Prometheus 2.42 / promtool store them), and the input must end
// with `# EOF` (only an optional final newline may follow).
//
// Values: Go's strconv.ParseFloat syntax (NaN, +Inf, -Inf, exponents, hex). Label values:
// `\\`, `\"`, `\n` are unescaped; any other backslash sequence is kept verbatim
// (Prometheus compat: its lexer accepts `\x` and its replacer leaves it). Label values and
// HELP text must be valid UTF-8. A label name repeated within one sample is an error; an
// empty label value means the label is absent (BuildLabels drops it).
//
// Errors are InvalidArgument, "line N: <what>", worded like Prometheus's textparse
// (e.g. `line 12: expected equal, got "}"`). After an error, Next() keeps returning it.
//
// Allocation: none per sample in steady state. Label views point into the input, or into
// an internal buffer for values that needed unescaping; every view returned by an accessor
// is valid until the next call to Next() (and input views as long as the input lives).
// Not thread-safe; parse disjoint line ranges with separate parsers to go parallel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/model/labels.h"

namespace tally::storage {

enum class TextFormat { kPrometheus, kOpenMetrics };

// OpenMetrics if the input declares itself so: a `# EOF` line (checked at the end of the
// input) or a `# UNIT` line near the start. Otherwise the Prometheus text format.
TextFormat DetectTextFormat(absl::string_view input);
const char* TextFormatName(TextFormat f);

enum class TextEntry { kSample, kType, kHelp, kUnit, kEnd };

// Prometheus's metric types; the OpenMetrics-only ones (gaugehistogram, info, stateset)
// keep their names. kUnknown is "untyped" in the Prometheus text format.
enum class MetricType {
  kUnknown,
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateset
};
// "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset",
// "unknown" (the words of Prometheus's metadata API).
const char* MetricTypeString(MetricType t);

struct TextParserOptions {
  TextFormat format = TextFormat::kPrometheus;
  // Line number of the first line of `input` (for parsing a slice of a larger file).
  int64_t first_line = 1;
  // OpenMetrics only: whether `input` must end with `# EOF`. A slice that is not the last
  // one of a file sets this to false (and then must not contain `# EOF`).
  bool require_eof = true;
};

class TextParser {
 public:
  TextParser(absl::string_view input, TextParserOptions options);
  TextParser(absl::string_view input, TextFormat format)
      : TextParser(input, TextParserOptions{.format = format}) {}

  // Advances to the next sample or metadata line; kEnd at the end of input. Errors as
  // described above.
  absl::StatusOr<TextEntry> Next();

  // Line number of the entry just returned (or of the error).
  int64_t line() const { return line_no_; }

  // --- Valid after kSample ---
  absl::string_view metric_name() const { return metric_name_; }
  // The series exactly as written ("name{a=\"b\"}"), a view into the input; equal text
  // means equal series, so it is a cheap cache key (different text may still be the same
  // series, e.g. with labels in another order).
  absl::string_view series_text() const { return series_text_; }
  // Whether this sample's series text is byte-identical to the previous sample's (then
  // labels() and metric_name() are unchanged too; callers may reuse what they derived).
  bool series_repeated() const { return series_repeated_; }
  // Labels other than __name__, in input order (unsorted).
  absl::Span<const LabelView> labels() const { return labels_; }
  double value() const { return value_; }
  bool has_timestamp() const { return has_timestamp_; }
  int64_t timestamp_ms() const { return timestamp_ms_; }
  // The full sorted label set including __name__ (allocates: call once per new series).
  Labels BuildLabels() const;
  // The metric family the sample belongs to: the family of the preceding TYPE/HELP/UNIT
  // lines when the sample's name is that family or the family plus a suffix its type allows
  // (_total, _created for counters; _bucket, _sum, _count, _created for histograms; _sum,
  // _count, _created for summaries; _gcount, _gsum, _bucket for gaugehistograms; _info for
  // info), else the sample's own name. sample_type() is that family's TYPE (kUnknown when
  // the sample has no declared family). For metadata caches in scraping.
  absl::string_view sample_family() const { return sample_family_; }
  MetricType sample_type() const { return sample_type_; }

  // --- Valid after kType / kHelp / kUnit ---
  absl::string_view family() const { return family_; }
  MetricType type() const { return type_; }     // kType
  absl::string_view help() const { return help_; }  // kHelp, unescaped
  absl::string_view unit() const { return unit_; }  // kUnit

 private:
  absl::Status Error(absl::string_view what) const;
  absl::Status ExpectedError(absl::string_view expected, absl::string_view got) const;
  absl::StatusOr<TextEntry> ParseComment(absl::string_view line);
  absl::Status ParseSample(absl::string_view line);
  // The value, optional timestamp and exemplar after the series text ending at pos.
  absl::Status ParseValueAndTimestamp(absl::string_view line, size_t pos);
  absl::Status ParseLabels(absl::string_view line, size_t* pos);
  absl::Status ParseTimestamp(absl::string_view tok);
  absl::Status SkipExemplar(absl::string_view rest);
  void ResolveFamily();
  absl::Status ParseLabelValue(absl::string_view line, size_t* pos, absl::string_view* value,
                               bool* escaped);

  absl::string_view input_;
  TextParserOptions options_;
  size_t pos_ = 0;          // start of the next line
  int64_t line_no_ = 0;     // current line
  bool seen_eof_ = false;
  absl::Status error_;      // sticky

  absl::string_view metric_name_;
  absl::string_view series_text_;  // empty unless the last sample parsed completely
  bool series_repeated_ = false;
  std::vector<LabelView> labels_;
  std::vector<uint8_t> label_escaped_;  // per label: value needs unescaping
  std::string unescaped_;               // backing store for unescaped values
  double value_ = 0;
  bool has_timestamp_ = false;
  int64_t timestamp_ms_ = 0;

  absl::string_view family_;
  MetricType type_ = MetricType::kUnknown;
  absl::string_view current_family_;  // of the last metadata line
  MetricType current_type_ = MetricType::kUnknown;
  absl::string_view sample_family_;
  MetricType sample_type_ = MetricType::kUnknown;
  absl::string_view help_;
  std::string help_buf_;
  absl::string_view unit_;
};

}  // namespace tally::storage
