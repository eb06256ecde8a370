// Config: Prometheus's YAML configuration file (`global`, `rule_files`, `scrape_configs`,
// `alerting`, `remote_write`, `remote_read`, `storage`, `tracing`), parsed with yaml-cpp into
// plain structs with Prometheus's defaults. Unknown keys are rejected with Prometheus's
// wording, e.g.
//   parsing YAML file bad.yml: yaml: unmarshal errors:
//     line 3: field foo not found in type config.plain
// (the Go type names are those printed by `promtool check config` 2.42). Sections that later
// issues implement (relabelling, service discovery, HTTP client options) keep their raw YAML
// text so nothing is lost, and validate only their key names.
//
// Pure value types; ParseConfig/LoadConfigFile are thread-safe. yaml-cpp throws: config.cc is
// the only place that catches.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/model/labels.h"

namespace tally::server::config {

struct GlobalConfig {
  int64_t scrape_interval_ms = 60'000;      // Prometheus default 1m
  int64_t scrape_timeout_ms = 10'000;       // 10s
  int64_t evaluation_interval_ms = 60'000;  // 1m
  storage::Labels external_labels;
  std::string query_log_file;
};

struct StaticConfig {
  std::vector<std::string> targets;
  storage::Labels labels;
};

struct FileSDConfig {
  std::vector<std::string> files;
  int64_t refresh_interval_ms = 300'000;  // 5m
};

// A relabel_configs entry; fields as Prometheus (defaults: separator ";", regex "(.*)",
// replacement "$1", action "replace").
struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  std::string action = "replace";
};

struct ScrapeConfig {
  std::string job_name;
  bool honor_labels = false;
  bool honor_timestamps = true;
  std::map<std::string, std::vector<std::string>> params;
  int64_t scrape_interval_ms = 0;  // 0 in the file: inherits global
  int64_t scrape_timeout_ms = 0;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  int64_t body_size_limit_bytes = 0;
  uint64_t sample_limit = 0;
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  bool follow_redirects = true;
  bool enable_http2 = true;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSDConfig> file_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
  std::vector<RelabelConfig> metric_relabel_configs;
  // Keys of other sections present (basic_auth, tls_config, kubernetes_sd_configs, ...):
  // accepted for compatibility, not used yet.
  std::vector<std::string> unsupported_keys;
};

struct AlertmanagerConfig {
  std::string scheme = "http";
  std::string path_prefix = "/";
  int64_t timeout_ms = 10'000;
  std::string api_version = "v2";
  std::vector<StaticConfig> static_configs;
  std::vector<FileSDConfig> file_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
};

struct AlertingConfig {
  std::vector<RelabelConfig> alert_relabel_configs;
  std::vector<AlertmanagerConfig> alertmanagers;
};

struct RemoteWriteConfig {
  std::string url;
  std::string name;
  int64_t remote_timeout_ms = 30'000;
  std::map<std::string, std::string> headers;
  bool send_exemplars = false;
  std::vector<RelabelConfig> write_relabel_configs;
};

struct RemoteReadConfig {
  std::string url;
  std::string name;
  int64_t remote_timeout_ms = 60'000;
  bool read_recent = false;
};

struct Config {
  GlobalConfig global;
  std::vector<std::string> rule_files;
  std::vector<ScrapeConfig> scrape_configs;  // intervals resolved against global
  AlertingConfig alerting;
  std::vector<RemoteWriteConfig> remote_write;
  std::vector<RemoteReadConfig> remote_read;
  std::string source_path;  // file it came from ("" when parsed from a string)
};

// Parses YAML text. `filename` is used in error messages only. InvalidArgument for syntax
// errors, unknown keys, bad durations and failed validation (duplicate job names, timeout
// greater than interval, ...), worded like Prometheus.
absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view filename = "");
// Reads and parses a file. NotFound/Unavailable when the file cannot be read; rule_files
// stay as written (relative paths resolve against the config file's directory when used).
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// The config as /api/v1/status/config shows it: YAML with defaults filled in, in
// Prometheus's key order.
std::string ConfigToYaml(const Config& c);

}  // namespace tally::server::config
