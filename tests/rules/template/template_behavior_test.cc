// Behaviour of ExpandTemplate beyond the promtool table: values only a running Prometheus
// shows (external URL, query errors; recorded from /usr/bin/prometheus 2.42 on loopback
// with --web.external-url=http://prom.example.com:9090/prefix/ and the alert
// `label_replace(vector(1234567.5), "job", "api", "", "")`, read from /api/v1/alerts),
// the parse cache, limits, concurrency, and robustness on arbitrary input.
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rules/template/template_expander.h"

namespace tally::rules {
namespace {

TemplateData ServerData() {
  TemplateData d;
  d.labels = {{"job", "api"}};
  d.external_labels = {{"cluster", "eu1"}};
  d.external_url = "http://prom.example.com:9090/prefix";  // Prometheus strips the '/'
  d.value = 1234567.5;
  d.query = [](absl::string_view expr, int64_t) -> absl::StatusOr<promql::Vector> {
    if (expr == "vector(2)") return promql::Vector{{storage::Labels(), 0, 2}};
    if (expr == "5") return promql::Vector{{storage::Labels(), 0, 5}};  // scalar as a vector
    if (expr == "bad((") {
      return absl::InvalidArgumentError("1:6: parse error: unclosed left parenthesis");
    }
    return promql::Vector{};
  };
  return d;
}

std::string Expand(absl::string_view text, const TemplateData& data = ServerData()) {
  absl::StatusOr<std::string> s = ExpandTemplate("__alert_X", text, data);
  return s.ok() ? *s : absl::StrCat("<error expanding template: ", s.status().message(), ">");
}

TEST(TemplateBehaviorTest, MatchesRunningPrometheus) {
  EXPECT_EQ(Expand("{{ $labels.job }}-{{ humanize $value }}"), "api-1.235M");
  EXPECT_EQ(Expand("{{ $externalURL }}|{{ pathPrefix }}|{{ externalURL }}|{{ .ExternalURL }}"),
            "http://prom.example.com:9090/prefix|/prefix|http://prom.example.com:9090/prefix|"
            "http://prom.example.com:9090/prefix");
  EXPECT_EQ(Expand("{{ $externalLabels.cluster }}|{{ $labels }}|{{ . }}"),
            "eu1|map[job:api]|{map[job:api] map[cluster:eu1] http://prom.example.com:9090/prefix "
            "1.2345675e+06}");
  EXPECT_EQ(
      Expand(
          R"x({{ query "vector(2)" | first | value }}|{{ range query "up" }}x{{ else }}none{{ end }})x"),
      "2|none");
  EXPECT_EQ(Expand(R"x({{ query "bad((" }})x"),
            "<error expanding template: error executing template __alert_X: template: "
            "__alert_X:1:115: executing \"__alert_X\" at <query \"bad((\">: error calling query: "
            "1:6: parse error: unclosed left parenthesis>");
  EXPECT_EQ(Expand(R"x({{ query "5" | first }})x"), "{map[] 5}");
  EXPECT_EQ(Expand("{{ (toTime 0).Unix }}"), "0");
  EXPECT_EQ(Expand(R"x({{ title "éclair ñu" }}|{{ toUpper "straße é" }})x"), "Éclair Ñu|STRAßE É");
}

TEST(TemplateBehaviorTest, QueryWithoutBackendFailsLikeANilQueryFunc) {
  TemplateData d = ServerData();
  d.query = nullptr;
  EXPECT_EQ(Expand(R"x({{ query "up" }})x", d),
            "<error expanding template: error executing template __alert_X: template: "
            "__alert_X:1:115: executing \"__alert_X\" at <query \"up\">: error calling query: "
            "runtime error: invalid memory address or nil pointer dereference>");
}

TEST(TemplateBehaviorTest, QueryRunsAtTheEvaluationTime) {
  TemplateData d = ServerData();
  d.eval_time_ms = 1700000000123;
  int64_t seen = 0;
  d.query = [&seen](absl::string_view, int64_t t_ms) -> absl::StatusOr<promql::Vector> {
    seen = t_ms;
    return promql::Vector{};
  };
  EXPECT_EQ(Expand(R"x({{ query "up" | len }})x", d), "0");
  EXPECT_EQ(seen, 1700000000123);
}

TEST(TemplateBehaviorTest, CachedParseKeepsEachNameInErrors) {
  // The same text under two rule names: the tree is shared, the messages are not.
  const std::string text = "{{ .Nope }}";
  absl::StatusOr<std::string> a = ExpandTemplate("__alert_A", text, ServerData());
  absl::StatusOr<std::string> b = ExpandTemplate("__alert_B", text, ServerData());
  ASSERT_FALSE(a.ok());
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(absl::StartsWith(a.status().message(),
                               "error executing template __alert_A: template: __alert_A:1:115: "
                               "executing \"__alert_A\" at <.Nope>"))
      << a.status();
  EXPECT_TRUE(absl::StartsWith(b.status().message(),
                               "error executing template __alert_B: template: __alert_B:1:115: "
                               "executing \"__alert_B\" at <.Nope>"))
      << b.status();
  // Parse errors are not cached and carry the name too.
  EXPECT_EQ(CheckTemplate("__alert_A", "{{ foo }}").message(),
            "template: __alert_A:1: function \"foo\" not defined");
  EXPECT_EQ(CheckTemplate("__alert_B", "{{ foo }}").message(),
            "template: __alert_B:1: function \"foo\" not defined");
}

TEST(TemplateBehaviorTest, ExpansionUsesTheDataOfEachCall) {
  TemplateData d = ServerData();
  for (int i = 0; i < 3; ++i) {
    d.labels["instance"] = absl::StrCat("host-", i);
    d.value = i * 0.5;
    EXPECT_EQ(Expand("{{ $labels.instance }}={{ $value }}", d),
              absl::StrCat("host-", i, "=", i * 0.5));
  }
}

TEST(TemplateBehaviorTest, LimitsTemplateAndOutputSize) {
  const std::string huge(1 << 20 | 1, 'x');
  EXPECT_FALSE(CheckTemplate("__alert_X", huge).ok());
  absl::StatusOr<std::string> s = ExpandTemplate("__alert_X", huge, ServerData());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.status().message(), "error parsing template __alert_X: "));

  // 600 KiB of text printed 8 times exceeds the 4 MiB output cap.
  const std::string body(600 << 10, 'y');
  const std::string text = "{{ range (args 1 2 3 4 5 6 7 8) }}" + body + "{{ end }}";
  s = ExpandTemplate("__alert_X", text, ServerData());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "template output exceeds 4194304 bytes"))
      << s.status().message().substr(0, 200);
}

