// End-to-end test of scraping: `tally serve` scrapes `tally simulate` on loopback (both
// build/tally subprocesses): the simulator's metrics become queryable with up == 1,
// relabel_configs / metric_relabel_configs take effect, a file_sd file edit adds and removes
// a target without restart, and a killed simulator turns up to 0 and its series stale.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::tools {
namespace {

const std::string kTally = TALLY_BINARY_DIR "/tally";

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '_' || c == '-' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

std::string Query(int port, const std::string& q) {
  return testutil::HttpGet(port, "/api/v1/query?query=" + UrlEncode(q));
}

void WriteFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  ASSERT_EQ(rename(tmp.c_str(), path.c_str()), 0);
}

TEST(ScrapeE2e, ServeScrapesTheSimulator) {
  if (!testutil::HaveBinary(kTally)) GTEST_SKIP() << "build/tally not built";
  testutil::TempDir dir;
  const int sim_port = testutil::FreePort();
  const int port = testutil::FreePort();
  const std::string sim_addr = absl::StrCat("127.0.0.1:", sim_port);
  auto sim = testutil::ChildProcess::Start(
      kTally, {"simulate", "--web.listen-address", sim_addr, "--interval", "1s"},
      dir.Sub("sim.log"));
  ASSERT_NE(sim, nullptr);
  WriteFile(dir.Sub("targets.json"), "[]");
  WriteFile(dir.Sub("tally.yml"), absl::StrCat(R"(
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: sim
    static_configs:
      - targets: [')", sim_addr, R"(']
    relabel_configs:
      - target_label: env
        replacement: e2e
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'llm_cost_tracker_requests_total'
        target_label: relabeled
        replacement: 'yes'
  - job_name: filesd
    file_sd_configs:
      - files: [')", dir.Sub("targets.json"), R"(']
        refresh_interval: 1s
)"));
  auto serve = testutil::ChildProcess::Start(
      kTally,
      {"serve", "--config.file", dir.Sub("tally.yml"), "--storage.tsdb.path", dir.Sub("data"),
       "--web.listen-address", absl::StrCat("127.0.0.1:", port)},
      dir.Sub("serve.log"));
  ASSERT_NE(serve, nullptr);

  // Seed metrics queryable, up == 1, relabeling applied.
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return absl::StrContains(Query(port, "up{job=\"sim\",env=\"e2e\"} == 1"), "\"1\"]"); },
      absl::Seconds(30)))
      << serve->Log() << sim->Log();
  ASSERT_TRUE(testutil::PollUntil(
      [&] {
        return absl::StrContains(
            Query(port, "count(llm_cost_tracker_requests_total{job=\"sim\",relabeled=\"yes\"})"),
            "\"value\"");
      },
      absl::Seconds(10)));
  EXPECT_FALSE(absl::StrContains(Query(port, "llm_cost_tracker_tokens_total{relabeled=\"yes\"}"),
                                 "\"metric\""));
  const std::string targets = testutil::HttpGet(port, "/api/v1/targets");
  EXPECT_TRUE(absl::StrContains(targets, "\"scrapePool\":\"sim\"")) << targets;
  EXPECT_TRUE(absl::StrContains(targets, "\"health\":\"up\"")) << targets;
  EXPECT_TRUE(absl::StrContains(
      testutil::HttpGet(port, "/api/v1/metadata?metric=llm_cost_tracker_requests_total"),
      "\"type\":\"counter\""));

  // File SD: adding the target to the file starts scraping it, removing it stops.
  WriteFile(dir.Sub("targets.json"),
            absl::StrCat(R"([{"targets": [")", sim_addr, R"("], "labels": {"via": "file"}}])"));
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return absl::StrContains(Query(port, "up{job=\"filesd\",via=\"file\"} == 1"), "\"1\"]"); },
      absl::Seconds(30)))
      << testutil::HttpGet(port, "/api/v1/targets");
  WriteFile(dir.Sub("targets.json"), "[]");
  ASSERT_TRUE(testutil::PollUntil(
      [&] {
        return !absl::StrContains(testutil::HttpGet(port, "/api/v1/targets?state=active"),
                                  "\"scrapePool\":\"filesd\"");
      },
      absl::Seconds(30)));

  // Kill the target: up turns 0 and its series go stale (an instant query finds nothing).
  sim.reset();
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return absl::StrContains(Query(port, "up{job=\"sim\"} == 0"), "\"0\"]"); },
      absl::Seconds(20)));
  ASSERT_TRUE(testutil::PollUntil(
      [&] {
        return absl::StrContains(Query(port, "llm_cost_tracker_requests_total{job=\"sim\"}"),
                                 "\"result\":[]");
      },
      absl::Seconds(10)));
  EXPECT_TRUE(absl::StrContains(testutil::HttpGet(port, "/api/v1/targets"), "\"health\":\"down\""));
}

}  // namespace
}  // namespace tally::tools
