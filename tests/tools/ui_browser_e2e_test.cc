// The web UI in a real browser: Debian's headless chromium, driven over the DevTools protocol
// (cdp_client.h), against `tally serve` on a store of generated LLM-cost data (tally generate,
// backfill, rules backfill of the example recording rules). Checks what a user sees against
// what the API answers, and writes a screenshot of every page to <build>/ui-screenshots/.
// Skips when chromium is not installed or the UI was not built (no node at build time).
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/tools/cdp_client.h"

namespace tally {
namespace {

using nlohmann::json;

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kTally = TALLY_BINARY_DIR "/tally";
constexpr const char* kScreenshots = TALLY_BINARY_DIR "/ui-screenshots";
constexpr int kHours = 2;

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

// The label-set text the table shows (web/src/api.js metricText): name{a="b", c="d"}.
std::string MetricText(const json& metric) {
  std::string name = metric.value("__name__", "");
  std::string labels;
  for (const auto& [k, v] : metric.items()) {  // nlohmann objects iterate in key order
    if (k == "__name__") continue;
    if (!labels.empty()) labels += ", ";
    labels += k + "=" + v.dump();
  }
  if (labels.empty()) return name.empty() ? "{}" : name;
  return name + "{" + labels + "}";
}

class UiBrowserE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testutil::HaveBinary(kChromium)) {
      skip_ = "chromium is not installed (apt-get install chromium)";
      return;
    }
    if (!std::ifstream(TALLY_BINARY_DIR "/web/dist/index.html").good()) {
      skip_ = "the web UI was not built (node/npm absent at build time)";
      return;
    }
    dir_ = new testutil::TempDir();
    std::string data = dir_->Sub("data");
    end_s_ = absl::ToUnixSeconds(absl::Now());
    const std::string rules_dir = TALLY_SOURCE_DIR "/examples/llm-cost-tracker/rules";
    // TALLY_UI_E2E_DATA: an existing store of generated data ending about now (with the
    // recording rules backfilled), e.g. a large one to measure the time to first chart.
    if (const char* given = std::getenv("TALLY_UI_E2E_DATA"); given != nullptr && *given) {
      data = given;
    } else {
      // ~590 series x 480 samples of LLM-cost data ending now, and the recording rules.
      testutil::RunResult gen = testutil::RunToCompletion(
          kTally, {"generate", absl::StrCat("--hours=", kHours), "--out=" + dir_->Sub("gen.om")},
          dir_->Sub("generate"));
      ASSERT_EQ(gen.exit_code, 0) << gen.err;
      testutil::RunResult bf = testutil::RunToCompletion(
          kTally, {"backfill", "--storage.tsdb.path=" + data, dir_->Sub("gen.om")},
          dir_->Sub("backfill"));
      ASSERT_EQ(bf.exit_code, 0) << bf.err;
      testutil::RunResult rb = testutil::RunToCompletion(
          kTally,
          {"rules", "backfill", "--storage.tsdb.path", data, "--eval-interval=2m", "--start",
           absl::StrCat(end_s_ - kHours * 3600), "--end", absl::StrCat(end_s_),
           rules_dir + "/recording.yml"},
          dir_->Sub("rulesbackfill"));
      ASSERT_EQ(rb.exit_code, 0) << rb.err;
    }
    std::ofstream(dir_->Sub("prom.yml")) << "global:\n  evaluation_interval: 30s\nrule_files:\n"
                                         << "  - " << rules_dir << "/recording.yml\n"
                                         << "  - " << rules_dir << "/alerts.yml\n";
    port_ = testutil::FreePort();
    server_ = testutil::ChildProcess::Start(
                  kTally,
                  {"serve", "--config.file=" + dir_->Sub("prom.yml"), "--storage.tsdb.path=" + data,
                   absl::StrCat("--web.listen-address=127.0.0.1:", port_)},
                  dir_->Sub("serve.log"))
                  .release();
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(testutil::PollUntil(
        [] {
          testing::HttpClient c(port_);
          return c.Get("/-/ready").status == 200;
        },
        absl::Seconds(30)))
        << server_->Log();
    absl::StatusOr<std::unique_ptr<testing::CdpClient>> b = testing::CdpClient::Launch(
        kChromium, dir_->Sub("chromium-profile"), dir_->Sub("chromium.log"));
    ASSERT_TRUE(b.ok()) << b.status();
    browser_ = b->release();
    mkdir(kScreenshots, 0755);
  }

  static void TearDownTestSuite() {
    delete browser_;
    delete server_;
    delete dir_;
    browser_ = nullptr;
    server_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_NE(browser_, nullptr) << "set-up failed";
  }

  static std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  static json Api(const std::string& target) {
    testing::HttpClient c(port_);
    testing::ClientResponse r = c.Get(target);
    return json::parse(r.body, nullptr, false);
  }
  void Shot(const std::string& name) {
    absl::Status s = browser_->Screenshot(absl::StrCat(kScreenshots, "/", name, ".png"));
    EXPECT_TRUE(s.ok()) << s;
  }
  // A query time inside the data, as the graph page's end_input ("YYYY-MM-DD HH:mm:ss" UTC).
  static int64_t QueryTime() { return end_s_ - 600; }
  static std::string EndInput() {
    return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(QueryTime()),
                            absl::UTCTimeZone());
  }

  static inline std::string skip_;
  static inline testutil::TempDir* dir_ = nullptr;
  static inline testutil::ChildProcess* server_ = nullptr;
  static inline testing::CdpClient* browser_ = nullptr;
  static inline int port_ = 0;
  static inline int64_t end_s_ = 0;
};

