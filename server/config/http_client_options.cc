#include "server/config/http_client_options.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tally::server::config {

rules::TlsClientOptions TlsOptionsFor(const TlsConfig& tls) {
  rules::TlsClientOptions o;
  o.ca_file = tls.ca_file;
  o.cert_file = tls.cert_file;
  o.key_file = tls.key_file;
  o.server_name = tls.server_name;
  o.insecure_skip_verify = tls.insecure_skip_verify;
  o.min_version = tls.min_version;
  return o;
}

rules::HttpAuthOptions AuthOptionsFor(const HttpClientConfig& c) {
  rules::HttpAuthOptions o;
  if (c.basic_auth) {
    o.basic = true;
    o.username = c.basic_auth->username;
    o.password = c.basic_auth->password;
    o.password_file = c.basic_auth->password_file;
  } else if (c.authorization) {
    o.type = c.authorization->type.empty() ? "Bearer" : c.authorization->type;
    o.credentials = c.authorization->credentials;
    o.credentials_file = c.authorization->credentials_file;
  }
  return o;
}

rules::HttpClientOptions WithHttpClientConfig(const HttpClientConfig& c,
                                              rules::HttpClientOptions base) {
  base.tls = TlsOptionsFor(c.tls_config);
  base.auth = AuthOptionsFor(c);
  return base;
}

absl::Status ValidateHttpClientConfig(const HttpClientConfig& c) {
  absl::Status s = rules::ValidateTlsClientOptions(TlsOptionsFor(c.tls_config));
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat("error creating HTTP client: ", s.message()));
}

}  // namespace tally::server::config
