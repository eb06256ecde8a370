// The shipped Grafana dashboard (examples/llm-cost-tracker/grafana-dashboard.json) against
// the demo's data: every panel query parses with Tally's PromQL parser once Grafana's
// variables are replaced by durations, and returns data from a store holding simulated
// history (`tally generate` + `tally backfill`) plus `tally rules backfill` of the example
// recording rules, as scripts/run-main.sh builds it (shorter: 3 hours instead of 7 days).
// Also: the example tally.yml is a config `tally serve` accepts and scrapes the simulator.
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "promql/parser/parser.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::tools {
namespace {

const std::string kTally = TALLY_BINARY_DIR "/tally";
const std::string kExample = TALLY_SOURCE_DIR "/examples/llm-cost-tracker";

// Queries whose data only the scrape loop writes (`up`): empty in a backfilled store.
bool NeedsLiveScrape(const std::string& expr) { return absl::StrContains(expr, "up{"); }

struct PanelQuery {
  std::string panel;
  std::string expr;
};

std::vector<PanelQuery> DashboardQueries() {
  std::ifstream in(kExample + "/grafana-dashboard.json");
  EXPECT_TRUE(in.good());
  const nlohmann::json d = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(d.is_discarded()) << "grafana-dashboard.json is not JSON";
  std::vector<PanelQuery> out;
  if (d.is_discarded()) return out;
  for (const auto& p : d.value("panels", nlohmann::json::array())) {
    for (const auto& t : p.value("targets", nlohmann::json::array())) {
      out.push_back({p.value("title", ""), t.value("expr", "")});
    }
  }
  return out;
}

// Grafana's built-in interval variables, as a Grafana would set them for a 6-hour view of
// 60s-spaced data.
std::string SubstituteGrafanaVariables(const std::string& expr) {
  return absl::StrReplaceAll(expr, {{"$__rate_interval", "5m"},
                                    {"${__rate_interval}", "5m"},
                                    {"$__interval", "1m"},
                                    {"${__interval}", "1m"},
                                    {"$__range", "6h"},
                                    {"${__range}", "6h"}});
}

TEST(DemoDashboardTest, IsImportableAndEveryQueryParses) {
  std::ifstream in(kExample + "/grafana-dashboard.json");
  const nlohmann::json d = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(d.is_discarded());
  // Importable as is: the data source is an import input every panel refers to.
  ASSERT_TRUE(d.contains("__inputs"));
  EXPECT_EQ(d["__inputs"][0]["name"], "DS_PROMETHEUS");
  EXPECT_EQ(d["__inputs"][0]["pluginId"], "prometheus");
  std::set<std::string> titles;
  for (const auto& p : d["panels"]) {
    titles.insert(p.value("title", ""));
    if (p.value("type", "") == "row") continue;
    EXPECT_EQ(p["datasource"]["uid"], "${DS_PROMETHEUS}") << p["title"];
  }
  // A few of the guide's panels by name, from both of its dashboards.
  for (const char* t : {"Total daily cost", "Budget utilization", "95th percentile latency",
                        "Top users by requests", "Memory usage", "Cache hit ratio",
                        "Service uptime"}) {
    EXPECT_EQ(titles.count(t), 1u) << t;
  }
  const std::vector<PanelQuery> queries = DashboardQueries();
  ASSERT_GE(queries.size(), 16u);
  for (const PanelQuery& q : queries) {
    const auto e = promql::ParseExpr(SubstituteGrafanaVariables(q.expr));
    EXPECT_TRUE(e.ok()) << q.panel << ": " << q.expr << ": " << e.status();
  }
}

TEST(DemoDashboardTest, EveryQueryReturnsDataFromTheDemoStore) {
  if (!testutil::HaveBinary(kTally)) GTEST_SKIP() << "build/tally not built";
  testutil::TempDir dir;
  const std::string data = dir.Sub("data"), om = dir.Sub("history.om");
  // 3 hours at the demo's history step, with users (the "Top users" panel needs user_id).
  constexpr int64_t kStartS = 1'795'910'400;  // aligned to 60 s
  constexpr int64_t kEndS = kStartS + 3 * 3600;
  auto run = [&](const std::vector<std::string>& args) {
    return testutil::RunToCompletion(kTally, args, dir.Sub("run"), "/dev/null",
                                     absl::Seconds(300));
  };
  testutil::RunResult r = run({"generate", "--start", absl::StrCat(kStartS * 1000), "--hours",
                               "3", "--step", "60s", "--users", "3", "--out", om});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"backfill", "--storage.tsdb.path", data, om});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"rules", "backfill", "--storage.tsdb.path", data, "--start",
           absl::StrCat(kStartS + 900), "--end", absl::StrCat(kEndS), "--eval-interval", "60s",
           kExample + "/rules/recording.yml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  int checked = 0;
  for (const PanelQuery& q : DashboardQueries()) {
    if (NeedsLiveScrape(q.expr)) continue;
    const std::string expr = SubstituteGrafanaVariables(q.expr);
    r = run({"query", "--storage.tsdb.path", data, "--time", absl::StrCat(kEndS - 120), expr});
    ASSERT_EQ(r.exit_code, 0) << q.panel << ": " << expr << "\n" << r.out << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    EXPECT_EQ(j["status"], "success") << r.out;
    EXPECT_FALSE(j["data"]["result"].empty())
        << "panel \"" << q.panel << "\": " << expr << " returned nothing";
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

// tally serve accepts the example config as is (rule files found, scrape and alerting
// sections valid) and answers on the address it is given.
TEST(DemoDashboardTest, ExampleConfigLoads) {
  if (!testutil::HaveBinary(kTally)) GTEST_SKIP() << "build/tally not built";
  testutil::TempDir dir;
  const int port = testutil::FreePort();
  ASSERT_GT(port, 0);
  auto serve = testutil::ChildProcess::Start(
      kTally,
      {"serve", "--config.file", kExample + "/tally.yml", "--storage.tsdb.path",
       dir.Sub("data"), "--web.listen-address", absl::StrCat("127.0.0.1:", port)},
      dir.Sub("serve.log"));
  ASSERT_NE(serve, nullptr);
  const bool ready = testutil::PollUntil(
      [&] {
        return serve->Log().find("ready to receive web requests") != std::string::npos ||
               !serve->Running();
      },
      absl::Seconds(30), absl::Milliseconds(50));
  ASSERT_TRUE(ready) << serve->Log();
  EXPECT_TRUE(serve->Running()) << serve->Log();
  EXPECT_EQ(serve->Log().find("level=error"), std::string::npos) << serve->Log();
}

}  // namespace
}  // namespace tally::tools
