// yaml-cpp adapter: the only place in Tally that catches YAML::Exception.
#include "server/config/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/util/duration.h"

namespace tally::server::config {
namespace {

// Prometheus compat: Go type names as printed in yaml.v2 "field X not found in type T"
// (verified with promtool check config 2.42).
constexpr char kTypeTop[] = "config.plain";
constexpr char kTypeGlobal[] = "config.plain";
constexpr char kTypeScrape[] = "config.ScrapeConfig";
constexpr char kTypeAlerting[] = "config.plain";
constexpr char kTypeAlertmanager[] = "config.AlertmanagerConfig";
constexpr char kTypeRemoteWrite[] = "config.plain";
constexpr char kTypeRemoteRead[] = "config.plain";
constexpr char kTypeRelabel[] = "relabel.plain";
constexpr char kTypeFileSD[] = "file.plain";
constexpr char kTypeStorage[] = "config.StorageConfig";
constexpr char kTypeTracing[] = "config.plain";
constexpr char kTypeStatic[] =
    "struct { Targets []string \"yaml:\\\"targets\\\"\"; Labels model.LabelSet "
    "\"yaml:\\\"labels\\\"\" }";

// HTTP client and service-discovery keys Prometheus accepts in a scrape config that Tally
// does not act on yet.
const absl::flat_hash_set<std::string>& OtherScrapeKeys() {
  static const auto* k = new absl::flat_hash_set<std::string>{
      "basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file",
      "tls_config", "proxy_url", "no_proxy", "proxy_from_environment",
      "proxy_connect_header", "enable_http2", "follow_redirects", "native_histogram_bucket_limit",
      "scrape_classic_histograms", "azure_sd_configs", "consul_sd_configs",
      "digitalocean_sd_configs", "docker_sd_configs", "dockerswarm_sd_configs",
      "dns_sd_configs", "ec2_sd_configs", "eureka_sd_configs", "gce_sd_configs",
      "hetzner_sd_configs", "http_sd_configs", "ionos_sd_configs", "kubernetes_sd_configs",
      "kuma_sd_configs", "lightsail_sd_configs", "linode_sd_configs", "marathon_sd_configs",
      "nerve_sd_configs", "nomad_sd_configs", "openstack_sd_configs", "ovhcloud_sd_configs",
      "puppetdb_sd_configs", "scaleway_sd_configs", "serverset_sd_configs",
      "triton_sd_configs", "uyuni_sd_configs", "vultr_sd_configs"};
  return *k;
}

class Decoder {
 public:
  // Records "line N: field K not found in type T" for keys outside `known`.
  void CheckKeys(const YAML::Node& map, std::initializer_list<const char*> known,
                 const char* type_name,
                 const absl::flat_hash_set<std::string>* also_ok = nullptr) {
    if (!map.IsMap()) return;
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.as<std::string>();
      bool ok = false;
      for (const char* k : known) ok = ok || key == k;
      if (!ok && also_ok != nullptr) ok = also_ok->contains(key);
      if (!ok) {
        unmarshal_.push_back(absl::StrCat("line ", it->first.Mark().line + 1, ": field ", key,
                                          " not found in type ", type_name));
      }
    }
  }

