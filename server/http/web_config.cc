#include "server/http/web_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tally::server::http {
namespace {

constexpr size_t kMaxWebConfigBytes = 1 << 20;

// Prometheus compat: exporter-toolkit's extraHTTPHeaders: the only configurable headers,
// with the enumerated values of the two that have them.
const std::map<std::string, std::vector<std::string>>& AllowedHeaders() {
  static const auto* h = new std::map<std::string, std::vector<std::string>>{
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return *h;
}

// Collects yaml.v2-style unmarshal errors ("line N: field K not found in type T") so they
// come out together as Go's UnmarshalStrict reports them.
class Decoder {
 public:
  void CheckKeys(const YAML::Node& map, std::initializer_list<const char*> known,
                 const char* type) {
    if (!map.IsMap()) return;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      bool ok = false;
      for (const char* k : known) ok = ok || key == k;
      if (!ok) {
        errors_.push_back(absl::StrCat("line ", it->first.Mark().line + 1, ": field ", key,
                                       " not found in type ", type));
      }
    }
  }
  // A map node (or absent/null); records Go's type error otherwise.
  bool Map(const YAML::Node& n, const char* go_type) {
    if (!n || n.IsNull()) return false;
    if (n.IsMap()) return true;
    TypeError(n, go_type);
    return false;
  }
  std::string Str(const YAML::Node& n) {
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) {
      TypeError(n, "string");
      return "";
    }
    return n.Scalar();
  }
  bool Bool(const YAML::Node& n, bool dflt) {
    if (!n || n.IsNull()) return dflt;
    bool b = dflt;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) TypeError(n, "bool");
    return b;
  }
  std::vector<std::string> StrList(const YAML::Node& n, const char* go_type) {
    std::vector<std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) {
      TypeError(n, go_type);
      return out;
    }
    for (const YAML::Node& e : n) out.push_back(Str(e));
    return out;
  }
  std::map<std::string, std::string> StrMap(const YAML::Node& n, const char* go_type) {
    std::map<std::string, std::string> out;
    if (!Map(n, go_type)) return out;
    for (auto it = n.begin(); it != n.end(); ++it) {
      out[it->first.Scalar()] = Str(it->second);
    }
    return out;
  }
  absl::Status Finish() const {
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: unmarshal errors:\n  ", absl::StrJoin(errors_, "\n  ")));
  }

 private:
  void TypeError(const YAML::Node& n, const char* go_type) {
    const char* tag = n.IsSequence() ? "!!seq" : n.IsMap() ? "!!map" : "!!str";
    errors_.push_back(absl::StrCat("line ", n.Mark().line + 1, ": cannot unmarshal ", tag,
                                   " into ", go_type));
  }
  std::vector<std::string> errors_;
};

absl::StatusOr<uint16_t> TlsVersion(const std::string& s) {
  if (s == "TLS13") return 0x0304;
  if (s == "TLS12") return 0x0303;
  if (s == "TLS11") return 0x0302;
  if (s == "TLS10") return 0x0301;
  return absl::InvalidArgumentError(absl::StrCat("unknown TLS version: ", s));
}

std::string JoinDir(absl::string_view dir, const std::string& p) {
  if (p.empty() || dir.empty() || p[0] == '/') return p;
  return (std::filesystem::path(std::string(dir)) / p).string();
}

}  // namespace

