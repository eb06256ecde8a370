// Config: Prometheus's YAML configuration file (`global`, `rule_files`, `scrape_configs`,
// `alerting`, `remote_write`, `remote_read`, `storage`, `tracing`), parsed with yaml-cpp into
// plain structs with Prometheus's defaults. Unknown keys are rejected with Prometheus's
// wording, e.g.
//   parsing YAML file bad.yml: yaml: unmarshal errors:
//     line 3: field foo not found in type config.plain
// (the Go type names are those printed by `promtool check config` 2.42). HTTP client options
// are parsed (HttpClientConfig); other sections that later issues implement (service
// discovery mechanisms other than static and file) validate only their key names.
//
// Pure value types; ParseConfig/LoadConfigFile are thread-safe. yaml-cpp throws: config.cc
// (parsing) and config_yaml.cc (emitting) are the only places that use it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
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

// Prometheus's common HTTP client options (prometheus/common config.HTTPClientConfig as in
// 2.42). Parsed and validated now so /api/v1/status/config can show them with secrets
// masked; acted on once the scraper and notifier use them. Secret fields (password,
// credentials, client_secret, proxy_connect_header values, sigv4 secret_key) are never
// shown by ConfigToYaml.
struct BasicAuthConfig {
  std::string username;
  std::string password;  // secret
  std::string password_file;
};
struct AuthorizationConfig {
  std::string type = "Bearer";
  std::string credentials;  // secret
  std::string credentials_file;
};
struct TlsConfig {
  std::string ca_file, cert_file, key_file, server_name, min_version;
  bool insecure_skip_verify = false;
  bool empty() const {
    return ca_file.empty() && cert_file.empty() && key_file.empty() && server_name.empty() &&
           min_version.empty() && !insecure_skip_verify;
  }
};
struct OAuth2Config {
  std::string client_id;
  std::string client_secret;  // secret
  std::string client_secret_file;
  std::vector<std::string> scopes;
  std::string token_url;
  std::map<std::string, std::string> endpoint_params;
  std::string proxy_url;  // its password is a secret
  TlsConfig tls_config;
};
struct HttpClientConfig {
  std::optional<BasicAuthConfig> basic_auth;
  // `bearer_token` / `bearer_token_file` are folded into this (type Bearer), as Prometheus
  // does when it loads the file.
  std::optional<AuthorizationConfig> authorization;
  std::optional<OAuth2Config> oauth2;
  std::string proxy_url;  // its password is a secret
  // Header -> values; the values are secrets.
  std::map<std::string, std::vector<std::string>> proxy_connect_header;
  TlsConfig tls_config;
  bool follow_redirects = true;
  bool enable_http2 = true;
};
// AWS Signature V4 for remote_write (sigv4.SigV4Config).
struct SigV4Config {
  std::string region, access_key;
  std::string secret_key;  // secret
  std::string profile, role_arn;
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
  HttpClientConfig http_client;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSDConfig> file_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
  std::vector<RelabelConfig> metric_relabel_configs;
  // Keys of other sections present (kubernetes_sd_configs, ...): accepted for
  // compatibility, not used yet.
  std::vector<std::string> unsupported_keys;
};

struct AlertmanagerConfig {
  std::string scheme = "http";
  std::string path_prefix = "/";
  int64_t timeout_ms = 10'000;
  std::string api_version = "v2";
  HttpClientConfig http_client;
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
  HttpClientConfig http_client;
  std::optional<SigV4Config> sigv4;
};

struct RemoteReadConfig {
  std::string url;
  std::string name;
  int64_t remote_timeout_ms = 60'000;
  std::map<std::string, std::string> headers;
  bool read_recent = false;
  bool filter_external_labels = true;
  HttpClientConfig http_client;
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

// Prometheus's relabel.Config checks (2.42 model/relabel Validate, the action and regex
// unmarshalers, model.LabelName for source_labels), run by ParseConfig on every
// relabel_configs / metric_relabel_configs / alert_relabel_configs / write_relabel_configs
// entry and by scrape::Relabeler::Compile. `action` is matched case-insensitively as
// Prometheus does. InvalidArgument with Prometheus's message, e.g.
//   unknown relabel action "foo"
//   error parsing regexp: missing closing ): `^(?:(abc)$`
//   relabel configuration for hashmod requires non-zero modulus
absl::Status ValidateRelabelConfig(const RelabelConfig& r);

// file_sd_configs checks (discovery/file SDConfig): at least one path, each matching
// Prometheus's pattern (a `*` only in the last element; .json/.yml/.yaml).
absl::Status ValidateFileSDConfig(const FileSDConfig& f);

// Parses YAML text. `filename` is used in error messages only. InvalidArgument for syntax
// errors, unknown keys, bad durations and failed validation (duplicate job names, timeout
// greater than interval, ...), worded like Prometheus.
absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view filename = "");
// Reads and parses a file. Errors worded as Go's os.ReadFile: NotFound ("open X: no such file
// or directory"), PermissionDenied, FailedPrecondition ("read X: is a directory"),
// Unavailable for other I/O errors, InvalidArgument for a file over 64 MiB; rule_files
// stay as written (relative paths resolve against the config file's directory when used).
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// The config as /api/v1/status/config shows it (config_yaml.cc): YAML written by
// yaml-cpp's emitter (so any value is quoted as needed and the text always parses), with
// defaults filled in, in Prometheus's key order, and secrets masked as Prometheus 2.42 masks
// them: "<secret>" for passwords, credentials, client secrets, proxy_connect_header values
// and sigv4 secret keys, "user:xxxxx@" for a password inside a URL.
std::string ConfigToYaml(const Config& c);

// "http://user:xxxxx@host/": Go's url.URL.Redacted(); URLs without a password unchanged.
std::string RedactUrl(absl::string_view url);

}  // namespace tally::server::config
