#include "storage/ingest/text_parser.h"

#include "storage/ingest/go_float.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::storage {
namespace {

using ::testing::HasSubstr;

// One parsed entry rendered as text, so whole streams compare in one assertion.
std::vector<std::string> ParseAll(absl::string_view in, TextFormat f, absl::Status* err) {
  std::vector<std::string> out;
  TextParser p(in, f);
  while (true) {
    absl::StatusOr<TextEntry> e = p.Next();
    if (!e.ok()) {
      *err = e.status();
      return out;
    }
    switch (*e) {
      case TextEntry::kEnd:
        *err = absl::OkStatus();
        return out;
      case TextEntry::kType:
        out.push_back(absl::StrCat("TYPE ", p.family(), " ", MetricTypeString(p.type())));
        break;
      case TextEntry::kHelp:
        out.push_back(absl::StrCat("HELP ", p.family(), " ", p.help()));
        break;
      case TextEntry::kUnit:
        out.push_back(absl::StrCat("UNIT ", p.family(), " ", p.unit()));
        break;
      case TextEntry::kSample: {
        std::string s = absl::StrCat(p.BuildLabels().ToString(), " ", FormatGoFloat(p.value()));
        if (p.has_timestamp()) absl::StrAppend(&s, " @", p.timestamp_ms());
        out.push_back(s);
        break;
      }
    }
  }
}

std::vector<std::string> MustParse(absl::string_view in, TextFormat f) {
  absl::Status err;
  std::vector<std::string> out = ParseAll(in, f, &err);
  EXPECT_TRUE(err.ok()) << err;
  return out;
}

absl::Status ParseError(absl::string_view in, TextFormat f) {
  absl::Status err;
  ParseAll(in, f, &err);
  return err;
}

TEST(TextParserTest, PrometheusTextAllMetricTypes) {
  const char* in =
      "# HELP http_requests_total The total number of requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
      "\n"
      "# a free comment\n"
      "# TYPE temp gauge\n"
      "temp -3.5e1\n"
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"0.5\"} 1 10\n"
      "lat_bucket{le=\"+Inf\"} 2 10\n"
      "lat_sum 1.5 10\n"
      "lat_count 2 10\n"
      "# TYPE rpc summary\n"
      "rpc{quantile=\"0.99\"} NaN 10\n"
      "rpc_sum 0 10\n"
      "rpc_count 0 10\n"
      "# TYPE other untyped\n"
      "other +Inf -5\n"
      "metric_without_timestamp_and_labels 12.47\n";
  EXPECT_THAT(
      MustParse(in, TextFormat::kPrometheus),
      ::testing::ElementsAre(
          "HELP http_requests_total The total number of requests.",
          "TYPE http_requests_total counter",
          "{__name__=\"http_requests_total\", code=\"200\", method=\"post\"} 1027 @1395066363000",
          "{__name__=\"http_requests_total\", code=\"400\", method=\"post\"} 3 @1395066363000",
          "TYPE temp gauge", "{__name__=\"temp\"} -35", "TYPE lat histogram",
          "{__name__=\"lat_bucket\", le=\"0.5\"} 1 @10",
          "{__name__=\"lat_bucket\", le=\"+Inf\"} 2 @10", "{__name__=\"lat_sum\"} 1.5 @10",
          "{__name__=\"lat_count\"} 2 @10", "TYPE rpc summary",
          "{__name__=\"rpc\", quantile=\"0.99\"} NaN @10", "{__name__=\"rpc_sum\"} 0 @10",
          "{__name__=\"rpc_count\"} 0 @10", "TYPE other unknown", "{__name__=\"other\"} +Inf @-5",
          "{__name__=\"metric_without_timestamp_and_labels\"} 12.47"));
}

TEST(TextParserTest, OpenMetricsAllMetricTypes) {
  const char* in =
      "# TYPE foo_seconds counter\n"
      "# UNIT foo_seconds seconds\n"
      "# HELP foo_seconds Help with \\\\ and \\n and \\\" x.\n"
      "foo_seconds_total 1 1700000000\n"
      "foo_seconds_created 1699999000 1700000000\n"
      "foo_seconds_total 2 1700000015.5 # {trace_id=\"x\"} 1 1700000015\n"
      "# TYPE g gauge\n"
      "g{a=\"1\"} -Inf 1700000000.0019\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"1\"} 0 1\n"
      "h_bucket{le=\"+Inf\"} 1 1 # {} 3.5\n"
      "h_sum 3.5 1\n"
      "h_count 1 1\n"
      "# TYPE s summary\n"
      "s{quantile=\"0.5\"} 1e-3 1\n"
      "# TYPE gh gaugehistogram\n"
      "# TYPE i info\n"
      "i_info{version=\"1\"} 1 1\n"
      "# TYPE st stateset\n"
      "# TYPE u unknown\n"
      "u 7\n"
      "# EOF\n";
  EXPECT_THAT(MustParse(in, TextFormat::kOpenMetrics),
              ::testing::ElementsAre(
                  "TYPE foo_seconds counter", "UNIT foo_seconds seconds",
                  "HELP foo_seconds Help with \\ and \n and \" x.",
                  "{__name__=\"foo_seconds_total\"} 1 @1700000000000",
                  "{__name__=\"foo_seconds_created\"} 1.699999e+09 @1700000000000",
                  "{__name__=\"foo_seconds_total\"} 2 @1700000015500", "TYPE g gauge",
                  // Prometheus compat: int64(ts*1000) truncates .0019 s to 1 ms.
                  "{__name__=\"g\", a=\"1\"} -Inf @1700000000001", "TYPE h histogram",
                  "{__name__=\"h_bucket\", le=\"1\"} 0 @1000",
                  "{__name__=\"h_bucket\", le=\"+Inf\"} 1 @1000", "{__name__=\"h_sum\"} 3.5 @1000",
                  "{__name__=\"h_count\"} 1 @1000", "TYPE s summary",
                  "{__name__=\"s\", quantile=\"0.5\"} 0.001 @1000", "TYPE gh gaugehistogram",
                  "TYPE i info", "{__name__=\"i_info\", version=\"1\"} 1 @1000",
                  "TYPE st stateset", "TYPE u unknown", "{__name__=\"u\"} 7"));
}

TEST(TextParserTest, UnescapesLabelValues) {
  const char* in = "m{a=\"x\\\"y\\\\z\\nw\",b=\"\\t\",c=\"plain\",} 1\n";
  TextParser p(in, TextFormat::kPrometheus);
  ASSERT_EQ(*p.Next(), TextEntry::kSample);
  ASSERT_EQ(p.labels().size(), 3u);
  EXPECT_EQ(p.labels()[0].value, "x\"y\\z\nw");
  // Prometheus compat: unknown escapes stay verbatim (promtool stores "\\t").
  EXPECT_EQ(p.labels()[1].value, "\\t");
  EXPECT_EQ(p.labels()[2].value, "plain");
  EXPECT_EQ(p.series_text(), "m{a=\"x\\\"y\\\\z\\nw\",b=\"\\t\",c=\"plain\",}");
  EXPECT_EQ(*p.Next(), TextEntry::kEnd);
}

// Consecutive lines of one series take the repeated-series fast path: same labels (escaped
// values included, across a metadata line), and only byte-identical series text counts.
TEST(TextParserTest, RepeatedSeriesKeepsItsLabels) {
  const std::string in =
      "# TYPE m counter\n"
      "m{a=\"x\\ny\"} 1 10\n"
      "# HELP m help\n"
      "m{a=\"x\\ny\"}\t2 20\n"
      "m{a=\"x\\ny\"}_total 3 30\n"
      "m 4 40\n"
      "m 5 50\n"
      "m{a=\"x\\ny\"} 6 x\n";
  TextParser p(in, TextFormat::kPrometheus);
  std::vector<std::string> seen;
  absl::StatusOr<TextEntry> e;
  while ((e = p.Next()).ok() && *e != TextEntry::kEnd) {
    if (*e != TextEntry::kSample) continue;
    seen.push_back(absl::StrCat(p.series_repeated() ? "R " : "N ", p.BuildLabels().ToString(),
                                " ", FormatGoFloat(p.value()), " @", p.timestamp_ms(), " ",
                                MetricTypeString(p.sample_type())));
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("N {__name__=\"m\", a=\"x\\ny\"} 1 @10 counter",
                                           "R {__name__=\"m\", a=\"x\\ny\"} 2 @20 counter"));
  // "m{...}_total" is not the previous series plus a value: parsed in full, and rejected.
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()),
              HasSubstr("line 5: invalid sample value \"_total\""));

  TextParser q("m 4 40\nm 5 50\nm{a=\"b\"} 6 60\nm 7 x\n", TextFormat::kPrometheus);
  std::vector<std::string> seen2;
  while ((e = q.Next()).ok() && *e != TextEntry::kEnd) {
    seen2.push_back(absl::StrCat(q.series_repeated() ? "R " : "N ",
                                 q.BuildLabels().ToString(), " ", FormatGoFloat(q.value())));
  }
  EXPECT_THAT(seen2, ::testing::ElementsAre("N {__name__=\"m\"} 4", "R {__name__=\"m\"} 5",
                                            "N {__name__=\"m\", a=\"b\"} 6"));
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()), HasSubstr("line 4: invalid timestamp \"x\""));
}