constexpr const char* kPanelDone =
    "['done','error'].includes(document.querySelector('.panel')?.dataset.state)";
constexpr const char* kPanelIdle = "document.querySelector('.panel')?.dataset.state === 'idle'";

TEST_F(UiBrowserE2ETest, TableTabShowsTheValuesTheQueryApiReturns) {
  const std::string expr = "sum by (model, provider) (rate(llm_cost_tracker_requests_total[5m]))";
  ASSERT_TRUE(browser_
                  ->NavigateAndWait(Url(absl::StrCat("/graph?g0.expr=", UrlEncode(expr),
                                                     "&g0.tab=1&g0.end_input=",
                                                     UrlEncode(EndInput()))),
                                    kPanelDone)
                  .ok());
  absl::StatusOr<json> rows = browser_->Eval(
      "Array.from(document.querySelectorAll('table.result tr.series')).map(r => "
      "[r.querySelector('.labels').textContent, r.querySelector('.value').textContent])");
  ASSERT_TRUE(rows.ok()) << rows.status();
  json api = Api(absl::StrCat("/api/v1/query?query=", UrlEncode(expr), "&time=", QueryTime()));
  ASSERT_EQ(api.value("status", ""), "success") << api.dump();
  std::map<std::string, std::string> want, got;
  for (const json& s : api["data"]["result"]) {
    want[MetricText(s["metric"])] = s["value"][1].get<std::string>();
  }
  for (const json& r : *rows) got[r[0].get<std::string>()] = r[1].get<std::string>();
  ASSERT_EQ(want.size(), 6u) << api.dump();  // one row per catalogue model
  EXPECT_EQ(got, want);
  EXPECT_TRUE(browser_->TakeErrors().empty());
  Shot("graph-table");
}

TEST_F(UiBrowserE2ETest, GraphTabDrawsOneLinePerSeries) {
  const std::string expr = "sum by (model) (llm:cost_per_model_1h)";
  ASSERT_TRUE(browser_
                  ->NavigateAndWait(Url(absl::StrCat("/graph?g0.expr=", UrlEncode(expr),
                                                     "&g0.tab=0&g0.range_input=1h&g0.end_input=",
                                                     UrlEncode(EndInput()))),
                                    kPanelDone)
                  .ok());
  // The page's step for 1h: max(floor(3600 / 250), 1) = 14 s.
  json api = Api(absl::StrCat("/api/v1/query_range?query=", UrlEncode(expr),
                              "&start=", QueryTime() - 3600, "&end=", QueryTime(), "&step=14"));
  ASSERT_EQ(api.value("status", ""), "success") << api.dump();
  const size_t n = api["data"]["result"].size();
  ASSERT_EQ(n, 6u);
  absl::StatusOr<json> drawn = browser_->Eval(R"js((() => {
    const chart = document.querySelector('.panel .chart');
    const canvas = chart.querySelector('canvas');
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colors = new Set();
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 255) colors.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    }
    return { series: +chart.dataset.series,
             legend: chart.querySelectorAll('.u-legend .u-series').length - 1,
             colors: colors.size,
             error: document.querySelector('.panel .error').hidden };
  })())js");
  ASSERT_TRUE(drawn.ok()) << drawn.status();
  EXPECT_EQ((*drawn)["series"].get<size_t>(), n) << drawn->dump();
  EXPECT_EQ((*drawn)["legend"].get<size_t>(), n) << drawn->dump();
  // Each line has its own palette colour; grid lines and axis text add a few more.
  EXPECT_GE((*drawn)["colors"].get<size_t>(), n) << drawn->dump();
  EXPECT_TRUE((*drawn)["error"].get<bool>());
  EXPECT_TRUE(browser_->TakeErrors().empty());
  absl::StatusOr<json> first = browser_->Eval("window.__tallyFirstChartMs");
  if (first.ok() && first->is_number()) {
    std::printf("graph: time to first chart %.0f ms (1h of %zu series)\n", first->get<double>(), n);
  }
  Shot("graph");
}

