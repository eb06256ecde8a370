// ConfigToYaml: the config as /api/v1/status/config shows it, written with yaml-cpp's
// YAML::Emitter (never by string concatenation: a value such as "a: b", "- x", "true" or
// one with a newline must come out quoted so the text parses back to the same strings).
//
// Prometheus compat: key order and defaults as 2.42's output, secrets masked as 2.42 masks
// them (checked by running it with a secret in every field): "<secret>" for Secret-typed
// fields, "user:xxxxx@" for URL passwords (Go's url.URL.Redacted). Tally's emitter indents
// sequences under a key by two spaces where Go's yaml.v2 does not; both are the same YAML.
#include <yaml-cpp/yaml.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/config/config.h"
#include "storage/util/duration.h"

namespace tally::server::config {
namespace {

constexpr char kSecret[] = "<secret>";

// True when a plain scalar `s` would not read back as the string s: empty, a YAML 1.1 bool
// or null, or a number in any YAML 1.1 form (decimal, float, 0x/0o/0b, sexagesimal "1:20",
// .inf/.nan). Those are double-quoted; yaml-cpp quotes the rest (":", "#", leading "-",
// control characters, ...) by itself.
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  const std::string l = absl::AsciiStrToLower(s);
  for (const char* k : {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf",
                        "-.inf", "+.inf", ".nan"}) {
    if (l == k) return true;
  }
  double d;
  if (absl::SimpleAtod(s, &d)) return true;
  size_t i = (l[0] == '+' || l[0] == '-') ? 1 : 0;
  if (l.size() > i + 1 && l[i] == '0' && (l[i + 1] == 'x' || l[i + 1] == 'o' || l[i + 1] == 'b')) {
    return true;
  }
  // Digits, '_' and ':' only (sexagesimal or underscored integers).
  bool digit = false;
  for (; i < l.size(); ++i) {
    const char c = l[i];
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '_' && c != ':') {
      return false;
    }
  }
  return digit && l.find_first_of("_:") != std::string::npos;
}

class Writer {
 public:
  Writer() { out_.SetIndent(2); }

  Writer& Key(const char* k) {
    out_ << YAML::Key << k << YAML::Value;
    return *this;
  }
  // A string value, quoted when needed.
  Writer& Str(const std::string& v) {
    if (NeedsQuotes(v)) {
      out_ << YAML::DoubleQuoted << v;
    } else {
      out_ << v;
    }
    return *this;
  }
  void KV(const char* k, const std::string& v) { Key(k).Str(v); }
  void KVIfSet(const char* k, const std::string& v) {
    if (!v.empty()) KV(k, v);
  }
  void Bool(const char* k, bool v) { out_ << YAML::Key << k << YAML::Value << v; }
  void Num(const char* k, uint64_t v) { out_ << YAML::Key << k << YAML::Value << v; }
  void Dur(const char* k, int64_t ms) { KV(k, storage::FormatDurationMs(ms)); }
  void Secret(const char* k, const std::string& v) {
    if (!v.empty()) KV(k, kSecret);
  }
  void Url(const char* k, const std::string& v) { KV(k, RedactUrl(v)); }
  void StrList(const char* k, const std::vector<std::string>& v, bool flow = false) {
    Key(k);
    if (flow) out_ << YAML::Flow;
    out_ << YAML::BeginSeq;
    for (const std::string& e : v) Str(e);
    out_ << YAML::EndSeq;
  }
  template <typename M>
  void StrMap(const char* k, const M& m) {
    if (m.empty()) return;
    Key(k);
    BeginMap();
    for (const auto& [name, value] : m) {
      out_ << YAML::Key;
      Str(std::string(name));
      out_ << YAML::Value;
      Str(std::string(value));
    }
    EndMap();
  }
  void BeginMap() { out_ << YAML::BeginMap; }
  void EndMap() { out_ << YAML::EndMap; }
  void BeginSeq() { out_ << YAML::BeginSeq; }
  void EndSeq() { out_ << YAML::EndSeq; }
  std::string Done() {
    std::string s = out_.c_str();
    if (!s.empty() && s.back() != '\n') s.push_back('\n');
    return s;
  }