  std::string Str(const YAML::Node& n) {
    if (!n.IsDefined()) return "";
    if (!n.IsScalar()) {
      if (!n.IsNull()) TypeError(n, "string");
      return "";
    }
    return n.as<std::string>();
  }
  bool Bool(const YAML::Node& n, bool dflt) {
    if (!n || n.IsNull()) return dflt;
    bool b = dflt;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) TypeError(n, "bool");
    return b;
  }
  uint64_t Uint(const YAML::Node& n) {
    if (!n || n.IsNull()) return 0;
    uint64_t v = 0;
    if (!n.IsScalar() || !absl::SimpleAtoi(n.Scalar(), &v)) TypeError(n, "uint");
    return v;
  }
  // 0 when absent.
  int64_t Duration(const YAML::Node& n) {
    if (!n || n.IsNull()) return 0;
    if (!n.IsScalar()) {
      TypeError(n, "model.Duration");
      return 0;
    }
    absl::StatusOr<int64_t> ms = storage::ParseDurationMs(n.Scalar());
    if (!ms.ok()) {
      if (fatal_.empty()) fatal_ = std::string(ms.status().message());
      return 0;
    }
    return *ms;
  }
  std::vector<std::string> StrList(const YAML::Node& n) {
    std::vector<std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) {
      TypeError(n, "[]string");
      return out;
    }
    for (const auto& e : n) out.push_back(Str(e));
    return out;
  }
  storage::Labels LabelMap(const YAML::Node& n) {
    std::vector<storage::Label> ls;
    if (!n || n.IsNull()) return {};
    if (!n.IsMap()) {
      TypeError(n, "model.LabelSet");
      return {};
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      ls.push_back({it->first.as<std::string>(), Str(it->second)});
    }
    return storage::Labels::FromUnsorted(std::move(ls));
  }
  void TypeError(const YAML::Node& n, const char* go_type) {
    const char* tag = n.IsSequence() ? "!!seq" : n.IsMap() ? "!!map" : "!!str";
    unmarshal_.push_back(absl::StrCat("line ", n.Mark().line + 1, ": cannot unmarshal ", tag,
                                      " into ", go_type));
  }
  void Fail(std::string msg) {
    if (fatal_.empty()) fatal_ = std::move(msg);
  }

  StaticConfig Static(const YAML::Node& n) {
    CheckKeys(n, {"targets", "labels"}, kTypeStatic);
    StaticConfig s;
    s.targets = StrList(n["targets"]);
    s.labels = LabelMap(n["labels"]);
    return s;
  }
  FileSDConfig FileSD(const YAML::Node& n) {
    CheckKeys(n, {"files", "refresh_interval"}, kTypeFileSD);
    FileSDConfig f;
    f.files = StrList(n["files"]);
    if (int64_t d = Duration(n["refresh_interval"])) f.refresh_interval_ms = d;
    return f;
  }
  RelabelConfig Relabel(const YAML::Node& n) {
    CheckKeys(n,
              {"source_labels", "separator", "regex", "modulus", "target_label", "replacement",
               "action"},
              kTypeRelabel);
    RelabelConfig r;
    r.source_labels = StrList(n["source_labels"]);
    if (n["separator"]) r.separator = Str(n["separator"]);
    if (n["regex"]) r.regex = Str(n["regex"]);
    r.modulus = Uint(n["modulus"]);
    if (n["target_label"]) r.target_label = Str(n["target_label"]);
    if (n["replacement"]) r.replacement = Str(n["replacement"]);
    if (n["action"]) r.action = Str(n["action"]);
    return r;
  }
  template <typename T, typename F>
  std::vector<T> List(const YAML::Node& n, F f) {
    std::vector<T> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) {
      TypeError(n, "[]");
      return out;
    }
    for (const auto& e : n) out.push_back(f(e));
    return out;
  }

  absl::Status Result(absl::string_view filename) const {
    std::string prefix = filename.empty() ? "" : absl::StrCat("parsing YAML file ", filename, ": ");
    if (!unmarshal_.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "yaml: unmarshal errors:\n  ", absl::StrJoin(unmarshal_, "\n  ")));
    }
    if (!fatal_.empty()) return absl::InvalidArgumentError(absl::StrCat(prefix, fatal_));
    return absl::OkStatus();
  }

 private:
  std::vector<std::string> unmarshal_;
  std::string fatal_;
};

