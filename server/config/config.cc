// yaml-cpp adapter: the only place in Tally that catches YAML::Exception.
#include "server/config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <yaml-cpp/yaml.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
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
constexpr char kTypeBasicAuth[] = "config.plain";
constexpr char kTypeAuthorization[] = "config.Authorization";
constexpr char kTypeOAuth2[] = "config.OAuth2";
constexpr char kTypeTls[] = "config.plain";
constexpr char kTypeSigV4[] = "sigv4.plain";
constexpr char kTypeQueueConfig[] = "config.QueueConfig";
constexpr char kTypeMetadataConfig[] = "config.MetadataConfig";
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

// The keys Decoder::HttpClient() parses.
const absl::flat_hash_set<std::string>& HttpClientKeys() {
  static const auto* k = new absl::flat_hash_set<std::string>{
      "basic_auth",        "authorization", "oauth2",    "bearer_token",
      "bearer_token_file", "tls_config",    "proxy_url", "proxy_connect_header",
      "follow_redirects",  "enable_http2"};
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
    if (absl::Status st = ValidateFileSDConfig(f); !st.ok()) Fail(std::string(st.message()));
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
    if (absl::Status st = ValidateRelabelConfig(r); !st.ok()) Fail(std::string(st.message()));
    r.action = absl::AsciiStrToLower(r.action);  // Prometheus compat: actions are case-insensitive
    return r;
  }
  TlsConfig Tls(const YAML::Node& n) {
    TlsConfig t;
    if (!n || n.IsNull()) return t;
    CheckKeys(
        n,
        {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version"},
        kTypeTls);
    t.ca_file = Str(n["ca_file"]);
    t.cert_file = Str(n["cert_file"]);
    t.key_file = Str(n["key_file"]);
    t.server_name = Str(n["server_name"]);
    t.min_version = Str(n["min_version"]);
    t.insecure_skip_verify = Bool(n["insecure_skip_verify"], false);
    return t;
  }
  std::map<std::string, std::string> StrMap(const YAML::Node& n) {
    std::map<std::string, std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsMap()) {
      TypeError(n, "map[string]string");
      return out;
    }
    for (auto it = n.begin(); it != n.end(); ++it)
      out[it->first.as<std::string>()] = Str(it->second);
    return out;
  }
  // The HTTP client keys of a scrape, alertmanager, remote_write or remote_read section.
  // Prometheus compat: sub-key type names and validation messages as prometheus/common
  // config.go in 2.42 (checked with promtool check config).
  HttpClientConfig HttpClient(const YAML::Node& n) {
    HttpClientConfig h;
    if (!n.IsMap()) return h;
    if (const YAML::Node b = n["basic_auth"]; b && !b.IsNull()) {
      CheckKeys(b, {"username", "password", "password_file"}, kTypeBasicAuth);
      BasicAuthConfig ba{Str(b["username"]), Str(b["password"]), Str(b["password_file"])};
      if (!ba.password.empty() && !ba.password_file.empty()) {
        Fail("at most one of basic_auth password & password_file must be configured");
      }
      h.basic_auth = std::move(ba);
    }
    if (const YAML::Node a = n["authorization"]; a && !a.IsNull()) {
      CheckKeys(a, {"type", "credentials", "credentials_file"}, kTypeAuthorization);
      AuthorizationConfig az;
      if (a["type"]) az.type = Str(a["type"]);
      az.credentials = Str(a["credentials"]);
      az.credentials_file = Str(a["credentials_file"]);
      if (!az.credentials.empty() && !az.credentials_file.empty()) {
        Fail("at most one of authorization credentials & credentials_file must be configured");
      }
      if (absl::AsciiStrToLower(az.type) == "basic") {
        Fail("authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
      }
      h.authorization = std::move(az);
    }
    if (const YAML::Node o = n["oauth2"]; o && !o.IsNull()) {
      CheckKeys(o,
                {"client_id", "client_secret", "client_secret_file", "scopes", "token_url",
                 "endpoint_params", "tls_config", "proxy_url"},
                kTypeOAuth2);
      OAuth2Config oa;
      oa.client_id = Str(o["client_id"]);
      oa.client_secret = Str(o["client_secret"]);
      oa.client_secret_file = Str(o["client_secret_file"]);
      oa.scopes = StrList(o["scopes"]);
      oa.token_url = Str(o["token_url"]);
      oa.endpoint_params = StrMap(o["endpoint_params"]);
      oa.proxy_url = Str(o["proxy_url"]);
      oa.tls_config = Tls(o["tls_config"]);
      h.oauth2 = std::move(oa);
    }
    const std::string bearer = Str(n["bearer_token"]);
    const std::string bearer_file = Str(n["bearer_token_file"]);
    if (!bearer.empty() && !bearer_file.empty()) {
      Fail("at most one of bearer_token & bearer_token_file must be configured");
    }
    if ((h.basic_auth || h.oauth2) && (!bearer.empty() || !bearer_file.empty())) {
      Fail(
          "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be "
          "configured");
    }
    if (h.authorization && (!bearer.empty() || !bearer_file.empty())) {
      Fail("authorization is not compatible with bearer_token & bearer_token_file");
    }
    if ((h.basic_auth ? 1 : 0) + (h.oauth2 ? 1 : 0) + (h.authorization ? 1 : 0) > 1) {
      Fail("at most one of basic_auth, oauth2 & authorization must be configured");
    }
    if (!bearer.empty() || !bearer_file.empty()) {
      h.authorization = AuthorizationConfig{"Bearer", bearer, bearer_file};
    }
    h.proxy_url = Str(n["proxy_url"]);
    if (const YAML::Node p = n["proxy_connect_header"]; p && p.IsMap()) {
      for (auto it = p.begin(); it != p.end(); ++it) {
        h.proxy_connect_header[it->first.as<std::string>()] = StrList(it->second);
      }
    }
    h.tls_config = Tls(n["tls_config"]);
    h.follow_redirects = Bool(n["follow_redirects"], true);
    h.enable_http2 = Bool(n["enable_http2"], true);
    return h;
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
    s.http_client = d.HttpClient(n);
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
      if (OtherScrapeKeys().contains(k) && !HttpClientKeys().contains(k)) {
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
          am.http_client = d.HttpClient(n);
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
      "proxy_connect_header", "follow_redirects", "enable_http2", "send_native_histograms"};
  c.remote_write = d.List<RemoteWriteConfig>(root["remote_write"], [&](const YAML::Node& n) {
    RemoteWriteConfig r;
    d.CheckKeys(n, {"url", "name", "remote_timeout", "headers", "send_exemplars",
                    "write_relabel_configs", "queue_config", "metadata_config"},
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
    r.http_client = d.HttpClient(n);
    if (const YAML::Node v = n["sigv4"]; v && !v.IsNull()) {
      d.CheckKeys(v, {"region", "access_key", "secret_key", "profile", "role_arn"}, kTypeSigV4);
      r.sigv4 = SigV4Config{d.Str(v["region"]), d.Str(v["access_key"]), d.Str(v["secret_key"]),
                            d.Str(v["profile"]), d.Str(v["role_arn"])};
    }
    if (const YAML::Node q = n["queue_config"]; q && q.IsMap()) {
      d.CheckKeys(q, {"capacity", "max_shards", "min_shards", "max_samples_per_send",
                      "batch_send_deadline", "min_backoff", "max_backoff", "retry_on_http_429"},
                  kTypeQueueConfig);
      QueueConfig& qc = r.queue_config;
      if (q["capacity"]) qc.capacity = static_cast<int64_t>(d.Uint(q["capacity"]));
      if (q["max_shards"]) qc.max_shards = static_cast<int64_t>(d.Uint(q["max_shards"]));
      if (q["min_shards"]) qc.min_shards = static_cast<int64_t>(d.Uint(q["min_shards"]));
      if (q["max_samples_per_send"]) {
        qc.max_samples_per_send = static_cast<int64_t>(d.Uint(q["max_samples_per_send"]));
      }
      if (int64_t v = d.Duration(q["batch_send_deadline"])) qc.batch_send_deadline_ms = v;
      if (int64_t v = d.Duration(q["min_backoff"])) qc.min_backoff_ms = v;
      if (int64_t v = d.Duration(q["max_backoff"])) qc.max_backoff_ms = v;
      qc.retry_on_http_429 = d.Bool(q["retry_on_http_429"], false);
      // Tally's bounds (Prometheus has none): every input has a limit.
      if (qc.max_shards < 1 || qc.max_shards > 1000) {
        d.Fail("remote_write queue_config.max_shards must be between 1 and 1000");
      }
      if (qc.min_shards < 1 || qc.min_shards > qc.max_shards) {
        d.Fail("remote_write queue_config.min_shards must be between 1 and max_shards");
      }
      if (qc.max_samples_per_send < 1 || qc.max_samples_per_send > 1'000'000) {
        d.Fail("remote_write queue_config.max_samples_per_send must be between 1 and 1000000");
      }
    }
    if (const YAML::Node m = n["metadata_config"]; m && m.IsMap()) {
      d.CheckKeys(m, {"send", "send_interval", "max_samples_per_send"}, kTypeMetadataConfig);
      MetadataConfig& mc = r.metadata_config;
      mc.send = d.Bool(m["send"], true);
      if (int64_t v = d.Duration(m["send_interval"])) mc.send_interval_ms = v;
      if (m["max_samples_per_send"]) {
        mc.max_samples_per_send = static_cast<int64_t>(d.Uint(m["max_samples_per_send"]));
      }
      if (mc.max_samples_per_send < 1) mc.max_samples_per_send = 500;
    }
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
    r.filter_external_labels = d.Bool(n["filter_external_labels"], true);
    r.headers = d.StrMap(n["headers"]);
    r.http_client = d.HttpClient(n);
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

// A config file is a few KiB; anything this large is a mistake (or /dev/zero).
constexpr size_t kMaxConfigFileBytes = size_t{64} << 20;

// "open tally.yml: no such file or directory": Go's *PathError text (strerror, lowercased).
absl::Status FileError(const char* op, const std::string& path, int err) {
  std::string what = std::strerror(err);
  if (!what.empty()) what[0] = absl::ascii_tolower(what[0]);
  std::string msg = absl::StrCat(op, " ", path, ": ", what);
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  if (err == EISDIR) return absl::FailedPreconditionError(msg);
  return absl::UnavailableError(msg);
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
  // Read with POSIX calls rather than std::ifstream: an ifstream "opens" a directory and
  // reads nothing from it, which parsed as an empty file, i.e. a reload of a directory
  // silently replaced the running config with defaults. Errors are worded as Go's
  // os.ReadFile words them ("open X: ...", "read X: is a directory").
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("open", path, errno);
  std::string data;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if (st.st_size > kMaxConfigFileBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("read ", path, ": file larger than ", kMaxConfigFileBytes, " bytes"));
    }
    data.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return FileError("read", path, err);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxConfigFileBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("read ", path, ": file larger than ", kMaxConfigFileBytes, " bytes"));
    }
  }
  ::close(fd);
  absl::StatusOr<Config> c = ParseConfig(data, path);
  if (!c.ok()) return c;
  c->source_path = path;
  // Prometheus compat (file SDConfig.SetDirectory): relative file_sd paths are relative to
  // the config file's directory.
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos) {
    const std::string dir = path.substr(0, slash + 1);
    auto resolve = [&](std::vector<FileSDConfig>& sds) {
      for (FileSDConfig& f : sds) {
        for (std::string& file : f.files) {
          if (!file.empty() && file[0] != '/') file = dir + file;
        }
      }
    };
    // ... and so are the HTTP clients' files (HTTPClientConfig.SetDirectory).
    auto join = [&](std::string& file) {
      if (!file.empty() && file[0] != '/') file = dir + file;
    };
    auto resolve_http = [&](HttpClientConfig& h) {
      join(h.tls_config.ca_file);
      join(h.tls_config.cert_file);
      join(h.tls_config.key_file);
      if (h.basic_auth) join(h.basic_auth->password_file);
      if (h.authorization) join(h.authorization->credentials_file);
    };
    for (ScrapeConfig& s : c->scrape_configs) {
      resolve(s.file_sd_configs);
      resolve_http(s.http_client);
    }
    for (AlertmanagerConfig& am : c->alerting.alertmanagers) {
      resolve(am.file_sd_configs);
      resolve_http(am.http_client);
    }
    for (RemoteWriteConfig& rw : c->remote_write) resolve_http(rw.http_client);
    for (RemoteReadConfig& rr : c->remote_read) resolve_http(rr.http_client);
  }
  return c;
}

}  // namespace tally::server::config
