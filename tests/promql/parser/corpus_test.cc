// The shared corpora: every PromQL expression of the seed's monitoring guide and every
// `eval` expression of Prometheus 2.42's test scripts.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

namespace tally::promql {
namespace {

const std::string kShared = TALLY_SOURCE_DIR "/../shared";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t Indent(absl::string_view l) {
  size_t i = 0;
  while (i < l.size() && l[i] == ' ') ++i;
  return i;
}

// Expressions of the guide: lines of ```promql blocks (comments skipped) and `expr:` values
// in ```yaml blocks, block scalars (`expr: |`) joined with newlines.
std::vector<std::string> GuideExpressions(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  std::vector<std::string> out;
  std::string block;
  bool in_block = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view l = lines[i];
    absl::string_view s = absl::StripAsciiWhitespace(l);
    if (absl::StartsWith(s, "```")) {
      in_block = !in_block;
      block = in_block ? std::string(absl::StripAsciiWhitespace(s.substr(3))) : "";
      continue;
    }
    if (!in_block || s.empty()) continue;
    if (block == "promql") {
      if (s[0] != '#') out.emplace_back(s);
      continue;
    }
    if (block != "yaml") continue;
    absl::string_view rest = s;
    absl::ConsumePrefix(&rest, "- ");
    if (!absl::ConsumePrefix(&rest, "expr:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    if (rest != "|" && rest != ">") {
      out.emplace_back(rest);
      continue;
    }
    const size_t key_indent = Indent(l);
    std::vector<std::string> body;
    while (i + 1 < lines.size() && !absl::StripAsciiWhitespace(lines[i + 1]).empty() &&
           Indent(lines[i + 1]) > key_indent) {
      body.emplace_back(absl::StripAsciiWhitespace(lines[++i]));
    }
    out.push_back(absl::StrJoin(body, "\n"));
  }
  return out;
}

TEST(CorpusTest, MonitoringGuideExpressions) {
  const std::string path = kShared + "/seed/monitoring-guide.md";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared seed not found at " << path;
  const auto exprs = GuideExpressions(ReadFile(path));
  ASSERT_GE(exprs.size(), 50u);
  // The guide's three invalid queries (issue #3), with Prometheus 2.42's messages.
  const std::map<std::string, std::string> invalid = {
      {"histogram_quantile(0.95, rate(llm_cost_tracker_request_duration_seconds_bucket[5m])) by "
       "(model)",
       "1:86: parse error: unexpected <by>"},
      {"llm_cost_tracker_memory_usage_bytes by (component)", "1:37: parse error: unexpected <by>"},
      {"rate(llm_cost_tracker_cpu_usage_ratio[5m]) by (operation)",
       "1:44: parse error: unexpected <by>"},
  };
  int failed = 0;
  for (const auto& q : exprs) {
    auto e = ParseExpr(q);
    auto it = invalid.find(q);
    if (it != invalid.end()) {
      ++failed;
      ASSERT_FALSE(e.ok()) << q;
      EXPECT_EQ(e.status().message(), it->second);
      continue;
    }
    ASSERT_TRUE(e.ok()) << q << ": " << e.status();
    auto again = ParseExpr(ToString(**e));
    ASSERT_TRUE(again.ok()) << ToString(**e);
    EXPECT_EQ(ToString(**again), ToString(**e));
  }
  EXPECT_EQ(failed, 3);
}

TEST(CorpusTest, PromqlTestEvalExpressionsParse) {
  const std::string dir = kShared + "/promqltest";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared promqltest not found at " << dir;
  const std::regex eval_re(R"(^\s*(eval(?:_fail|_ordered)?)\s+(?:instant|range)\s+at\s+\S+\s+(.*)$)");
  int parsed = 0, fails = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".test") continue;
    std::vector<std::string> lines = absl::StrSplit(ReadFile(entry.path().string()), '\n');
    for (size_t i = 0; i < lines.size(); ++i) {
      std::smatch m;
      if (!std::regex_match(lines[i], m, eval_re)) continue;
      const std::string q = m[2].str();
      // Per FORMAT.md every expression, eval_fail included, parses: the runner parses them
      // while reading the file and eval_fail is about evaluation-time errors.
      auto e = ParseExpr(q);
      EXPECT_TRUE(e.ok()) << entry.path().filename() << ":" << i + 1 << ": " << q << ": "
                          << e.status();
      if (!e.ok()) continue;
      ++parsed;
      if (m[1].str() == "eval_fail") ++fails;
      auto again = ParseExpr(ToString(**e));
      ASSERT_TRUE(again.ok()) << ToString(**e);
      EXPECT_EQ(ToString(**again), ToString(**e));
    }
  }
  EXPECT_GE(parsed, 560);
  EXPECT_GT(fails, 0);
}

}  // namespace
}  // namespace tally::promql
