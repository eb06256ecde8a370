// The outgoing HTTP client settings of a config section that talks to a peer (a scrape
// job, a remote_write or remote_read entry, an Alertmanager): its tls_config and its
// credentials (basic_auth, or authorization with bearer_token folded in), as options of
// rules::HttpClient. oauth2, proxy_url, proxy_connect_header, sigv4 and follow_redirects /
// enable_http2 are parsed by the config but not acted on (docs/compatibility.md).
//
// Pure functions; thread-safe.
#pragma once

#include "absl/status/status.h"
#include "rules/client/http_client.h"
#include "server/config/config.h"

namespace tally::server::config {

rules::TlsClientOptions TlsOptionsFor(const TlsConfig& tls);
rules::HttpAuthOptions AuthOptionsFor(const HttpClientConfig& c);

// `base` with c's TLS and credentials set.
rules::HttpClientOptions WithHttpClientConfig(const HttpClientConfig& c,
                                              rules::HttpClientOptions base);

// What Prometheus checks when it creates the client at config load: the TLS files load.
// InvalidArgument "error creating HTTP client: unable to load specified CA cert ...".
absl::Status ValidateHttpClientConfig(const HttpClientConfig& c);

}  // namespace tally::server::config
