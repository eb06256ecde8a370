#include "server/config/config.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server::config {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, EmptyFileGivesPrometheusDefaults) {
  absl::StatusOr<Config> c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->global.scrape_interval_ms, 60'000);
  EXPECT_EQ(c->global.scrape_timeout_ms, 10'000);
  EXPECT_EQ(c->global.evaluation_interval_ms, 60'000);
  EXPECT_EQ(ConfigToYaml(*c),
            "global:\n  scrape_interval: 1m\n  scrape_timeout: 10s\n  evaluation_interval: 1m\n");
}

TEST(ConfigTest, ParsesAllSections) {
  absl::StatusOr<Config> c = ParseConfig(R"(
global:
  scrape_interval: 15s
  evaluation_interval: 30s
  external_labels:
    region: eu
rule_files:
  - rules/*.yml
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:9090']
        labels: {env: test}
  - job_name: slow
    scrape_interval: 1m
    scrape_timeout: 20s
    metrics_path: /m
    honor_labels: true
    relabel_configs:
      - source_labels: [__address__]
        target_label: instance
    file_sd_configs:
      - files: [targets.json]
    basic_auth: {username: a, password: b}
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:9093']
remote_write:
  - url: http://127.0.0.1:1234/api/v1/write
    queue_config: {capacity: 100}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->global.scrape_interval_ms, 15'000);
  EXPECT_EQ(c->global.evaluation_interval_ms, 30'000);
  EXPECT_EQ(c->global.external_labels.Get("region"), "eu");
  ASSERT_EQ(c->rule_files.size(), 1u);
  ASSERT_EQ(c->scrape_configs.size(), 2u);
  const ScrapeConfig& self = c->scrape_configs[0];
  EXPECT_EQ(self.scrape_interval_ms, 15'000);  // inherited
  EXPECT_EQ(self.scrape_timeout_ms, 10'000);
  EXPECT_EQ(self.metrics_path, "/metrics");
  ASSERT_EQ(self.static_configs.size(), 1u);
  EXPECT_EQ(self.static_configs[0].targets[0], "127.0.0.1:9090");
  EXPECT_EQ(self.static_configs[0].labels.Get("env"), "test");
  const ScrapeConfig& slow = c->scrape_configs[1];
  EXPECT_EQ(slow.scrape_interval_ms, 60'000);
  EXPECT_EQ(slow.scrape_timeout_ms, 20'000);
  EXPECT_TRUE(slow.honor_labels);
  EXPECT_EQ(slow.relabel_configs[0].target_label, "instance");
  EXPECT_EQ(slow.relabel_configs[0].regex, "(.*)");
  EXPECT_EQ(slow.file_sd_configs[0].files[0], "targets.json");
  EXPECT_TRUE(slow.unsupported_keys.empty());
  ASSERT_TRUE(slow.http_client.basic_auth.has_value());
  EXPECT_EQ(slow.http_client.basic_auth->password, "b");
  ASSERT_EQ(c->alerting.alertmanagers.size(), 1u);
  EXPECT_EQ(c->alerting.alertmanagers[0].static_configs[0].targets[0], "127.0.0.1:9093");
  ASSERT_EQ(c->remote_write.size(), 1u);
  EXPECT_EQ(c->remote_write[0].remote_timeout_ms, 30'000);
}

// Prometheus compat: the exact text of `promtool check config` 2.42 for these files.
TEST(ConfigTest, UnknownKeysRejectedLikePrometheus) {
  absl::StatusOr<Config> c = ParseConfig("global:\n  scrape_interval: 15s\nbar: 2\n"
                                         "scrape_configs:\n- job_name: x\n  baz: 1\n",
                                         "bad2.yml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "parsing YAML file bad2.yml: yaml: unmarshal errors:\n"
            "  line 3: field bar not found in type config.plain\n"
            "  line 6: field baz not found in type config.ScrapeConfig");
  c = ParseConfig("global:\n  foo: 1\n", "b.yml");
  EXPECT_EQ(c.status().message(),
            "parsing YAML file b.yml: yaml: unmarshal errors:\n"
            "  line 2: field foo not found in type config.plain");
  c = ParseConfig("scrape_configs:\n- job_name: j\n  relabel_configs:\n  - x8: 1\n");
  EXPECT_THAT(c.status().message(), HasSubstr("line 4: field x8 not found in type relabel.plain"));
  c = ParseConfig("alerting:\n  alertmanagers:\n  - x2: 1\n");
  EXPECT_THAT(c.status().message(),
              HasSubstr("line 3: field x2 not found in type config.AlertmanagerConfig"));
}

TEST(ConfigTest, ValidationErrorsLikePrometheus) {
  EXPECT_EQ(ParseConfig("global:\n  scrape_interval: 15x\n", "b3.yml").status().message(),
            "parsing YAML file b3.yml: not a valid duration string: \"15x\"");
  EXPECT_EQ(ParseConfig("scrape_configs:\n- job_name: j\n  scrape_interval: 5s\n"
                        "  scrape_timeout: 10s\n")
                .status()
                .message(),
            "scrape timeout greater than scrape interval for scrape config with job name \"j\"");
  EXPECT_EQ(ParseConfig("scrape_configs:\n- job_name: j\n- job_name: j\n").status().message(),
            "found multiple scrape configs with job name \"j\"");
  EXPECT_EQ(ParseConfig("scrape_configs:\n- scrape_interval: 5s\n").status().message(),
            "job_name is empty");
  EXPECT_EQ(ParseConfig("global:\n  scrape_interval: [1]\n").status().message(),
            "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into model.Duration");
  EXPECT_THAT(ParseConfig("global: {a\n").status().message(), HasSubstr("yaml: line"));
}

// Before: relabel and file SD configs were not validated at load. Messages as
// promtool check config 2.42 prints them for the same snippets.
TEST(ConfigTest, RelabelAndFileSDValidationLikePrometheus) {
  auto relabel = [](const std::string& rule) {
    return std::string(
        ParseConfig(absl::StrCat("scrape_configs:\n- job_name: j\n  relabel_configs:\n  - ", rule,
                                 "\n"),
                    "t.yml")
            .status()
            .message());
  };
  EXPECT_EQ(relabel("action: foo"), "parsing YAML file t.yml: unknown relabel action \"foo\"");
  EXPECT_EQ(relabel("regex: \"(abc\""),
            "parsing YAML file t.yml: error parsing regexp: missing closing ): `^(?:(abc)$`");
  EXPECT_EQ(relabel("regex: \"a\\\\\""),
            "parsing YAML file t.yml: error parsing regexp: missing closing ): `^(?:a\\)$`");
  EXPECT_EQ(relabel("{action: hashmod, target_label: x}"),
            "parsing YAML file t.yml: relabel configuration for hashmod requires non-zero modulus");
  EXPECT_EQ(relabel("action: replace"),
            "parsing YAML file t.yml: relabel configuration for replace action requires "
            "'target_label' value");
  EXPECT_EQ(relabel("{action: labelmap, replacement: 1x}"),
            "parsing YAML file t.yml: \"1x\" is invalid 'replacement' for labelmap action");
  EXPECT_EQ(relabel("{action: labeldrop, source_labels: [a]}"),
            "parsing YAML file t.yml: labeldrop action requires only 'regex', and no other fields");
  EXPECT_EQ(relabel("{source_labels: [\"1a\"], target_label: x}"),
            "parsing YAML file t.yml: \"1a\" is not a valid label name");
  EXPECT_EQ(relabel("{target_label: a-b}"),
            "parsing YAML file t.yml: \"a-b\" is invalid 'target_label' for replace action");
  EXPECT_EQ(relabel("{action: lowercase, target_label: x, replacement: y}"),
            "parsing YAML file t.yml: 'replacement' can not be set for lowercase action");
  // Valid in 2.42: upper-case action names, templated targets, keepequal.
  absl::StatusOr<Config> ok = ParseConfig(
      "scrape_configs:\n- job_name: j\n  relabel_configs:\n  - {action: Keep, regex: a}\n"
      "  - {target_label: \"${1}\"}\n  - {action: keepequal, source_labels: [a], target_label: b}\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->scrape_configs[0].relabel_configs[0].action, "keep");

  auto file_sd = [](const std::string& sd) {
    return std::string(
        ParseConfig(absl::StrCat("scrape_configs:\n- job_name: j\n  file_sd_configs:\n  - ", sd, "\n"),
                    "t.yml")
            .status()
            .message());
  };
  EXPECT_EQ(file_sd("files: []"),
            "parsing YAML file t.yml: file service discovery config must contain at least one "
            "path name");
  EXPECT_EQ(file_sd("files: [\"a/*/b.json\"]"),
            "parsing YAML file t.yml: path name \"a/*/b.json\" is not valid for file discovery");
  EXPECT_EQ(file_sd("files: [a.txt]"),
            "parsing YAML file t.yml: path name \"a.txt\" is not valid for file discovery");
}

