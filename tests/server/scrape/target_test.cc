#include "server/scrape/target.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace tally::server::scrape {
namespace {

using storage::Labels;

// Expectations (labels, scrape URLs, intervals, error texts) were read from Prometheus
// 2.42.0 running this same configuration on loopback: /api/v1/targets and its
// "Creating target failed" log lines.
constexpr char kConfig[] = R"(
global:
  scrape_interval: 1h
  scrape_timeout: 10s
scrape_configs:
- job_name: addr
  metrics_path: /m p
  params: {q: [a b, c], z: ["1"]}
  static_configs: [{targets: ["example.com", "[::1]", "127.0.0.1:5", "[::1]:9"], labels: {__param_extra: "x&y", __meta_gone: "m"}}]
  relabel_configs:
  - {source_labels: [__address__], regex: "127.*", target_label: __scrape_interval__, replacement: 30s}
  - {source_labels: [__address__], regex: "127.*", target_label: __scrape_timeout__, replacement: 20s}
  - {source_labels: [__address__], regex: "127.*", target_label: __param_z, replacement: "2"}
- job_name: https
  scheme: https
  static_configs: [{targets: ["example.org", "h:1"], labels: {instance: "given"}}]
- job_name: badtimeout
  static_configs: [{targets: ["127.0.0.1:6", "127.0.0.1:7", "127.0.0.1:8", "a/b:1"]}]
  relabel_configs:
  - {source_labels: [__address__], regex: ".*:6", target_label: __scrape_timeout__, replacement: 2h}
  - {source_labels: [__address__], regex: ".*:7", target_label: __scrape_interval__, replacement: 0s}
  - {source_labels: [__address__], regex: ".*:8", target_label: __scrape_interval__, replacement: bogus}
- job_name: noaddr
  static_configs: [{targets: ["127.0.0.1:6"]}]
  relabel_configs:
  - {target_label: __address__, replacement: ""}
- job_name: badscheme
  scheme: http
  static_configs: [{targets: ["host"]}]
  relabel_configs:
  - {target_label: __scheme__, replacement: "ftp"}
- job_name: keepdrop
  static_configs: [{targets: ["127.0.0.1:1", "127.0.0.1:2"], labels: {group: g, a: from_group}}]
  relabel_configs:
  - {source_labels: [__address__], regex: ".*:2", action: drop}
)";

class TargetTest : public ::testing::Test {
 protected:
  PopulatedTargets Populate(const std::string& job) {
    absl::StatusOr<config::Config> c = config::ParseConfig(kConfig);
    EXPECT_TRUE(c.ok()) << c.status();
    for (const config::ScrapeConfig& s : c->scrape_configs) {
      if (s.job_name != job) continue;
      absl::StatusOr<Relabeler> r = Relabeler::Compile(s.relabel_configs);
      EXPECT_TRUE(r.ok()) << r.status();
      return PopulateTargets(s, *r, StaticTargetGroups(s));
    }
    ADD_FAILURE() << "no job " << job;
    return {};
  }
};