 private:
  YAML::Emitter out_;
};

// Prometheus compat: Go's crypto/tls constant, as 2.42 prints min_version (TLS12 -> 771).
std::string TlsVersion(const std::string& v) {
  if (v == "TLS10") return "769";
  if (v == "TLS11") return "770";
  if (v == "TLS12") return "771";
  if (v == "TLS13") return "772";
  return v;
}

void EmitTls(Writer& w, const TlsConfig& t) {
  if (t.empty()) return;  // yaml omitempty on an all-zero struct
  w.Key("tls_config").BeginMap();
  w.KVIfSet("ca_file", t.ca_file);
  w.KVIfSet("cert_file", t.cert_file);
  w.KVIfSet("key_file", t.key_file);
  w.KVIfSet("server_name", t.server_name);
  w.Bool("insecure_skip_verify", t.insecure_skip_verify);
  if (!t.min_version.empty()) w.KV("min_version", TlsVersion(t.min_version));
  w.EndMap();
}

void EmitHttpClient(Writer& w, const HttpClientConfig& h) {
  if (h.basic_auth) {
    w.Key("basic_auth").BeginMap();
    w.KVIfSet("username", h.basic_auth->username);
    w.Secret("password", h.basic_auth->password);
    w.KVIfSet("password_file", h.basic_auth->password_file);
    w.EndMap();
  }
  if (h.authorization) {
    w.Key("authorization").BeginMap();
    w.KVIfSet("type", h.authorization->type);
    w.Secret("credentials", h.authorization->credentials);
    w.KVIfSet("credentials_file", h.authorization->credentials_file);
    w.EndMap();
  }
  if (h.oauth2) {
    const OAuth2Config& o = *h.oauth2;
    w.Key("oauth2").BeginMap();
    w.KV("client_id", o.client_id);
    w.Secret("client_secret", o.client_secret);
    w.KV("client_secret_file", o.client_secret_file);  // 2.42 always prints it
    if (!o.scopes.empty()) w.StrList("scopes", o.scopes);
    w.KV("token_url", o.token_url);
    w.StrMap("endpoint_params", o.endpoint_params);
    if (!o.proxy_url.empty()) w.Url("proxy_url", o.proxy_url);
    EmitTls(w, o.tls_config);
    w.EndMap();
  }
  if (!h.proxy_url.empty()) w.Url("proxy_url", h.proxy_url);
  if (!h.proxy_connect_header.empty()) {
    w.Key("proxy_connect_header").BeginMap();
    for (const auto& [name, values] : h.proxy_connect_header) {
      w.StrList(name.c_str(), std::vector<std::string>(values.size(), kSecret));
    }
    w.EndMap();
  }
  EmitTls(w, h.tls_config);
  w.Bool("follow_redirects", h.follow_redirects);
  w.Bool("enable_http2", h.enable_http2);
}

void EmitStatic(Writer& w, const std::vector<StaticConfig>& v) {
  if (v.empty()) return;
  w.Key("static_configs").BeginSeq();
  for (const StaticConfig& s : v) {
    w.BeginMap();
    w.StrList("targets", s.targets);
    if (!s.labels.empty()) {
      w.Key("labels").BeginMap();
      for (const auto& l : s.labels) w.KV(std::string(l.name).c_str(), std::string(l.value));
      w.EndMap();
    }
    w.EndMap();
  }
  w.EndSeq();
}

// Prometheus compat: relabel configs as 2.42 prints them (source_labels in flow style,
// defaults filled in, modulus only when set).
void EmitRelabel(Writer& w, const char* key, const std::vector<RelabelConfig>& v) {
  if (v.empty()) return;
  w.Key(key).BeginSeq();
  for (const RelabelConfig& r : v) {
    w.BeginMap();
    if (!r.source_labels.empty()) w.StrList("source_labels", r.source_labels, /*flow=*/true);
    w.KV("separator", r.separator);
    w.KV("regex", r.regex);
    if (r.modulus != 0) w.Num("modulus", r.modulus);
    w.KVIfSet("target_label", r.target_label);
    w.KV("replacement", r.replacement);
    w.KV("action", r.action);
    w.EndMap();
  }
  w.EndSeq();
}