TEST(TextParserTest, EmptyLabelValueMeansAbsent) {
  TextParser p("m{a=\"\",b=\"1\"} 1\n", TextFormat::kPrometheus);
  ASSERT_EQ(*p.Next(), TextEntry::kSample);
  EXPECT_EQ(p.BuildLabels().ToString(), "{__name__=\"m\", b=\"1\"}");
}

TEST(TextParserTest, ParsesValuesWithGoSyntax) {
  TextParser p("a 1e3\nb -Inf\nc +Inf\nd NaN\ne 0x1p4\nf -0.5E-2\n", TextFormat::kPrometheus);
  std::vector<double> vs;
  while (*p.Next() == TextEntry::kSample) vs.push_back(p.value());
  ASSERT_EQ(vs.size(), 6u);
  EXPECT_EQ(vs[0], 1000);
  EXPECT_TRUE(std::isinf(vs[1]) && vs[1] < 0);
  EXPECT_TRUE(std::isinf(vs[2]) && vs[2] > 0);
  EXPECT_TRUE(std::isnan(vs[3]));
  EXPECT_EQ(vs[4], 16);
  EXPECT_EQ(vs[5], -0.005);
}

TEST(TextParserTest, MalformedInputReportsLineNumbers) {
  struct Case {
    const char* input;
    TextFormat format;
    const char* message;
  };
  const TextFormat kP = TextFormat::kPrometheus;
  const TextFormat kOM = TextFormat::kOpenMetrics;
  const Case cases[] = {
      {"a 1\nb{x 1\n", kP, "line 2: expected equal, got \"1\""},
      {"a 1\nb{x=1} 1\n", kP, "line 2: expected label value, got \"1}\""},
      {"b{x=\"1\" y=\"2\"} 1\n", kP, "line 1: expected comma or right brace, got \"y=\"2\"}\""},
      {"b{1x=\"1\"} 1\n", kP, "line 1: expected label name or right brace, got \"1x=\"1\"}\""},
      {"b{x=\"1} 1\n", kP, "line 1: unterminated label value"},
      {"a 1\n\nb{x=\"1\",x=\"2\"} 1\n", kP, "line 3: duplicate label name \"x\""},
      {"b{__name__=\"c\"} 1\n", kP, "line 1: duplicate label name \"__name__\""},
      {"a 1x\n", kP, "line 1: invalid sample value \"1x\""},
      {"a\n", kP, "line 1: expected value after metric, got end of line"},
      {"a 1 1.5\n", kP, "line 1: invalid timestamp \"1.5\""},
      {"a 1 2 3\n", kP, "line 1: expected end of line after timestamp, got \"3\""},
      {"1a 1\n", kP, "line 1: expected metric name, got \"1a\""},
      {"# TYPE a countr\n", kP, "line 1: invalid metric type \"countr\""},
      {"a{x=\"\xff\"} 1\n", kP, "line 1: invalid UTF-8 label value"},
      {"a 1 1\n", kOM, "line 1: data does not end with # EOF"},
      {"a 1 1\n# EOF\nb 1 1\n", kOM, "line 3: unexpected data after # EOF"},
      {"a 1 x\n# EOF\n", kOM, "line 1: invalid timestamp \"x\""},
      {"a 1 NaN\n# EOF\n", kOM, "line 1: invalid timestamp \"NaN\""},
      {"a 1\n\n# EOF\n", kOM, "line 2: unexpected empty line"},
      {"# hello\n# EOF\n", kOM, "line 1: expected HELP, TYPE, UNIT or EOF after \"#\""},
      {"# TYPE foo counter\n# UNIT foo seconds\n# EOF\n", kOM,
       "line 2: unit not a suffix of metric \"foo\""},
      {"# TYPE a untyped\n# EOF\n", kOM, "line 1: invalid metric type \"untyped\""},
      {"a 1 1 # junk\n# EOF\n", kOM, "line 1: expected exemplar"},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseError(c.input, c.format);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.input << " -> " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message)) << c.input;
  }
}