TEST_F(UiBrowserE2ETest, SyntaxErrorShowsTheParsersMessage) {
  const std::string expr = "sum(rate(llm_cost_tracker_requests_total[5m])";
  ASSERT_TRUE(browser_
                  ->NavigateAndWait(Url(absl::StrCat("/graph?g0.expr=", UrlEncode(expr),
                                                     "&g0.tab=1")),
                                    kPanelDone)
                  .ok());
  json api = Api(absl::StrCat("/api/v1/query?query=", UrlEncode(expr)));
  ASSERT_EQ(api.value("errorType", ""), "bad_data") << api.dump();
  absl::StatusOr<json> shown = browser_->Eval("document.querySelector('.panel .error').textContent");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->get<std::string>(),
            "Error executing query: " + api["error"].get<std::string>());
  Shot("graph-error");
  browser_->TakeErrors();  // the 400 answer is logged as a failed load; that is the point
}

TEST_F(UiBrowserE2ETest, ExpressionBoxCompletesFormatsAndExecutesOnEnter) {
  ASSERT_TRUE(browser_->NavigateAndWait(Url("/graph"), kPanelIdle).ok());
  // Typing part of a metric name offers the matching names.
  ASSERT_TRUE(browser_->Eval("document.querySelector('textarea.expr').focus()").ok());
  ASSERT_TRUE(browser_->Call("Input.insertText", {{"text", "llm_cost_tracker_request"}}).ok());
  absl::StatusOr<json> offered;
  ASSERT_TRUE(testutil::PollUntil(
      [&] {
        offered = browser_->Eval(
            "Array.from(document.querySelectorAll('.completions:not([hidden]) li'))"
            ".map(li => li.textContent)");
        return offered.ok() && offered->is_array() && !offered->empty();
      },
      absl::Seconds(10)));
  // Exactly the stored metric names with that prefix, in the API's order.
  json expected = json::array();
  const json names = Api("/api/v1/label/__name__/values");
  ASSERT_TRUE(names.contains("data")) << names.dump();
  for (const json& name : names["data"]) {
    if (absl::StartsWith(name.get<std::string>(), "llm_cost_tracker_request")) {
      expected.push_back(name);
    }
  }
  ASSERT_GE(expected.size(), 2u) << names.dump();
  EXPECT_EQ(*offered, expected);
  // Picking one replaces the word being typed.
  const size_t pick = expected.size() - 1;
  ASSERT_TRUE(browser_
                  ->Eval(absl::StrCat("document.querySelectorAll('.completions li')[", pick,
                                      "].dispatchEvent(new MouseEvent('mousedown', "
                                      "{bubbles: true}))"))
                  .ok());
  EXPECT_EQ(browser_->Eval("document.querySelector('textarea.expr').value").value(),
            expected[pick]);
  // Format gives the server's canonical text.
  const std::string raw = "sum(rate(llm_cost_tracker_requests_total[5m]))by(model)";
  ASSERT_TRUE(browser_
                  ->Eval(absl::StrCat("document.querySelector('textarea.expr').value = ",
                                      json(raw).dump(),
                                      "; document.querySelector('button.format').click()"))
                  .ok());
  json formatted = Api("/api/v1/format_query?query=" + UrlEncode(raw));
  ASSERT_EQ(formatted.value("status", ""), "success") << formatted.dump();
  const std::string want = formatted["data"].get<std::string>();
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        absl::StatusOr<json> v = browser_->Eval("document.querySelector('textarea.expr').value");
        return v.ok() && *v == want;
      },
      absl::Seconds(10)))
      << want;
  // Enter executes (graph tab by default) and the URL carries the state.
  for (const char* type : {"keyDown", "keyUp"}) {
    ASSERT_TRUE(browser_
                    ->Call("Input.dispatchKeyEvent", {{"type", type},
                                                      {"key", "Enter"},
                                                      {"code", "Enter"},
                                                      {"windowsVirtualKeyCode", 13}})
                    .ok());
  }
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        absl::StatusOr<json> v = browser_->Eval(kPanelDone);
        return v.ok() && *v == true;
      },
      absl::Seconds(20)));
  absl::StatusOr<json> search = browser_->Eval("new URLSearchParams(location.search).get('g0.expr')");
  ASSERT_TRUE(search.ok());
  EXPECT_EQ(*search, want);
  EXPECT_EQ(browser_->Eval("document.querySelector('.panel .chart').dataset.series").value(), "6");
  EXPECT_EQ(browser_->TakeErrors(), std::vector<std::string>{});
}

