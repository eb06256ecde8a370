#include "server/http/route_prefix.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tally::server::http {

absl::StatusOr<std::string> RoutePrefix(const std::string& route_prefix,
                                        const std::string& external_url) {
  std::string p = route_prefix;
  if (p.empty() && !external_url.empty()) {
    absl::string_view u = external_url;
    if (!absl::ConsumePrefix(&u, "http://") && !absl::ConsumePrefix(&u, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("external URL ", external_url, " must start with http:// or https://"));
    }
    size_t slash = u.find('/');
    if (slash == 0) {
      return absl::InvalidArgumentError(absl::StrCat("external URL ", external_url, " has no host"));
    }
    if (slash != absl::string_view::npos) p = std::string(u.substr(slash));
    size_t q = p.find_first_of("?#");
    if (q != std::string::npos) p.resize(q);
  }
  absl::string_view t = p;
  while (absl::ConsumePrefix(&t, "/")) {
  }
  while (absl::ConsumeSuffix(&t, "/")) {
  }
  return absl::StrCat("/", t);
}

bool StripRoutePrefix(const std::string& prefix, HttpRequest* req, HttpResponse* resp) {
  if (prefix.empty() || prefix == "/") return true;
  auto redirect = [&](int code, std::string location) {
    resp->status = code;
    resp->content_type = "text/html; charset=utf-8";
    resp->body = absl::StrCat("<a href=\"", location, "\">",
                              code == 301 ? "Moved Permanently" : "Found", "</a>.\n\n");
    resp->headers.emplace_back("Location", std::move(location));
  };
  if (req->path == "/") {
    redirect(302, prefix);
    return false;
  }
  if (req->path == prefix) {
    redirect(301, prefix + "/");
    return false;
  }
  if (!absl::StartsWith(req->path, prefix + "/")) {
    resp->status = 404;
    resp->content_type = "text/plain; charset=utf-8";
    resp->body = "404 page not found\n";
    return false;
  }
  req->path = req->path.substr(prefix.size());
  req->target = req->target.substr(prefix.size());
  return true;
}

}  // namespace tally::server::http
