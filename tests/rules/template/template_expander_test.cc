// Conformance of the template expander with Prometheus 2.42. The table in
// expected_promtool.inc was produced by real promtool (gen_expected.py runs each template
// as an annotation through `promtool test rules` / `promtool check rules` and records
// the output or error verbatim); these tests replay it against ExpandTemplate.
#include "rules/template/template_expander.h"

#include <cmath>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/ingest/go_float.h"
#include "storage/model/labels.h"

namespace tally::rules {
namespace {

struct Case {
  const char* value;  // the alert's $value; "" = a template Prometheus rejects at load
  const char* tmpl;
  const char* want;  // output, "<error expanding template: ...>", or the load error
};

constexpr Case kCases[] = {
#include "tests/rules/template/expected_promtool.inc"
};

// The scenario gen_expected.py gives promtool: series m{...} (the alert) and q{...}.
promql::Vector QSeries() {
  promql::Vector v;
  v.push_back({storage::Labels{{"__name__", "q"}, {"i", "1"}, {"k", "b"}}, 0, 2});
  v.push_back({storage::Labels{{"__name__", "q"}, {"i", "2"}, {"k", "a"}}, 0, 0.5});
  return v;
}

TemplateData ScenarioData(double value) {
  TemplateData d;
  d.labels = {{"__name__", "m"},
              {"instance", "host-1.example.com:9090"},
              {"job", "api"},
              {"path", "/a b&c"}};
  d.external_labels = {{"cluster", "eu1"}};
  d.value = value;
  const std::map<std::string, std::string> labels = d.labels;
  d.query = [labels, value](absl::string_view expr, int64_t) -> absl::StatusOr<promql::Vector> {
    if (expr == "sort_desc(q)") return QSeries();
    if (expr == "m") {
      std::vector<storage::Label> ls;
      for (const auto& [k, v] : labels) ls.push_back({k, v});
      return promql::Vector{{storage::Labels::FromSorted(ls), 0, value}};
    }
    return promql::Vector{};
  };
  return d;
}

std::string Describe(const Case& c) {
  return std::string("template ") + storage::GoQuote(c.tmpl) + " with $value=" + c.value;
}

TEST(TemplateExpanderTest, MatchesPromtoolTable) {
  constexpr absl::string_view kErrPrefix = "<error expanding template: ";
  int checked = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(Describe(c));
    if (c.value[0] == '\0') {
      // Rejected at load: CheckTemplate has the same message; expansion reports it as a
      // parse error.
      EXPECT_EQ(CheckTemplate("__alert_X", c.tmpl).message(), std::string(c.want));
      absl::StatusOr<std::string> got = ExpandTemplate("__alert_X", c.tmpl, ScenarioData(0));
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().message(), std::string("error parsing template __alert_X: ") + c.want);
      ++checked;
      continue;
    }
    double value = 0;
    ASSERT_TRUE(storage::ParseGoFloat(c.value, &value));
    EXPECT_TRUE(CheckTemplate("__alert_X", c.tmpl).ok());
    absl::StatusOr<std::string> got = ExpandTemplate("__alert_X", c.tmpl, ScenarioData(value));
    const std::string want = c.want;
    if (absl::StartsWith(want, kErrPrefix)) {
      ASSERT_FALSE(got.ok()) << "got output " << *got;
      EXPECT_EQ(absl::StrCat(kErrPrefix, got.status().message(), ">"), want);
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    } else {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, want);
    }
    ++checked;
  }
  EXPECT_GT(checked, 400);
}

}  // namespace
}  // namespace tally::rules