TEST_F(UiBrowserE2ETest, LlmCostDashboardDrawsEveryPanelWithData) {
  // TALLY_UI_E2E_RANGE: the dashboard's range (15m ... 7d), e.g. to time a long one.
  const char* range = std::getenv("TALLY_UI_E2E_RANGE");
  ASSERT_TRUE(browser_
                  ->NavigateAndWait(Url(absl::StrCat("/dashboards/llm-cost?range=",
                                                     range != nullptr && *range ? range : "1h")),
                                    "document.getElementById('app').dataset.state === 'done'",
                                    absl::Seconds(60))
                  .ok());
  std::ifstream in(TALLY_SOURCE_DIR "/examples/llm-cost-tracker/dashboard.json");
  json dash = json::parse(in, nullptr, false);
  ASSERT_TRUE(dash.contains("panels"));
  absl::StatusOr<json> panels = browser_->Eval(
      "Array.from(document.querySelectorAll('.dash-panel')).map(p => ({title: "
      "p.querySelector('h2').textContent, state: p.dataset.state, series: "
      "+(p.querySelector('.chart').dataset.series || 0), canvas: !!p.querySelector('canvas')}))");
  ASSERT_TRUE(panels.ok()) << panels.status();
  ASSERT_EQ(panels->size(), dash["panels"].size());
  for (const json& p : *panels) {
    EXPECT_EQ(p["state"], "ok") << p.dump();
    EXPECT_GT(p["series"].get<int>(), 0) << p.dump();
    EXPECT_TRUE(p["canvas"].get<bool>()) << p.dump();
  }
  absl::StatusOr<json> first = browser_->Eval("window.__tallyFirstChartMs");
  if (first.ok() && first->is_number()) {
    std::printf("dashboard: time to first chart %.0f ms (navigation start to first panel)\n",
                first->get<double>());
  }
  EXPECT_EQ(browser_->TakeErrors(), std::vector<std::string>{});
  Shot("dashboard-llm-cost");
}

TEST_F(UiBrowserE2ETest, OtherPagesRenderWithoutErrors) {
  const std::vector<std::pair<std::string, std::string>> pages = {
      {"alerts", "HighRequestLatency"},
      {"rules", "llm:cost_per_model_1h"},
      {"targets", "No targets"},
      {"status", "seriesCountByMetricName"},
      {"config", "rule_files"}};
  for (const auto& [page, text] : pages) {
    SCOPED_TRACE(page);
    ASSERT_TRUE(browser_
                    ->NavigateAndWait(Url("/" + page),
                                      "document.getElementById('app').dataset.state === 'done'")
                    .ok());
    absl::StatusOr<json> body = browser_->Eval("document.getElementById('app').innerText");
    ASSERT_TRUE(body.ok());
    if (page == "status") {
      // The TSDB section lists the top metric names by series count.
      EXPECT_NE(body->get<std::string>().find("Top 10 series count by metric names"),
                std::string::npos);
    } else {
      EXPECT_NE(body->get<std::string>().find(text), std::string::npos) << body->dump();
    }
    std::vector<std::string> errors = browser_->TakeErrors();
    if (page == "targets") {
      // Without scraping /api/v1/targets may answer 404, which the browser logs as a failed
      // load; the page must still not throw.
      for (const std::string& e : errors) EXPECT_EQ(e.rfind("exception", 0), std::string::npos) << e;
    } else {
      EXPECT_EQ(errors, std::vector<std::string>{});
    }
    Shot(page);
  }
}

}  // namespace
}  // namespace tally
