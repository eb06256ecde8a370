#include "rules/client/http_url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/model/labels.h"

namespace tally::rules {
namespace {

absl::Status ParseError(absl::string_view url, absl::string_view what) {
  // Prometheus compat: Go's *url.Error prints `parse "URL": reason`.
  return absl::InvalidArgumentError(
      absl::StrCat("parse ", storage::GoQuote(url), ": ", what));
}

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string HttpUrl::HostPort() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

std::string HttpUrl::HostHeader() const {
  if (port != (https ? 443 : 80)) return HostPort();
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]");
  return host;
}

std::string HttpUrl::Target() const {
  return query.empty() ? path : absl::StrCat(path, "?", query);
}

std::string HttpUrl::ToString() const {
  return absl::StrCat(https ? "https://" : "http://", HostPort(), Target());
}

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return ParseError(url, "net/url: invalid control character in URL");
    }
  }
  size_t colon = url.find("://");
  if (colon == absl::string_view::npos || colon == 0) {
    return ParseError(url, "missing protocol scheme");
  }
  std::string scheme = absl::AsciiStrToLower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https") {
    return ParseError(url, absl::StrCat("unsupported protocol scheme \"", scheme, "\""));
  }
  absl::string_view rest = url.substr(colon + 3);
  size_t hash = rest.find('#');
  if (hash != absl::string_view::npos) rest = rest.substr(0, hash);
  size_t path_start = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_start);
  absl::string_view path_query =
      path_start == absl::string_view::npos ? absl::string_view() : rest.substr(path_start);
  if (authority.find('@') != absl::string_view::npos) {
    return absl::UnimplementedError(
        absl::StrCat("credentials in URLs are not supported (", url, ")"));
  }

  HttpUrl out;
  out.https = scheme == "https";
  out.port = out.https ? 443 : 80;
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return ParseError(url, "missing ']' in host");
    out.host = std::string(authority.substr(1, close - 1));
    for (char c : out.host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return ParseError(url, absl::StrCat("invalid IPv6 address \"", out.host, "\""));
      }
    }
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return ParseError(url, absl::StrCat("invalid port \"", after, "\" after host"));
      }
      port_text = after.substr(1);
      if (port_text.empty()) return ParseError(url, "invalid port \":\" after host");
    }
  } else {
    size_t pc = authority.rfind(':');
    absl::string_view host = authority.substr(0, pc);
    if (pc != absl::string_view::npos) {
      port_text = authority.substr(pc + 1);
      if (port_text.empty()) return ParseError(url, "invalid port \":\" after host");
    }
    for (char c : host) {
      if (!IsHostNameChar(c)) {
        return ParseError(url,
                          absl::StrCat("invalid character \"", absl::string_view(&c, 1), "\" in host name"));
      }
    }
    out.host = std::string(host);
  }
  if (out.host.empty()) return ParseError(url, "empty host");
  if (!port_text.empty()) {
    int port = 0;
    bool digits = true;
    for (char c : port_text) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!digits || !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return ParseError(url, absl::StrCat("invalid port \":", port_text, "\" after host"));
    }
    out.port = port;
  }

  size_t q = path_query.find('?');
  absl::string_view path = path_query.substr(0, q);
  if (q != absl::string_view::npos) out.query = std::string(path_query.substr(q + 1));
  for (char c : path_query) {
    if (c == ' ') return ParseError(url, "invalid character \" \" in URL path or query");
  }
  out.path = path.empty() ? "/" : std::string(path);
  return out;
}

HttpUrl JoinUrlPath(const HttpUrl& base, absl::string_view suffix) {
  HttpUrl out = base;
  absl::string_view p = base.path;
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  std::string path = absl::StrCat(p, suffix);
  if (path.empty()) path.push_back('/');
  out.path = std::move(path);
  out.query.clear();
  return out;
}

std::string UrlQueryEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace tally::rules