absl::StatusOr<Config> Decode(const YAML::Node& root, absl::string_view filename) {
  Decoder d;
  Config c;
  if (root.IsNull() || !root.IsDefined()) return c;
  if (!root.IsMap()) {
    d.TypeError(root, "config.plain");
    return d.Result(filename);
  }
  d.CheckKeys(root,
              {"global", "rule_files", "scrape_configs", "alerting", "remote_write",
               "remote_read", "storage", "tracing"},
              kTypeTop);
  if (const YAML::Node g = root["global"]; g && !g.IsNull()) {
    d.CheckKeys(g,
                {"scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels",
                 "query_log_file", "body_size_limit", "sample_limit", "label_limit",
                 "label_name_length_limit", "label_value_length_limit", "target_limit"},
                kTypeGlobal);
    if (int64_t v = d.Duration(g["scrape_interval"])) c.global.scrape_interval_ms = v;
    if (int64_t v = d.Duration(g["scrape_timeout"])) {
      c.global.scrape_timeout_ms = v;
    } else if (c.global.scrape_interval_ms < c.global.scrape_timeout_ms) {
      // Prometheus compat: an unset global timeout shrinks to a shorter global interval.
      c.global.scrape_timeout_ms = c.global.scrape_interval_ms;
    }
    if (int64_t v = d.Duration(g["evaluation_interval"])) c.global.evaluation_interval_ms = v;
    c.global.external_labels = d.LabelMap(g["external_labels"]);
    if (g["query_log_file"]) c.global.query_log_file = d.Str(g["query_log_file"]);
    if (c.global.scrape_timeout_ms > c.global.scrape_interval_ms) {
      d.Fail("global scrape timeout greater than scrape interval");
    }
  }
  c.rule_files = d.StrList(root["rule_files"]);

  std::set<std::string> jobs;
  c.scrape_configs = d.List<ScrapeConfig>(root["scrape_configs"], [&](const YAML::Node& n) {
    ScrapeConfig s;
    d.CheckKeys(n,
                {"job_name", "honor_labels", "honor_timestamps", "params", "scrape_interval",
                 "scrape_timeout", "metrics_path", "scheme", "body_size_limit", "sample_limit",
                 "target_limit", "label_limit", "label_name_length_limit",
                 "label_value_length_limit", "static_configs", "file_sd_configs",
                 "relabel_configs", "metric_relabel_configs"},
                kTypeScrape, &OtherScrapeKeys());
    if (!n.IsMap()) return s;
    s.job_name = d.Str(n["job_name"]);
    s.honor_labels = d.Bool(n["honor_labels"], false);
    s.honor_timestamps = d.Bool(n["honor_timestamps"], true);
    if (const YAML::Node p = n["params"]; p && p.IsMap()) {
      for (auto it = p.begin(); it != p.end(); ++it) {
        s.params[it->first.as<std::string>()] = d.StrList(it->second);
      }
    }
    s.scrape_interval_ms = d.Duration(n["scrape_interval"]);
    s.scrape_timeout_ms = d.Duration(n["scrape_timeout"]);
    if (n["metrics_path"]) s.metrics_path = d.Str(n["metrics_path"]);
    if (n["scheme"]) s.scheme = d.Str(n["scheme"]);
    s.sample_limit = d.Uint(n["sample_limit"]);
    s.target_limit = d.Uint(n["target_limit"]);
    s.label_limit = d.Uint(n["label_limit"]);
    s.label_name_length_limit = d.Uint(n["label_name_length_limit"]);
    s.label_value_length_limit = d.Uint(n["label_value_length_limit"]);
    s.follow_redirects = d.Bool(n["follow_redirects"], true);
    s.enable_http2 = d.Bool(n["enable_http2"], true);
    s.static_configs = d.List<StaticConfig>(n["static_configs"],
                                            [&](const YAML::Node& e) { return d.Static(e); });
    s.file_sd_configs = d.List<FileSDConfig>(n["file_sd_configs"],
                                             [&](const YAML::Node& e) { return d.FileSD(e); });
    s.relabel_configs = d.List<RelabelConfig>(n["relabel_configs"],
                                              [&](const YAML::Node& e) { return d.Relabel(e); });
    s.metric_relabel_configs = d.List<RelabelConfig>(
        n["metric_relabel_configs"], [&](const YAML::Node& e) { return d.Relabel(e); });
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (OtherScrapeKeys().contains(k) && k != "follow_redirects" && k != "enable_http2") {
        s.unsupported_keys.push_back(k);
      }
    }
    // Prometheus compat: interval/timeout inherit from global; an unset timeout is capped
    // at the interval; validation messages as config.go.
    if (s.job_name.empty()) d.Fail("job_name is empty");
    if (s.scrape_interval_ms == 0) s.scrape_interval_ms = c.global.scrape_interval_ms;
    if (s.scrape_timeout_ms == 0) {
      s.scrape_timeout_ms = std::min(c.global.scrape_timeout_ms, s.scrape_interval_ms);
    }
    if (s.scrape_timeout_ms > s.scrape_interval_ms) {
      d.Fail(absl::StrCat("scrape timeout greater than scrape interval for scrape config with "
                          "job name ",
                          storage::GoQuote(s.job_name)));
    }
    if (!s.job_name.empty() && !jobs.insert(s.job_name).second) {
      d.Fail(absl::StrCat("found multiple scrape configs with job name ",
                          storage::GoQuote(s.job_name)));
    }
    return s;
  });

  if (const YAML::Node a = root["alerting"]; a && !a.IsNull()) {
    d.CheckKeys(a, {"alert_relabel_configs", "alertmanagers"}, kTypeAlerting);
    c.alerting.alert_relabel_configs = d.List<RelabelConfig>(
        a["alert_relabel_configs"], [&](const YAML::Node& e) { return d.Relabel(e); });
    c.alerting.alertmanagers =
        d.List<AlertmanagerConfig>(a["alertmanagers"], [&](const YAML::Node& n) {
          AlertmanagerConfig am;
          d.CheckKeys(n,
                      {"scheme", "path_prefix", "timeout", "api_version", "static_configs",
                       "file_sd_configs", "relabel_configs"},
                      kTypeAlertmanager, &OtherScrapeKeys());
          if (!n.IsMap()) return am;
          if (n["scheme"]) am.scheme = d.Str(n["scheme"]);
          if (n["path_prefix"]) am.path_prefix = d.Str(n["path_prefix"]);
          if (int64_t t = d.Duration(n["timeout"])) am.timeout_ms = t;
          if (n["api_version"]) am.api_version = d.Str(n["api_version"]);
          am.static_configs = d.List<StaticConfig>(
              n["static_configs"], [&](const YAML::Node& e) { return d.Static(e); });
          am.file_sd_configs = d.List<FileSDConfig>(
              n["file_sd_configs"], [&](const YAML::Node& e) { return d.FileSD(e); });
          am.relabel_configs = d.List<RelabelConfig>(
              n["relabel_configs"], [&](const YAML::Node& e) { return d.Relabel(e); });
          return am;
        });
  }

  static const absl::flat_hash_set<std::string> kRemoteHttpKeys = {
      "basic_auth", "authorization", "oauth2", "sigv4", "azuread", "bearer_token",
      "bearer_token_file", "tls_config", "proxy_url", "no_proxy", "proxy_from_environment",
      "proxy_connect_header", "follow_redirects", "enable_http2", "queue_config",
      "metadata_config", "send_native_histograms"};
  c.remote_write = d.List<RemoteWriteConfig>(root["remote_write"], [&](const YAML::Node& n) {
    RemoteWriteConfig r;
    d.CheckKeys(n, {"url", "name", "remote_timeout", "headers", "send_exemplars",
                    "write_relabel_configs"},
                kTypeRemoteWrite, &kRemoteHttpKeys);
    if (!n.IsMap()) return r;
    r.url = d.Str(n["url"]);
    r.name = d.Str(n["name"]);
    if (int64_t t = d.Duration(n["remote_timeout"])) r.remote_timeout_ms = t;
    if (const YAML::Node h = n["headers"]; h && h.IsMap()) {
      for (auto it = h.begin(); it != h.end(); ++it) {
        r.headers[it->first.as<std::string>()] = d.Str(it->second);
      }
    }
    r.send_exemplars = d.Bool(n["send_exemplars"], false);
    r.write_relabel_configs = d.List<RelabelConfig>(
        n["write_relabel_configs"], [&](const YAML::Node& e) { return d.Relabel(e); });
    if (r.url.empty()) d.Fail("url for remote_write is empty");
    return r;
  });
  c.remote_read = d.List<RemoteReadConfig>(root["remote_read"], [&](const YAML::Node& n) {
    RemoteReadConfig r;
    d.CheckKeys(n, {"url", "name", "remote_timeout", "headers", "read_recent",
                    "required_matchers", "filter_external_labels"},
                kTypeRemoteRead, &kRemoteHttpKeys);
    if (!n.IsMap()) return r;
    r.url = d.Str(n["url"]);
    r.name = d.Str(n["name"]);
    if (int64_t t = d.Duration(n["remote_timeout"])) r.remote_timeout_ms = t;
    r.read_recent = d.Bool(n["read_recent"], false);
    if (r.url.empty()) d.Fail("url for remote_read is empty");
    return r;
  });
  if (const YAML::Node s = root["storage"]; s && !s.IsNull()) {
    d.CheckKeys(s, {"tsdb", "exemplars"}, kTypeStorage);
  }
  if (const YAML::Node t = root["tracing"]; t && !t.IsNull()) {
    d.CheckKeys(t,
                {"client_type", "endpoint", "sampling_fraction", "insecure", "tls_config",
                 "headers", "compression", "timeout"},
                kTypeTracing);
  }
  if (absl::Status s = d.Result(filename); !s.ok()) return s;
  return c;
}

