// WebConfig: the --web.config.file of Prometheus (exporter-toolkit's format, as 2.42 reads
// it): TLS for the listener, HTTP basic auth with bcrypt-hashed passwords, and a fixed set of
// security response headers.
//
//   tls_server_config:   cert_file, key_file, client_auth_type, client_ca_file, min_version,
//                        max_version, cipher_suites, curve_preferences,
//                        prefer_server_cipher_suites
//   http_server_config:  http2 (accepted; Tally speaks HTTP/1.1 only), headers
//   basic_auth_users:    user: <bcrypt hash>
//
// Relative cert_file, key_file and client_ca_file resolve against the file's directory.
// Parsing is strict (unknown keys fail) and errors are worded as 2.42 words them (checked
// side by side): "missing key_file", "unknown TLS version: TLS14", "Invalid ClientAuth: Foo",
// "crypto/bcrypt: hashedSecret too short to be a bcrypted password", ...
//
// Nothing here logs; error messages never contain a password hash or a key.
// Values are plain data: copy freely, share across threads when const.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tally::server::http {

struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  // NoClientCert (or ""), RequestClientCert, RequireAnyClientCert (alias RequireClientCert),
  // VerifyClientCertIfGiven, RequireAndVerifyClientCert; checked by tls_context.h.
  std::string client_auth_name;
  // Wire values: 0x0301 TLS10 ... 0x0304 TLS13. Defaults as exporter-toolkit: TLS12..TLS13.
  uint16_t min_version = 0x0303;
  uint16_t max_version = 0x0304;
  // IANA names (Go's crypto/tls names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); empty:
  // OpenSSL's defaults. They apply to TLS 1.2 and below, as in Go.
  std::vector<std::string> cipher_suites;
  // CurveP256, CurveP384, CurveP521, X25519; empty: OpenSSL's defaults.
  std::vector<std::string> curve_preferences;
  bool prefer_server_cipher_suites = true;

  // exporter-toolkit: TLS is on when any of these is set (then cert and key are required).
  bool Enabled() const {
    return !cert_file.empty() || !key_file.empty() || !client_ca_file.empty() ||
           !client_auth_name.empty();
  }
};

struct WebConfig {
  TlsServerConfig tls;
  bool http2 = true;                          // accepted, not used (HTTP/1.1 only)
  std::map<std::string, std::string> headers;  // validated against the allowed set
  std::map<std::string, std::string> users;    // user -> bcrypt hash (a secret)
};

// Parses the YAML text; `dir` resolves relative file paths. Checks the keys, enumerations,
// headers and that every password is a bcrypt hash; does not touch the certificate files
// (tls_context.h does: call ValidateWebConfigFile for the full check).
absl::StatusOr<WebConfig> ParseWebConfig(absl::string_view yaml, absl::string_view dir);
// Reads (at most 1 MiB) and parses a file.
absl::StatusOr<WebConfig> LoadWebConfigFile(const std::string& path);

// Go's bcrypt.Cost check, with its wording; OK for a well-formed $2a$/$2b$/$2y$ hash.
absl::Status CheckBcryptHash(absl::string_view hash);

}  // namespace tally::server::http
