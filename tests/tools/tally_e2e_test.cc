// End-to-end tests of the `tally` binary (build/tally, run as a subprocess).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/ingest/go_float.h"
#include "storage/ingest/text_parser.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"
#include "tools/sim/llm_cost_generator.h"


namespace tally::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

using testutil::RunResult;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}

// Runs build/tally with args; stdin from `stdin_path` (or /dev/null). Kills it after 120 s.
RunResult RunTally(const testutil::TempDir& dir, const std::vector<std::string>& args,
                   const std::string& stdin_path = "/dev/null") {
  return testutil::RunToCompletion(TALLY_BINARY_DIR "/tally", args, dir.Sub("tally"),
                                   stdin_path);
}

// What `tsdb dump` must print for `text`: computed independently of the storage engine
// by parsing the file, sorting series by labels and samples by time.
std::string ExpectedDump(const std::string& text, storage::TextFormat f) {
  std::map<storage::Labels, std::map<int64_t, double>> series;
  storage::TextParser p(text, f);
  while (true) {
    absl::StatusOr<storage::TextEntry> e = p.Next();
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok() || *e == storage::TextEntry::kEnd) break;
    if (*e == storage::TextEntry::kSample) {
      series[p.BuildLabels()].emplace(p.timestamp_ms(), p.value());
    }
  }
  std::string out;
  for (const auto& [labels, samples] : series) {
    const std::string l = labels.ToString();
    for (const auto& [t, v] : samples) {
      absl::StrAppend(&out, l, " ", storage::FormatGoFloat(v), " ", t, "\n");
    }
  }
  return out;
}

std::string GenerateText(storage::TextFormat f, double hours) {
  sim::LlmCostOptions o;
  o.seed = 3;
  o.hours = hours;
  o.format = f;
  std::string out;
  EXPECT_TRUE(sim::WriteLlmCostData(o, [&](absl::string_view p) {
                out.append(p.data(), p.size());
                return absl::OkStatus();
              }).ok());
  return out;
}

TEST(TallyE2ETest, HelpAndVersionExitZero) {
  testutil::TempDir dir;
  RunResult help = RunTally(dir, {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("backfill"));
  EXPECT_THAT(help.out, HasSubstr("tsdb analyze"));
  EXPECT_THAT(help.out, HasSubstr("tsdb dump"));
  RunResult version = RunTally(dir, {"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, MatchesRegex("tally, version [0-9.]+ \\(branch: .*, revision: .*\\)\n(.|\n)*"));
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"backfill", "--help"}, {"tsdb", "analyze", "--help"}, {"tsdb", "dump", "-h"},
           {"generate", "--help"}, {"help", "backfill"}}) {
    RunResult r = RunTally(dir, args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_THAT(r.out, HasSubstr("usage: tally ")) << args[0];
    EXPECT_THAT(r.out, HasSubstr("--log.level")) << args[0];
  }
}

TEST(TallyE2ETest, UsageErrorsExitTwo) {
  testutil::TempDir dir;
  const std::vector<std::vector<std::string>> cases = {
      {}, {"frobnicate"}, {"--nope"}, {"tsdb"}, {"tsdb", "explode"},
      {"backfill", "--nope", "x"}, {"backfill"}, {"backfill", "--format=csv", "x"},
      {"tsdb", "dump", "--match", "{a=\"\"}"}, {"generate", "--hours=abc"},
      {"backfill", "--log.level=loud", "x"}};
  for (const auto& args : cases) {
    RunResult r = RunTally(dir, args);
    EXPECT_EQ(r.exit_code, 2) << (args.empty() ? "" : args[0]) << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("error")) << r.err;
  }
}