TEST(TextParserTest, ErrorIsSticky) {
  TextParser p("a 1\nb{\nc 1\n", TextFormat::kPrometheus);
  ASSERT_EQ(*p.Next(), TextEntry::kSample);
  absl::Status first = p.Next().status();
  EXPECT_FALSE(first.ok());
  EXPECT_EQ(p.Next().status(), first);
}

TEST(TextParserTest, SliceOptionsOffsetLinesAndEof) {
  // A middle slice of a larger OpenMetrics file: no # EOF required, lines offset.
  TextParser p("a 1 1\nb{ 1 1\n",
               TextParserOptions{.format = TextFormat::kOpenMetrics, .first_line = 101,
                                 .require_eof = false});
  ASSERT_EQ(*p.Next(), TextEntry::kSample);
  EXPECT_EQ(p.line(), 101);
  EXPECT_THAT(std::string(p.Next().status().message()), HasSubstr("line 102:"));

  TextParser q("a 1 1\n", TextParserOptions{.format = TextFormat::kOpenMetrics,
                                            .require_eof = false});
  ASSERT_EQ(*q.Next(), TextEntry::kSample);
  EXPECT_EQ(*q.Next(), TextEntry::kEnd);
}

TEST(TextParserTest, DetectsFormat) {
  EXPECT_EQ(DetectTextFormat("a 1 1\n# EOF\n"), TextFormat::kOpenMetrics);
  EXPECT_EQ(DetectTextFormat("a 1 1\n# EOF"), TextFormat::kOpenMetrics);
  EXPECT_EQ(DetectTextFormat("# TYPE a_b gauge\n# UNIT a_b b\na_b 1\n"),
            TextFormat::kOpenMetrics);
  EXPECT_EQ(DetectTextFormat("a 1 1000\n"), TextFormat::kPrometheus);
  EXPECT_EQ(DetectTextFormat(""), TextFormat::kPrometheus);
}

