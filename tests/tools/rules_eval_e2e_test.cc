// `tally rules eval` end to end: a real Prometheus 2.42 (scraping itself) is the query API,
// `tally serve` the remote-write receiver. Recording results and ALERTS written by the
// evaluator become queryable in Tally, and SIGTERM stops the evaluator with exit 0.
// Skips when /usr/bin/prometheus is absent; every wait is bounded.
#include <signal.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::tools {
namespace {

using tally::testing::HttpClient;

TEST(RulesEvalE2ETest, EvaluatesAgainstPrometheusAndWritesToTally) {
  if (!testutil::HaveBinary("/usr/bin/prometheus")) GTEST_SKIP() << "prometheus not installed";
  testutil::TempDir dir;
  const int prom_port = testutil::FreePort();
  const int tally_port = testutil::FreePort();
  std::ofstream(dir.Sub("prom.yml")) << absl::StrCat(
      "global: {scrape_interval: 1s}\nscrape_configs:\n- job_name: prom\n  static_configs:\n"
      "  - targets: ['127.0.0.1:", prom_port, "']\n");
  std::ofstream(dir.Sub("rules.yml"))
      << "groups:\n- name: e\n  interval: 1s\n  rules:\n  - record: job:up:sum\n"
         "    expr: sum by (job) (up)\n  - alert: PromUp\n    expr: sum by (job) (up) > 0\n"
         "    labels: {severity: info}\n";
  auto prom = testutil::ChildProcess::Start(
      "/usr/bin/prometheus",
      {"--config.file=" + dir.Sub("prom.yml"), "--storage.tsdb.path=" + dir.Sub("promdata"),
       absl::StrCat("--web.listen-address=127.0.0.1:", prom_port)},
      dir.Sub("prom.log"));
  auto tally = testutil::ChildProcess::Start(
      TALLY_BINARY_DIR "/tally",
      {"serve", "--storage.tsdb.path=" + dir.Sub("tallydata"),
       absl::StrCat("--web.listen-address=127.0.0.1:", tally_port)},
      dir.Sub("tally.log"));
  ASSERT_NE(prom, nullptr);
  ASSERT_NE(tally, nullptr);
  // Prometheus has scraped itself at least once.
  ASSERT_TRUE(testutil::PollUntil(
      [&] {
        return absl::StrContains(HttpClient(prom_port).Get("/api/v1/query?query=up").body,
                                 "\"job\":\"prom\"");
      },
      absl::Seconds(30)))
      << prom->Log();
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return HttpClient(tally_port).Get("/-/ready").status == 200; }, absl::Seconds(30)))
      << tally->Log();

  auto eval = testutil::ChildProcess::Start(
      TALLY_BINARY_DIR "/tally",
      {"rules", "eval", absl::StrCat("--query.url=http://127.0.0.1:", prom_port),
       absl::StrCat("--remote-write.url=http://127.0.0.1:", tally_port, "/api/v1/write"),
       "--eval-interval=1s", dir.Sub("rules.yml")},
      dir.Sub("eval.log"));
  ASSERT_NE(eval, nullptr);
  std::string got;
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        got = HttpClient(tally_port).Get("/api/v1/query?query=job:up:sum").body;
        return absl::StrContains(got, "\"__name__\":\"job:up:sum\",\"job\":\"prom\"");
      },
      absl::Seconds(30)))
      << got << eval->Log();
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        got = HttpClient(tally_port).Get("/api/v1/query?query=ALERTS").body;
        return absl::StrContains(got, "\"alertname\":\"PromUp\"") &&
               absl::StrContains(got, "\"alertstate\":\"firing\"");
      },
      absl::Seconds(30)))
      << got << eval->Log();

  kill(eval->pid(), SIGTERM);
  EXPECT_TRUE(testutil::PollUntil([&] { return !eval->Running(); }, absl::Seconds(20)));
  EXPECT_TRUE(absl::StrContains(eval->Log(), "Rule evaluation stopped")) << eval->Log();
}

}  // namespace
}  // namespace tally::tools