TEST(TallyE2ETest, BackfillThenDumpIsBitForBit) {
  testutil::TempDir dir;
  const std::string text = GenerateText(storage::TextFormat::kOpenMetrics, 0.25);
  WriteFile(dir.Sub("in.om"), text);
  const std::string data = dir.Sub("data");
  RunResult b = RunTally(dir, {"backfill", "--storage.tsdb.path", data, dir.Sub("in.om")});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_THAT(b.out, HasSubstr("format:            openmetrics"));
  EXPECT_THAT(b.out, HasSubstr(absl::StrCat("series:            ",
                                            sim::LlmCostSeriesPerInstance())));
  EXPECT_THAT(b.out, HasSubstr("rejected:          0 "));
  RunResult d = RunTally(dir, {"tsdb", "dump", "--storage.tsdb.path", data});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const std::string expected = ExpectedDump(text, storage::TextFormat::kOpenMetrics);
  EXPECT_TRUE(d.out == expected) << "dump differs from the input (sizes " << d.out.size()
                                 << " vs " << expected.size() << ")";

  RunResult a = RunTally(dir, {"tsdb", "analyze", "--storage.tsdb.path", data});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(a.out, HasSubstr(absl::StrCat("Series:            ",
                                            sim::LlmCostSeriesPerInstance(), "\n")));
  EXPECT_THAT(a.out, HasSubstr(absl::StrCat("Samples:           ",
                                            sim::LlmCostSeriesPerInstance() * 60, "\n")));
  EXPECT_THAT(a.out, HasSubstr("Bytes per sample:"));
  // 25 families: the guide's application metrics (tools/sim, docs/cli.md#tally-simulate).
  EXPECT_THAT(a.out, HasSubstr("Metadata:          25 metric families\n"));
  EXPECT_THAT(a.out, HasSubstr("model"));
  // Per-encoding table: integer-valued series (request and token counters, buckets) are
  // packed, and the rows account for every persisted sample.
  const size_t enc = a.out.find("Persisted chunks by encoding");
  ASSERT_NE(enc, std::string::npos) << a.out;
  EXPECT_THAT(a.out, HasSubstr("Persisted chunks by metric family"));
  EXPECT_THAT(a.out, HasSubstr("packed-int"));
  int64_t enc_samples = 0;
  std::vector<std::string> rows = absl::StrSplit(a.out.substr(enc), '\n');
  for (size_t i = 2; i < rows.size() && !rows[i].empty(); ++i) {
    std::vector<std::string> f = absl::StrSplit(rows[i], ' ', absl::SkipEmpty());
    ASSERT_EQ(f.size(), 5u) << rows[i];
    int64_t n = 0;
    ASSERT_TRUE(absl::SimpleAtoi(f[2], &n)) << rows[i];
    enc_samples += n;
  }
  EXPECT_EQ(enc_samples, sim::LlmCostSeriesPerInstance() * 60);

  // --match and time bounds select a subset.
  RunResult m = RunTally(dir, {"tsdb", "dump", "--storage.tsdb.path", data, "--match",
                               "llm_cost_tracker_errors_total{model=\"gpt-4o\",type=\"timeout\"}"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  int lines = 0;
  for (absl::string_view l : absl::StrSplit(m.out, '\n', absl::SkipEmpty())) {
    ++lines;
    EXPECT_TRUE(absl::StartsWith(l, "{__name__=\"llm_cost_tracker_errors_total\"")) << l;
    EXPECT_THAT(std::string(l), HasSubstr("type=\"timeout\""));
  }
  EXPECT_EQ(lines, 60);
}

TEST(TallyE2ETest, PrometheusTextFromStdin) {
  testutil::TempDir dir;
  const std::string text =
      "# TYPE up gauge\n"
      "up{job=\"a\"} 1 1000\n"
      "up{job=\"a\"} 0 16000\n"
      "x{v=\"q\\\"\\\\\\n\"} -Inf 1000\n"
      "y 1e+06 1000\ny NaN 2000\ny 0.1 3000\n";
  WriteFile(dir.Sub("in.prom"), text);
  const std::string data = dir.Sub("data");
  RunResult b = RunTally(dir, {"backfill", "--storage.tsdb.path=" + data, "-"},
                         dir.Sub("in.prom"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_THAT(b.out, HasSubstr("format:            prometheus"));
  RunResult d = RunTally(dir, {"tsdb", "dump", "--storage.tsdb.path", data});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out,
            "{__name__=\"up\", job=\"a\"} 1 1000\n"
            "{__name__=\"up\", job=\"a\"} 0 16000\n"
            "{__name__=\"x\", v=\"q\\\"\\\\\\n\"} -Inf 1000\n"
            "{__name__=\"y\"} 1e+06 1000\n"
            "{__name__=\"y\"} NaN 2000\n"
            "{__name__=\"y\"} 0.1 3000\n");
  RunResult t = RunTally(dir, {"tsdb", "dump", "--storage.tsdb.path", data, "--min-time=1500",
                               "--max-time", "2000"});
  EXPECT_EQ(t.out, "{__name__=\"y\"} NaN 2000\n");
}

TEST(TallyE2ETest, MalformedFileFailsWithLineAndKeepsExistingData) {
  testutil::TempDir dir;
  const std::string data = dir.Sub("data");
  WriteFile(dir.Sub("good.prom"), "kept{a=\"1\"} 1 1000\nkept{a=\"1\"} 2 2000\n");
  ASSERT_EQ(RunTally(dir, {"backfill", "--storage.tsdb.path", data, dir.Sub("good.prom")})
                .exit_code,
            0);
  const RunResult before = RunTally(dir, {"tsdb", "dump", "--storage.tsdb.path", data});
  ASSERT_EQ(before.exit_code, 0);
  ASSERT_FALSE(before.out.empty());

  // A valid prefix (which would land if the import were not all-or-nothing), then junk.
  std::string bad = GenerateText(storage::TextFormat::kOpenMetrics, 0.1);
  bad.insert(bad.find("llm_cost_tracker_errors_total{"), "llm_cost_tracker_errors_total{a=b} 1 1\n");
  const int bad_line = static_cast<int>(std::count(bad.begin(), bad.begin() + bad.find("{a=b}"), '\n')) + 1;
  WriteFile(dir.Sub("bad.om"), bad);
  RunResult r = RunTally(dir, {"backfill", "--storage.tsdb.path", data, dir.Sub("bad.om")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("line ", bad_line, ": expected label value")));

  WriteFile(dir.Sub("noeof.om"), "# TYPE a gauge\na 1 1\n");
  r = RunTally(dir, {"backfill", "--storage.tsdb.path", data, "--format=openmetrics",
                     dir.Sub("noeof.om")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("line 2: data does not end with # EOF"));

  RunResult missing = RunTally(dir, {"backfill", "--storage.tsdb.path", data, dir.Sub("nope")});
  EXPECT_EQ(missing.exit_code, 1);
  RunResult no_dir = RunTally(dir, {"tsdb", "analyze", "--storage.tsdb.path", dir.Sub("typo")});
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_THAT(no_dir.err, HasSubstr("no such data dir"));
  EXPECT_NE(access(dir.Sub("typo").c_str(), F_OK), 0);  // not created

  const RunResult after = RunTally(dir, {"tsdb", "dump", "--storage.tsdb.path", data});
  EXPECT_EQ(after.exit_code, 0);
  EXPECT_EQ(after.out, before.out);
}

TEST(TallyE2ETest, GenerateIsDeterministicAndMatchesLibrary) {
  testutil::TempDir dir;
  RunResult g = RunTally(dir, {"generate", "--hours=0.1", "--seed=3", "--start=1700000000000",
                               "--format=prometheus", "--out", dir.Sub("g.prom")});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  sim::LlmCostOptions o;
  o.seed = 3;
  o.hours = 0.1;
  o.start_ms = 1700000000000;
  o.format = storage::TextFormat::kPrometheus;
  std::string want;
  ASSERT_TRUE(sim::WriteLlmCostData(o, [&](absl::string_view p) {
                want.append(p.data(), p.size());
                return absl::OkStatus();
              }).ok());
  EXPECT_TRUE(ReadFile(dir.Sub("g.prom")) == want);
}

TEST(TallyE2ETest, DumpMatchesPromtool) {
  // The reference: promtool's own blocks and dump for the same OpenMetrics file.
  if (access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool not installed";
  testutil::TempDir dir;
  const std::string text = GenerateText(storage::TextFormat::kOpenMetrics, 0.25);
  WriteFile(dir.Sub("in.om"), text);
  const std::string cmd = absl::StrCat(
      "promtool tsdb create-blocks-from openmetrics ", dir.Sub("in.om"), " ", dir.Sub("prom"),
      " >/dev/null 2>&1 && mkdir -p ", dir.Sub("prom/wal"), " && promtool tsdb dump ",
      dir.Sub("prom"), " > ", dir.Sub("prom.dump"), " 2>/dev/null");
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "promtool failed: " << cmd;
  RunResult b = RunTally(dir, {"backfill", "--storage.tsdb.path", dir.Sub("data"), dir.Sub("in.om")});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  RunResult d = RunTally(dir, {"tsdb", "dump", "--storage.tsdb.path", dir.Sub("data")});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const std::string prom = ReadFile(dir.Sub("prom.dump"));
  ASSERT_FALSE(prom.empty());
  EXPECT_TRUE(d.out == prom) << "tally and promtool dumps differ";
}

}  // namespace
}  // namespace tally::tools
