#include "server/http/router.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace tally::server::http {
namespace {

std::vector<absl::string_view> SplitPath(absl::string_view path) {
  return absl::StrSplit(path, '/');
}

}  // namespace

void Router::Handle(absl::string_view method, absl::string_view pattern, Handler handler) {
  Route r;
  r.method = std::string(method);
  r.pattern = std::string(pattern);
  for (absl::string_view s : SplitPath(pattern)) r.segments.emplace_back(s);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

void Router::HandlePrefix(absl::string_view method, absl::string_view prefix, Handler handler) {
  Route r;
  r.method = std::string(method);
  r.pattern = std::string(prefix);
  r.handler = std::move(handler);
  prefix_routes_.push_back(std::move(r));
}

bool Router::Match(const Route& r, const std::vector<absl::string_view>& segs,
                   std::vector<std::pair<std::string, std::string>>* params) {
  if (r.segments.size() != segs.size()) return false;
  params->clear();
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& p = r.segments[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (segs[i].empty()) return false;
      params->emplace_back(p.substr(1, p.size() - 2), std::string(segs[i]));
    } else if (p != segs[i]) {
      return false;
    }
  }
  return true;
}

void Router::Dispatch(HttpRequest* req, HttpResponse* resp) const {
  std::vector<absl::string_view> segs = SplitPath(req->path);
  std::vector<std::pair<std::string, std::string>> params;
  bool path_known = false;
  for (const Route& r : routes_) {
    if (!Match(r, segs, &params)) continue;
    path_known = true;
    if (r.method != req->method) continue;
    req->path_params = std::move(params);
    resp->handler_name = r.pattern;
    r.handler(*req, resp);
    return;
  }
  for (const Route& r : prefix_routes_) {
    if (r.method != req->method || !absl::StartsWith(req->path, r.pattern)) continue;
    resp->handler_name = r.pattern;
    r.handler(*req, resp);
    return;
  }
  resp->content_type = "text/plain; charset=utf-8";
  if (path_known) {
    resp->status = 405;
    resp->body = "Method Not Allowed\n";
    resp->handler_name = "method_not_allowed";
  } else {
    resp->status = 404;
    resp->body = "404 page not found\n";
    resp->handler_name = "not_found";
  }
}

}  // namespace tally::server::http