// Prometheus compat: file_sd paths are relative to the config file's directory.
TEST(ConfigTest, LoadFileResolvesFileSDPaths) {
  testutil::TempDir dir;
  const std::string path = dir.path() + "/p.yml";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("scrape_configs:\n- job_name: j\n  file_sd_configs:\n  - files: [t/*.json, /abs/x.yml]\n", f);
  fclose(f);
  absl::StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->scrape_configs[0].file_sd_configs[0].files,
            (std::vector<std::string>{dir.path() + "/t/*.json", "/abs/x.yml"}));
}

TEST(ConfigTest, ShortGlobalIntervalShrinksDefaultTimeout) {
  absl::StatusOr<Config> c = ParseConfig("global:\n  scrape_interval: 5s\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->global.scrape_timeout_ms, 5'000);
}

TEST(ConfigTest, LoadFileMissing) {
  absl::StatusOr<Config> c = LoadConfigFile("/nonexistent/tally.yml");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(), "open /nonexistent/tally.yml: no such file or directory");
}

// Prometheus compat: 2.42 answers a reload of a directory with
// "read <path>: is a directory"; an std::ifstream used to read it as an empty file.
TEST(ConfigTest, LoadDirectoryFailsLikeGo) {
  testutil::TempDir dir;
  absl::StatusOr<Config> c = LoadConfigFile(dir.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), absl::StrCat("read ", dir.path(), ": is a directory"));
}

}  // namespace
}  // namespace tally::server::config
