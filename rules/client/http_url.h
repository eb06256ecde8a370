// HttpUrl: the parsed form of the URLs Tally's outgoing clients accept (Alertmanager base
// URLs, query-API base URLs, remote-write URLs, scrape targets):
//
//   http[s]://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]
//
// HOST is a DNS name, an IPv4 address or a bracketed IPv6 address ("[::1]"); PORT defaults
// to 80 (443 for https). The scheme is matched case-insensitively. What is rejected, and
// why:
//  - user:password@ in the authority: Unimplemented (credentials belong in a config
//    section, not a URL that ends up in logs);
//  - any other scheme, an empty host, a bad port, spaces or control characters:
//    InvalidArgument worded like Go's net/url (`parse "URL": ...`), which is what users of
//    Prometheus see for the same mistakes.
// The path and query are kept as written (no percent-decoding); the fragment is dropped,
// as HTTP clients never send it.
//
// Pure functions and value types; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tally::rules {

struct HttpUrl {
  bool https = false;
  std::string host;  // without brackets for IPv6
  int port = 80;
  std::string path = "/";  // always starts with '/'
  std::string query;       // after '?', without it; "" when absent

  // "host:port" or "[v6]:port", as sent in the Host header when the port is not the
  // scheme's default (HostHeader() omits ":80" / ":443").
  std::string HostPort() const;
  std::string HostHeader() const;
  // path + ("?" + query when non-empty): the request target.
  std::string Target() const;
  // "http://" or "https://" + HostPort() + Target().
  std::string ToString() const;
};

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url);

// A copy of `base` whose path is base.path (trailing '/' removed) + `suffix` (which starts
// with '/'), query cleared: "http://am:9093/prefix/" + "/api/v2/alerts" ->
// "http://am:9093/prefix/api/v2/alerts".
HttpUrl JoinUrlPath(const HttpUrl& base, absl::string_view suffix);

// Go's url.QueryEscape: bytes outside [A-Za-z0-9-_.~] as %XX, space as '+'. For building
// query strings and application/x-www-form-urlencoded bodies.
std::string UrlQueryEscape(absl::string_view s);

}  // namespace tally::rules