// Service discovery after relabelling, file_sd_configs before static_configs (2.42's order).
void EmitSD(Writer& w, const std::vector<FileSDConfig>& files,
            const std::vector<StaticConfig>& statics) {
  if (!files.empty()) {
    w.Key("file_sd_configs").BeginSeq();
    for (const FileSDConfig& f : files) {
      w.BeginMap();
      w.StrList("files", f.files);
      w.Dur("refresh_interval", f.refresh_interval_ms);
      w.EndMap();
    }
    w.EndSeq();
  }
  EmitStatic(w, statics);
}

}  // namespace

std::string RedactUrl(absl::string_view url) {
  // Go's url.Parse: userinfo is the authority (after "//", up to the first '/', '?' or '#')
  // up to its last '@'; the password is what follows the first ':' in it.
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return std::string(url);
  const size_t auth_begin = scheme_end + 3;
  size_t auth_end = url.find_first_of("/?#", auth_begin);
  if (auth_end == absl::string_view::npos) auth_end = url.size();
  const absl::string_view authority = url.substr(auth_begin, auth_end - auth_begin);
  const size_t at = authority.rfind('@');
  if (at == absl::string_view::npos) return std::string(url);
  const absl::string_view userinfo = authority.substr(0, at);
  const size_t colon = userinfo.find(':');
  if (colon == absl::string_view::npos) return std::string(url);
  return absl::StrCat(url.substr(0, auth_begin + colon + 1), "xxxxx", url.substr(auth_begin + at));
}