TEST_F(TargetTest, DefaultsPortsParamsAndOverrides) {
  PopulatedTargets p = Populate("addr");
  EXPECT_TRUE(p.errors.empty());
  ASSERT_EQ(p.active.size(), 4u);
  const Target& t0 = p.active[0];
  EXPECT_EQ(t0.labels, (Labels{{"instance", "example.com:80"}, {"job", "addr"}}));
  EXPECT_EQ(t0.scrape_url, "http://example.com:80/m%20p?extra=x%26y&q=a+b&q=c&z=1");
  EXPECT_EQ(t0.interval_ms, 3'600'000);
  EXPECT_EQ(t0.timeout_ms, 10'000);
  EXPECT_EQ(t0.discovered_labels, (Labels{{"__address__", "example.com"},
                                          {"__meta_gone", "m"},
                                          {"__metrics_path__", "/m p"},
                                          {"__param_extra", "x&y"},
                                          {"__param_q", "a b"},
                                          {"__param_z", "1"},
                                          {"__scheme__", "http"},
                                          {"__scrape_interval__", "1h"},
                                          {"__scrape_timeout__", "10s"},
                                          {"job", "addr"}}));
  EXPECT_EQ(p.active[1].labels.Get("instance"), "[::1]:80");
  EXPECT_EQ(p.active[1].scrape_url, "http://[::1]:80/m%20p?extra=x%26y&q=a+b&q=c&z=1");
  const Target& t2 = p.active[2];
  EXPECT_EQ(t2.labels, (Labels{{"instance", "127.0.0.1:5"}, {"job", "addr"}}));
  EXPECT_EQ(t2.scrape_url, "http://127.0.0.1:5/m%20p?extra=x%26y&q=a+b&q=c&z=2");
  EXPECT_EQ(t2.interval_ms, 30'000);
  EXPECT_EQ(t2.timeout_ms, 20'000);
  // Tally shows the labels before relabeling (2.42 shows some relabeled values here; see
  // docs/compatibility.md).
  EXPECT_EQ(t2.discovered_labels.Get("__scrape_interval__"), "1h");
  EXPECT_EQ(p.active[3].labels.Get("instance"), "[::1]:9");
  EXPECT_NE(t0.Hash(), t2.Hash());
}

TEST_F(TargetTest, HttpsDefaultPortAndGivenInstance) {
  PopulatedTargets p = Populate("https");
  ASSERT_EQ(p.active.size(), 2u);
  EXPECT_EQ(p.active[0].scrape_url, "https://example.org:443/metrics");
  EXPECT_EQ(p.active[0].labels, (Labels{{"instance", "given"}, {"job", "https"}}));
  EXPECT_EQ(p.active[1].scrape_url, "https://h:1/metrics");
}

TEST_F(TargetTest, ErrorsWordedAsPrometheus) {
  PopulatedTargets p = Populate("badtimeout");
  EXPECT_TRUE(p.active.empty());
  EXPECT_TRUE(p.dropped.empty());
  EXPECT_EQ(p.errors,
            (std::vector<std::string>{
                "instance 0 in group 0: scrape timeout cannot be greater than scrape interval "
                "(\"2h\" > \"1h\")",
                "instance 1 in group 0: scrape interval cannot be 0",
                "instance 2 in group 0: error parsing scrape interval: not a valid duration "
                "string: \"bogus\"",
                "instance 3 in group 0: \"a/b:1\" is not a valid hostname"}));
  EXPECT_EQ(Populate("noaddr").errors,
            std::vector<std::string>{"instance 0 in group 0: no address"});
  // Prometheus quotes the job's scheme, not the relabeled one.
  EXPECT_EQ(Populate("badscheme").errors,
            std::vector<std::string>{"instance 0 in group 0: invalid scheme: \"http\""});
}

TEST_F(TargetTest, DroppedKeepDiscoveredLabels) {
  PopulatedTargets p = Populate("keepdrop");
  ASSERT_EQ(p.active.size(), 1u);
  EXPECT_EQ(p.active[0].labels, (Labels{{"a", "from_group"},
                                        {"group", "g"},
                                        {"instance", "127.0.0.1:1"},
                                        {"job", "keepdrop"}}));
  ASSERT_EQ(p.dropped.size(), 1u);
  EXPECT_EQ(p.dropped[0].Get("__address__"), "127.0.0.1:2");
  EXPECT_EQ(p.dropped[0].Get("job"), "keepdrop");
}

TEST_F(TargetTest, TargetLabelsWinOverGroupLabels) {
  config::ScrapeConfig cfg;
  cfg.job_name = "j";
  cfg.scrape_interval_ms = 15'000;
  cfg.scrape_timeout_ms = 10'000;
  TargetGroup g;
  g.targets.push_back(Labels{{"__address__", "h:1"}, {"a", "target"}, {"job", "custom"}});
  g.labels = Labels{{"a", "group"}, {"b", "group"}};
  g.source = "f.json:0";
  PopulatedTargets p = PopulateTargets(cfg, Relabeler(), {g});
  ASSERT_EQ(p.active.size(), 1u);
  EXPECT_EQ(p.active[0].labels, (Labels{{"a", "target"},
                                        {"b", "group"},
                                        {"instance", "h:1"},
                                        {"job", "custom"}}));
  EXPECT_EQ(p.active[0].discovered_labels.Get("__scrape_interval__"), "15s");
}

TEST_F(TargetTest, InvalidUtf8LabelValueIsAnError) {
  config::ScrapeConfig cfg;
  cfg.job_name = "j";
  cfg.scrape_interval_ms = 15'000;
  cfg.scrape_timeout_ms = 10'000;
  TargetGroup g;
  g.targets.push_back(Labels{{"__address__", "h:1"}, {"bad", "\xff"}});
  g.source = "0";
  PopulatedTargets p = PopulateTargets(cfg, Relabeler(), {g});
  EXPECT_TRUE(p.active.empty());
  EXPECT_EQ(p.errors,
            std::vector<std::string>{"instance 0 in group 0: invalid label value for \"bad\": \"\\xff\""});
}

}  // namespace
}  // namespace tally::server::scrape