TEST(TextParserTest, HelpEscapesDifferByFormat) {
  TextParser p("# HELP a x\\\\y\\nz\\\"\n", TextFormat::kPrometheus);
  ASSERT_EQ(*p.Next(), TextEntry::kHelp);
  EXPECT_EQ(p.help(), "x\\y\nz\\\"");  // the text format does not unescape \"
  TextParser q("# HELP a x\\\\y\\nz\\\"\n# EOF\n", TextFormat::kOpenMetrics);
  ASSERT_EQ(*q.Next(), TextEntry::kHelp);
  EXPECT_EQ(q.help(), "x\\y\nz\"");
}

TEST(TextParserTest, ResolvesTheFamilyOfEachSample) {
  const char* in =
      "# TYPE req counter\n"
      "req_total 1 1\n"
      "req_created 1 1\n"
      "# TYPE lat histogram\n"
      "# HELP lat Latency.\n"
      "lat_bucket{le=\"+Inf\"} 1 1\n"
      "lat_count 1 1\n"
      "lat_total 1 1\n"  // not a histogram suffix
      "# HELP g A gauge without TYPE.\n"
      "g 1 1\n"
      "other 1 1\n"
      "# EOF\n";
  TextParser p(in, TextFormat::kOpenMetrics);
  std::vector<std::string> got;
  while (true) {
    absl::StatusOr<TextEntry> e = p.Next();
    ASSERT_TRUE(e.ok()) << e.status();
    if (*e == TextEntry::kEnd) break;
    if (*e != TextEntry::kSample) continue;
    got.push_back(absl::StrCat(p.metric_name(), "->", p.sample_family(), ":",
                               MetricTypeString(p.sample_type())));
  }
  EXPECT_THAT(got, ::testing::ElementsAre("req_total->req:counter", "req_created->req:counter",
                                          "lat_bucket->lat:histogram",
                                          "lat_count->lat:histogram",
                                          "lat_total->lat_total:unknown", "g->g:unknown",
                                          "other->other:unknown"));
}

}  // namespace
}  // namespace tally::storage
