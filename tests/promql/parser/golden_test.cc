// Golden cases recorded from Prometheus 2.42's /api/v1/format_query (see the testdata
// headers): every valid query must print exactly as Prometheus formats it, every invalid one
// must fail with Prometheus's error text, position included.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

namespace tally::promql {
namespace {

struct GoldenCase {
  int line;
  std::string query;
  bool ok;
  std::string expected;
};

std::string Unescape(absl::string_view s) { return absl::StrReplaceAll(s, {{"\\N", "\n"}}); }

std::vector<GoldenCase> LoadCases(const std::string& file) {
  std::ifstream in(std::string(TALLY_SOURCE_DIR "/tests/promql/parser/testdata/") + file);
  std::vector<GoldenCase> cases;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(line, absl::MaxSplits('\t', 2));
    if (cols.size() != 3) {
      ADD_FAILURE() << file << ":" << n << ": malformed line";
      continue;
    }
    cases.push_back({n, Unescape(cols[0]), cols[1] == "OK", Unescape(cols[2])});
  }
  return cases;
}

void RunGolden(const std::string& file, size_t min_cases) {
  const auto cases = LoadCases(file);
  ASSERT_GE(cases.size(), min_cases) << "testdata missing or truncated: " << file;
  int failures = 0;
  for (const auto& c : cases) {
    auto got = ParseExpr(c.query);
    if (c.ok) {
      if (!got.ok()) {
        ADD_FAILURE() << file << ":" << c.line << ": " << c.query
                      << "\n  want OK, got error: " << got.status().message();
        ++failures;
      } else if (Prettify(**got) != c.expected) {
        ADD_FAILURE() << file << ":" << c.line << ": " << c.query << "\n  want: " << c.expected
                      << "\n  got:  " << Prettify(**got);
        ++failures;
      }
    } else {
      if (got.ok()) {
        ADD_FAILURE() << file << ":" << c.line << ": " << c.query << "\n  want error "
                      << c.expected << "\n  got OK: " << ToString(**got);
        ++failures;
      } else {
        EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
        if (got.status().message() != c.expected) {
          ADD_FAILURE() << file << ":" << c.line << ": " << c.query
                        << "\n  want: " << c.expected << "\n  got:  " << got.status().message();
          ++failures;
        }
      }
    }
    if (failures > 50) break;
  }
}

TEST(ParserGoldenTest, HandWrittenProbesMatchPrometheus) { RunGolden("parse_cases.txt", 500); }

TEST(ParserGoldenTest, GeneratedExpressionsMatchPrometheus) {
  RunGolden("random_cases.txt", 900);
}

}  // namespace
}  // namespace tally::promql