void AppendStatic(const std::vector<StaticConfig>& v, const std::string& ind, std::string* o) {
  if (v.empty()) return;
  absl::StrAppend(o, ind, "static_configs:\n");
  for (const StaticConfig& s : v) {
    absl::StrAppend(o, ind, "- targets:\n");
    for (const std::string& t : s.targets) absl::StrAppend(o, ind, "  - ", t, "\n");
    if (!s.labels.empty()) {
      absl::StrAppend(o, ind, "  labels:\n");
      for (const auto& l : s.labels) absl::StrAppend(o, ind, "    ", l.name, ": ", l.value, "\n");
    }
  }
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view filename) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
    return Decode(root, filename);
  } catch (const YAML::Exception& e) {
    std::string prefix =
        filename.empty() ? "" : absl::StrCat("parsing YAML file ", filename, ": ");
    return absl::InvalidArgumentError(absl::StrCat(prefix, "yaml: line ", e.mark.line + 1, ": ",
                                                   e.msg));
  }
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("open ", path, ": no such file or directory"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<Config> c = ParseConfig(ss.str(), path);
  if (c.ok()) c->source_path = path;
  return c;
}

std::string ConfigToYaml(const Config& c) {
  using storage::FormatDurationMs;
  std::string o = "global:\n";
  absl::StrAppend(&o, "  scrape_interval: ", FormatDurationMs(c.global.scrape_interval_ms), "\n");
  absl::StrAppend(&o, "  scrape_timeout: ", FormatDurationMs(c.global.scrape_timeout_ms), "\n");
  absl::StrAppend(&o, "  evaluation_interval: ",
                  FormatDurationMs(c.global.evaluation_interval_ms), "\n");
  if (!c.global.external_labels.empty()) {
    absl::StrAppend(&o, "  external_labels:\n");
    for (const auto& l : c.global.external_labels) {
      absl::StrAppend(&o, "    ", l.name, ": ", l.value, "\n");
    }
  }
  if (!c.alerting.alertmanagers.empty()) {
    absl::StrAppend(&o, "alerting:\n  alertmanagers:\n");
    for (const AlertmanagerConfig& am : c.alerting.alertmanagers) {
      absl::StrAppend(&o, "  - follow_redirects: true\n    enable_http2: true\n",
                      "    scheme: ", am.scheme, "\n    timeout: ", FormatDurationMs(am.timeout_ms),
                      "\n    api_version: ", am.api_version, "\n");
      AppendStatic(am.static_configs, "    ", &o);
    }
  }
  if (!c.rule_files.empty()) {
    absl::StrAppend(&o, "rule_files:\n");
    for (const std::string& f : c.rule_files) absl::StrAppend(&o, "- ", f, "\n");
  }
  if (!c.scrape_configs.empty()) {
    absl::StrAppend(&o, "scrape_configs:\n");
    for (const ScrapeConfig& s : c.scrape_configs) {
      absl::StrAppend(&o, "- job_name: ", s.job_name, "\n");
      if (s.honor_labels) absl::StrAppend(&o, "  honor_labels: true\n");
      absl::StrAppend(&o, "  honor_timestamps: ", s.honor_timestamps ? "true" : "false", "\n");
      absl::StrAppend(&o, "  scrape_interval: ", FormatDurationMs(s.scrape_interval_ms), "\n");
      absl::StrAppend(&o, "  scrape_timeout: ", FormatDurationMs(s.scrape_timeout_ms), "\n");
      absl::StrAppend(&o, "  metrics_path: ", s.metrics_path, "\n");
      absl::StrAppend(&o, "  scheme: ", s.scheme, "\n");
      absl::StrAppend(&o, "  follow_redirects: ", s.follow_redirects ? "true" : "false", "\n");
      absl::StrAppend(&o, "  enable_http2: ", s.enable_http2 ? "true" : "false", "\n");
      AppendStatic(s.static_configs, "  ", &o);
    }
  }
  if (!c.remote_write.empty()) {
    absl::StrAppend(&o, "remote_write:\n");
    for (const RemoteWriteConfig& r : c.remote_write) {
      absl::StrAppend(&o, "- url: ", r.url, "\n  remote_timeout: ",
                      FormatDurationMs(r.remote_timeout_ms), "\n");
      if (!r.name.empty()) absl::StrAppend(&o, "  name: ", r.name, "\n");
    }
  }
  return o;
}

}  // namespace tally::server::config
