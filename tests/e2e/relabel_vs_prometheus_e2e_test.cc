// Target relabeling side by side with Prometheus 2.42: the same scrape_configs (every relabel
// action, ports, params, interval overrides, keep/drop) are loaded into a real Prometheus on
// loopback and into PopulateTargets; the labels, scrape URLs, intervals and timeouts of the
// active targets and the number of dropped targets must agree. Skips without
// /usr/bin/prometheus.
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/config/config.h"
#include "server/scrape/target.h"
#include "storage/util/duration.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server::scrape {
namespace {

// Targets point at closed loopback ports: nothing is scraped, only discovered.
constexpr char kConfig[] = R"yaml(
global: {scrape_interval: 1h, scrape_timeout: 10s}
scrape_configs:
- job_name: replace
  static_configs: [{targets: ["127.0.0.1:1"], labels: {a: foo, b: bar, x: old, n: "1bad"}}]
  relabel_configs:
  - {source_labels: [a], regex: "f(.*)", target_label: d, replacement: "ch${1}-ch${1}"}
  - {source_labels: [a, b], regex: "(f.*);(.*r)", target_label: a2, replacement: "${2}-${1}"}
  - {source_labels: [a, zz], separator: "|", target_label: sep}
  - {source_labels: [a], regex: "bar", target_label: a, replacement: "x"}
  - {source_labels: [a], regex: "(.*)", target_label: "${1}", replacement: "bar"}
  - {source_labels: [n], regex: "(.*)", target_label: "$1", replacement: "zzz"}
  - {source_labels: [a], regex: "(.*)", target_label: "x_${1}", replacement: "v"}
  - {source_labels: [b], regex: "(.*)", target_label: "${1}", replacement: "$2"}
  - {source_labels: [a], regex: "(?P<first>[a-z])(.*)", target_label: e, replacement: "$$${first}|$2|$1x|${1}x|$|${9}|$0"}
- job_name: hash_case_map
  static_configs: [{targets: ["127.0.0.1:1"], labels: {a: "FoO", __meta_foo: one, __meta_bar_baz: two, drop_me: "1"}}]
  relabel_configs:
  - {source_labels: [a], modulus: 1000, target_label: h1, action: hashmod}
  - {source_labels: [a, __address__], modulus: 18446744073709551615, target_label: h2, action: hashmod}
  - {source_labels: [a], target_label: lo, action: lowercase}
  - {source_labels: [a], target_label: up, action: uppercase}
  - {regex: "__meta_(.+)", replacement: "m_$1", action: labelmap}
  - {regex: "m_(bar)_(.*)", replacement: "${2}_$1", action: labelmap}
  - {regex: "drop_.*", action: labeldrop}
- job_name: keep_drop
  static_configs:
  - {targets: ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:11"], labels: {a: "1", b: "1"}}
  - {targets: ["127.0.0.1:1"], labels: {a: "1", b: "2"}}
  relabel_configs:
  - {source_labels: [__address__], regex: ".*:[123]", action: keep}
  - {source_labels: [__address__], regex: ".*:2", action: drop}
  - {source_labels: [a], target_label: b, action: keepequal}
  - {regex: "__.*|a|b|job|instance", action: labelkeep}
- job_name: addresses
  metrics_path: /m p
  params: {q: [a b, c], z: ["1"]}
  static_configs: [{targets: ["example.com", "[::1]", "127.0.0.1:5", "[::1]:9"], labels: {__param_extra: "x&y"}}]
  relabel_configs:
  - {source_labels: [__address__], regex: "127.*", target_label: __scrape_interval__, replacement: 30s}
  - {source_labels: [__address__], regex: "127.*", target_label: __scrape_timeout__, replacement: 20s}
  - {source_labels: [__address__], regex: "127.*", target_label: __param_z, replacement: "2"}
- job_name: https
  scheme: https
  static_configs: [{targets: ["example.org", "h:1"], labels: {instance: "given"}}]
)yaml";

TEST(RelabelVsPrometheusE2ETest, TargetsMatchPrometheus242) {
  const std::string bin = "/usr/bin/prometheus";
  if (!testutil::HaveBinary(bin)) GTEST_SKIP() << "prometheus not installed";
  testutil::TempDir dir;
  const std::string cfg_path = dir.Sub("prometheus.yml");
  std::ofstream(cfg_path) << kConfig;
  const int port = testutil::FreePort();
  auto prom = testutil::ChildProcess::Start(
      bin,
      {"--config.file=" + cfg_path, "--web.listen-address=127.0.0.1:" + std::to_string(port),
       "--storage.tsdb.path=" + dir.Sub("data")},
      dir.Sub("prometheus.log"));
  ASSERT_NE(prom, nullptr);

  absl::StatusOr<config::Config> cfg = config::ParseConfig(kConfig);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  // Ours: job -> (scrapeUrl -> labels, interval, timeout).
  std::map<std::string, std::map<std::string, std::string>> ours;
  size_t our_dropped = 0, our_active = 0;
  for (const config::ScrapeConfig& sc : cfg->scrape_configs) {
    absl::StatusOr<Relabeler> r = Relabeler::Compile(sc.relabel_configs);
    ASSERT_TRUE(r.ok()) << r.status();
    PopulatedTargets p = PopulateTargets(sc, *r, StaticTargetGroups(sc));
    EXPECT_TRUE(p.errors.empty());
    our_dropped += p.dropped.size();
    for (const Target& t : p.active) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& l : t.labels) labels[std::string(l.name)] = std::string(l.value);
      ours[sc.job_name][t.scrape_url] =
          labels.dump() + " " + storage::FormatDurationMs(t.interval_ms) + " " +
          storage::FormatDurationMs(t.timeout_ms);
      ++our_active;
    }
  }

  ASSERT_EQ(our_active, 10u);
  ASSERT_EQ(our_dropped, 3u);

  // Prometheus applies discovery updates every 5 s: wait until it shows every target.
  nlohmann::json data;
  const bool ready = testutil::PollUntil(
      [&] {
        testing::ClientResponse resp = testing::HttpClient(port).Get("/api/v1/targets");
        if (!resp.ok || resp.status != 200) return false;
        data = nlohmann::json::parse(resp.body, nullptr, false);
        if (data.is_discarded()) return false;
        data = data["data"];
        return data["activeTargets"].size() == our_active &&
               data["droppedTargets"].size() == our_dropped;
      },
      absl::Seconds(40), absl::Milliseconds(250));
  ASSERT_TRUE(ready) << "Prometheus shows " << data.dump() << "\n" << prom->Log();

  std::map<std::string, std::map<std::string, std::string>> theirs;
  for (const nlohmann::json& t : data["activeTargets"]) {
    theirs[t["scrapePool"].get<std::string>()][t["scrapeUrl"].get<std::string>()] =
        t["labels"].dump() + " " + t["scrapeInterval"].get<std::string>() + " " +
        t["scrapeTimeout"].get<std::string>();
  }
  for (const auto& [job, targets] : theirs) {
    for (const auto& [url, desc] : targets) {
      EXPECT_EQ(ours[job][url], desc) << job << " " << url;
    }
  }
  EXPECT_EQ(ours, theirs);
}

}  // namespace
}  // namespace tally::server::scrape