TEST(TemplateBehaviorTest, FunctionsCannotMultiplyTextWithoutBound) {
  // Each verb may pad to 1e6 runes (Go's cap); five of them pass the 4 MiB limit.
  absl::StatusOr<std::string> s = ExpandTemplate(
      "__alert_X", R"x({{ printf "%999999d%999999d%999999d%999999d%999999d" 1 2 3 4 5 }})x",
      ServerData());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(
      absl::EndsWith(s.status().message(), "error calling printf: result exceeds 4194304 bytes"))
      << s.status().message();
  // 1 KiB replacement at each of ~5000 empty matches.
  const std::string text = absl::StrCat(R"x({{ reReplaceAll "" ")x", std::string(1024, 'r'),
                                        R"x(" (printf "%5000s" "") }})x");
  s = ExpandTemplate("__alert_X", text, ServerData());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::EndsWith(s.status().message(),
                             "error calling reReplaceAll: result exceeds 4194304 bytes"))
      << s.status().message();
  // Below the limits the same functions work.
  EXPECT_EQ(Expand(R"x({{ printf "%5d|%-3s|" 42 "a" }})x"), "   42|a  |");
}

TEST(TemplateBehaviorTest, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(5000, '(') + "1" + std::string(5000, ')');
  EXPECT_EQ(CheckTemplate("__alert_X", "{{ " + deep + " }}").message(),
            "template: __alert_X:1: max expression depth exceeded");
  std::string ifs;
  for (int i = 0; i < 3000; ++i) ifs += "{{ if 1 }}";
  EXPECT_FALSE(CheckTemplate("__alert_X", ifs).ok());
}

TEST(TemplateBehaviorTest, ConcurrentExpansionsAgree) {
  const std::string text =
      "{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}{{ $value | humanize }}";
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      TemplateData d = ServerData();
      d.labels["t"] = std::to_string(t);
      const std::string want = absl::StrCat("job=api t=", t, " 1.235M");
      for (int i = 0; i < 500; ++i) {
        absl::StatusOr<std::string> s = ExpandTemplate(absl::StrCat("__alert_", i % 7), text, d);
        if (!s.ok() || *s != want) ++bad[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0) << "thread " << t;
}

TEST(TemplateBehaviorTest, ArbitraryInputNeverCrashes) {
  // Random templates from template-ish fragments (seed printed for replay): every result
  // is output or an InvalidArgument error.
  const uint32_t seed = 20261201;
  std::mt19937 rng(seed);
  const std::vector<std::string> frags = {
      "{{",           "}}",       "{{-",   "-}}",   " ",     "$labels", ".job",
      "$value",       "|",        "(",     ")",     "\"s\"", "`r`",     "1",
      "1.5",          "-2",       "if",    "else",  "end",   "range",   "with",
      "break",        "continue", "$x",    ":=",    "=",     ",",       "printf",
      "\"%d %s %v\"", "humanize", "query", "\"q\"", "first", "index",   "len",
      "eq",           "and",      "or",    "not",   "nil",   "true",    ".",
      "/*",           "*/",       "'a'",   "\n",    "args",  "toUpper", "reReplaceAll",
      "\"(a)\"",      "\"$1\"",   "x"};
  std::uniform_int_distribution<size_t> pick(0, frags.size() - 1);
  std::uniform_int_distribution<int> len(1, 30);
  TemplateData d = ServerData();
  d.query = [](absl::string_view, int64_t) -> absl::StatusOr<promql::Vector> {
    return promql::Vector{{storage::Labels{{"a", "b"}}, 0, 1}};
  };
  int ok = 0, failed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int n = len(rng);
    for (int k = 0; k < n; ++k) text += frags[pick(rng)];
    absl::StatusOr<std::string> s = ExpandTemplate("__alert_X", text, d);
    if (s.ok()) {
      ++ok;
    } else {
      ++failed;
      ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument)
          << "seed " << seed << ": " << text;
    }
  }
  EXPECT_GT(ok, 100) << "seed " << seed;
  EXPECT_GT(failed, 100) << "seed " << seed;
}

}  // namespace
}  // namespace tally::rules