absl::Status CheckBcryptHash(absl::string_view h) {
  // Prometheus compat: golang.org/x/crypto/bcrypt newFromHash/decodeVersion/decodeCost, in
  // that order, with their messages.
  if (h.size() < 59) {
    return absl::InvalidArgumentError(
        "crypto/bcrypt: hashedSecret too short to be a bcrypted password");
  }
  if (h[0] != '$') {
    return absl::InvalidArgumentError(absl::StrCat(
        "crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with '",
        h.substr(0, 1), "'"));
  }
  if (h[1] > '2') {
    return absl::InvalidArgumentError(
        absl::StrCat("crypto/bcrypt: bcrypt algorithm version '", h.substr(1, 1),
                     "' requested is newer than current version '2'"));
  }
  size_t n = h[2] != '$' ? 4 : 3;  // "$2$" or "$2x$"
  int cost = 0;
  if (!absl::SimpleAtoi(h.substr(n, 2), &cost)) {
    return absl::InvalidArgumentError(
        absl::StrCat("strconv.Atoi: parsing \"", h.substr(n, 2), "\": invalid syntax"));
  }
  if (cost < 4 || cost > 31) {
    return absl::InvalidArgumentError(
        absl::StrCat("crypto/bcrypt: cost ", cost, " is outside allowed range (4,31)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<WebConfig> ParseWebConfig(absl::string_view yaml, absl::string_view dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.msg));
  }
  WebConfig c;
  Decoder d;
  std::vector<std::string> ciphers, curves;
  std::string min_v, max_v;
  if (d.Map(root, "web.Config")) {
    d.CheckKeys(root, {"tls_server_config", "http_server_config", "basic_auth_users"},
                "web.Config");
    const YAML::Node tls = root["tls_server_config"];
    if (d.Map(tls, "web.TLSConfig")) {
      d.CheckKeys(tls,
                  {"cert_file", "key_file", "client_auth_type", "client_ca_file",
                   "cipher_suites", "curve_preferences", "min_version", "max_version",
                   "prefer_server_cipher_suites", "client_allowed_sans"},
                  "web.TLSConfig");
      c.tls.cert_file = d.Str(tls["cert_file"]);
      c.tls.key_file = d.Str(tls["key_file"]);
      c.tls.client_ca_file = d.Str(tls["client_ca_file"]);
      c.tls.client_auth_name = d.Str(tls["client_auth_type"]);
      ciphers = d.StrList(tls["cipher_suites"], "[]web.Cipher");
      curves = d.StrList(tls["curve_preferences"], "[]web.Curve");
      min_v = d.Str(tls["min_version"]);
      max_v = d.Str(tls["max_version"]);
      c.tls.prefer_server_cipher_suites = d.Bool(tls["prefer_server_cipher_suites"], true);
      if (tls["client_allowed_sans"] && !tls["client_allowed_sans"].IsNull()) {
        // Accepting and ignoring it would let in clients the operator meant to keep out.
        return absl::InvalidArgumentError(
            "client_allowed_sans is not supported by Tally (see docs/configuration.md)");
      }
    }
    const YAML::Node hc = root["http_server_config"];
    if (d.Map(hc, "web.HTTPConfig")) {
      d.CheckKeys(hc, {"http2", "headers"}, "web.HTTPConfig");
      c.http2 = d.Bool(hc["http2"], true);
      c.headers = d.StrMap(hc["headers"], "map[string]string");
    }
    c.users = d.StrMap(root["basic_auth_users"], "map[string]config.Secret");
  } else if (root && !root.IsNull()) {
    // d.Map recorded the type error.
  }
  if (absl::Status st = d.Finish(); !st.ok()) return st;

  // The semantic checks, in exporter-toolkit's order (users, headers, TLS).
  for (const auto& [user, hash] : c.users) {
    if (absl::Status st = CheckBcryptHash(hash); !st.ok()) return st;
  }
  for (const auto& [name, value] : c.headers) {
    auto it = AllowedHeaders().find(name);
    if (it == AllowedHeaders().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("HTTP header \"", name, "\" can not be configured"));
    }
    const std::vector<std::string>& allowed = it->second;
    if (allowed.empty()) continue;
    bool ok = false;
    for (const std::string& a : allowed) ok = ok || a == value;
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid value for ", name, ". Expected one of: [\"",
          absl::StrJoin(allowed, "\" \""), "\"], but got: \"", value, "\""));
    }
  }
  for (const std::string& cs : ciphers) c.tls.cipher_suites.push_back(cs);
  for (const std::string& cv : curves) {
    if (cv != "CurveP256" && cv != "CurveP384" && cv != "CurveP521" && cv != "X25519") {
      return absl::InvalidArgumentError(absl::StrCat("unknown curve: ", cv));
    }
    c.tls.curve_preferences.push_back(cv);
  }
  if (!min_v.empty()) {
    absl::StatusOr<uint16_t> v = TlsVersion(min_v);
    if (!v.ok()) return v.status();
    c.tls.min_version = *v;
  }
  if (!max_v.empty()) {
    absl::StatusOr<uint16_t> v = TlsVersion(max_v);
    if (!v.ok()) return v.status();
    c.tls.max_version = *v;
  }
  // client_auth_type is checked (and mapped) in tls_context.cc, after the key pair, as
  // exporter-toolkit orders its errors.
  c.tls.cert_file = JoinDir(dir, c.tls.cert_file);
  c.tls.key_file = JoinDir(dir, c.tls.key_file);
  c.tls.client_ca_file = JoinDir(dir, c.tls.client_ca_file);
  return c;
}

absl::StatusOr<WebConfig> LoadWebConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("open ", path, ": no such file or directory"));
  }
  std::string text;
  text.resize(kMaxWebConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxWebConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("web config file ", path, " is larger than 1 MiB"));
  }
  return ParseWebConfig(text, std::filesystem::path(path).parent_path().string());
}

}  // namespace tally::server::http