std::string ConfigToYaml(const Config& c) {
  Writer w;
  w.BeginMap();
  w.Key("global").BeginMap();
  w.Dur("scrape_interval", c.global.scrape_interval_ms);
  w.Dur("scrape_timeout", c.global.scrape_timeout_ms);
  w.Dur("evaluation_interval", c.global.evaluation_interval_ms);
  if (!c.global.query_log_file.empty()) w.KV("query_log_file", c.global.query_log_file);
  if (!c.global.external_labels.empty()) {
    w.Key("external_labels").BeginMap();
    for (const auto& l : c.global.external_labels) {
      w.KV(std::string(l.name).c_str(), std::string(l.value));
    }
    w.EndMap();
  }
  w.EndMap();

  if (!c.alerting.alertmanagers.empty() || !c.alerting.alert_relabel_configs.empty()) {
    w.Key("alerting").BeginMap();
    EmitRelabel(w, "alert_relabel_configs", c.alerting.alert_relabel_configs);
    w.Key("alertmanagers").BeginSeq();
    for (const AlertmanagerConfig& am : c.alerting.alertmanagers) {
      w.BeginMap();
      EmitHttpClient(w, am.http_client);
      w.KV("scheme", am.scheme);
      if (am.path_prefix != "/" && !am.path_prefix.empty()) w.KV("path_prefix", am.path_prefix);
      w.Dur("timeout", am.timeout_ms);
      w.KV("api_version", am.api_version);
      EmitRelabel(w, "relabel_configs", am.relabel_configs);
      EmitSD(w, am.file_sd_configs, am.static_configs);
      w.EndMap();
    }
    w.EndSeq();
    w.EndMap();
  }
  if (!c.rule_files.empty()) w.StrList("rule_files", c.rule_files);
  if (!c.scrape_configs.empty()) {
    w.Key("scrape_configs").BeginSeq();
    for (const ScrapeConfig& s : c.scrape_configs) {
      w.BeginMap();
      w.KV("job_name", s.job_name);
      if (s.honor_labels) w.Bool("honor_labels", true);
      w.Bool("honor_timestamps", s.honor_timestamps);
      if (!s.params.empty()) {
        w.Key("params").BeginMap();
        for (const auto& [k, v] : s.params) w.StrList(k.c_str(), v);
        w.EndMap();
      }
      w.Dur("scrape_interval", s.scrape_interval_ms);
      w.Dur("scrape_timeout", s.scrape_timeout_ms);
      w.KV("metrics_path", s.metrics_path);
      w.KV("scheme", s.scheme);
      auto limit = [&](const char* k, uint64_t v) {
        if (v != 0) w.Num(k, v);
      };
      limit("sample_limit", s.sample_limit);
      limit("target_limit", s.target_limit);
      limit("label_limit", s.label_limit);
      limit("label_name_length_limit", s.label_name_length_limit);
      limit("label_value_length_limit", s.label_value_length_limit);
      EmitHttpClient(w, s.http_client);
      EmitRelabel(w, "relabel_configs", s.relabel_configs);
      EmitRelabel(w, "metric_relabel_configs", s.metric_relabel_configs);
      EmitSD(w, s.file_sd_configs, s.static_configs);
      w.EndMap();
    }
    w.EndSeq();
  }
  if (!c.remote_write.empty()) {
    w.Key("remote_write").BeginSeq();
    for (const RemoteWriteConfig& r : c.remote_write) {
      w.BeginMap();
      w.Url("url", r.url);
      w.Dur("remote_timeout", r.remote_timeout_ms);
      w.StrMap("headers", r.headers);
      w.KVIfSet("name", r.name);
      if (r.send_exemplars) w.Bool("send_exemplars", true);
      EmitRelabel(w, "write_relabel_configs", r.write_relabel_configs);
      EmitHttpClient(w, r.http_client);
      if (r.sigv4) {
        w.Key("sigv4").BeginMap();
        w.KVIfSet("region", r.sigv4->region);
        w.KVIfSet("access_key", r.sigv4->access_key);
        w.Secret("secret_key", r.sigv4->secret_key);
        w.KVIfSet("profile", r.sigv4->profile);
        w.KVIfSet("role_arn", r.sigv4->role_arn);
        w.EndMap();
      }
      const QueueConfig& q = r.queue_config;
      w.Key("queue_config").BeginMap();
      w.Num("capacity", static_cast<uint64_t>(q.capacity));
      w.Num("max_shards", static_cast<uint64_t>(q.max_shards));
      w.Num("min_shards", static_cast<uint64_t>(q.min_shards));
      w.Num("max_samples_per_send", static_cast<uint64_t>(q.max_samples_per_send));
      w.Dur("batch_send_deadline", q.batch_send_deadline_ms);
      w.Dur("min_backoff", q.min_backoff_ms);
      w.Dur("max_backoff", q.max_backoff_ms);
      if (q.retry_on_http_429) w.Bool("retry_on_http_429", true);
      w.EndMap();
      w.Key("metadata_config").BeginMap();
      w.Bool("send", r.metadata_config.send);
      w.Dur("send_interval", r.metadata_config.send_interval_ms);
      w.Num("max_samples_per_send", static_cast<uint64_t>(r.metadata_config.max_samples_per_send));
      w.EndMap();
      w.EndMap();
    }
    w.EndSeq();
  }
  if (!c.remote_read.empty()) {
    w.Key("remote_read").BeginSeq();
    for (const RemoteReadConfig& r : c.remote_read) {
      w.BeginMap();
      w.Url("url", r.url);
      w.Dur("remote_timeout", r.remote_timeout_ms);
      w.StrMap("headers", r.headers);
      w.KVIfSet("name", r.name);
      if (r.read_recent) w.Bool("read_recent", true);
      EmitHttpClient(w, r.http_client);
      w.Bool("filter_external_labels", r.filter_external_labels);
      w.EndMap();
    }
    w.EndSeq();
  }
  w.EndMap();
  return w.Done();
}

}  // namespace tally::server::config
