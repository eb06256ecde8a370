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

// HTTP/1.0 GET on 127.0.0.1; the body of a 200, "" otherwise. 5 s socket timeouts.
std::string Get(int port, const std::string& target) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string resp;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string req = absl::StrCat("GET ", target, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      ssize_t n;
      while (resp.size() < (64 << 20) && (n = read(fd, buf, sizeof(buf))) > 0) resp.append(buf, n);
    }
  }
  close(fd);
  const size_t body = resp.find("\r\n\r\n");
  if (!absl::StartsWith(resp, "HTTP/1.1 200") && !absl::StartsWith(resp, "HTTP/1.0 200")) return "";
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

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
  return Get(port, "/api/v1/query?query=" + UrlEncode(q));
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
  const std::string targets = Get(port, "/api/v1/targets");
  EXPECT_TRUE(absl::StrContains(targets, "\"scrapePool\":\"sim\"")) << targets;
  EXPECT_TRUE(absl::StrContains(targets, "\"health\":\"up\"")) << targets;
  EXPECT_TRUE(absl::StrContains(Get(port, "/api/v1/metadata?metric=llm_cost_tracker_requests_total"),
                                "\"type\":\"counter\""));

  // File SD: adding the target to the file starts scraping it, removing it stops.
  WriteFile(dir.Sub("targets.json"),
            absl::StrCat(R"([{"targets": [")", sim_addr, R"("], "labels": {"via": "file"}}])"));
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return absl::StrContains(Query(port, "up{job=\"filesd\",via=\"file\"} == 1"), "\"1\"]"); },
      absl::Seconds(30)))
      << Get(port, "/api/v1/targets");
  WriteFile(dir.Sub("targets.json"), "[]");
  ASSERT_TRUE(testutil::PollUntil(
      [&] {
        return !absl::StrContains(Get(port, "/api/v1/targets?state=active"),
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
  EXPECT_TRUE(absl::StrContains(Get(port, "/api/v1/targets"), "\"health\":\"down\""));
}

}  // namespace
}  // namespace tally::tools
