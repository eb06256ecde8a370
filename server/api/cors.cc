#include "server/api/cors.h"

#include <re2/re2.h>

#include "absl/strings/str_cat.h"
#include "storage/model/labels.h"

namespace tally::server::api {

absl::StatusOr<CorsPolicy> CorsPolicy::Make(const std::string& origin_regex) {
  CorsPolicy p;
  const std::string anchored = absl::StrCat("^(?:", origin_regex, ")$");
  auto re = std::make_shared<re2::RE2>(anchored, re2::RE2::Quiet);
  if (!re->ok()) {
    // Prometheus compat: main.go exits with
    // could not compile CORS regex string "(": error parsing regexp: ...
    return absl::InvalidArgumentError(absl::StrCat("could not compile CORS regex string ",
                                                   storage::GoQuote(origin_regex),
                                                   ": error parsing regexp: ", re->error()));
  }
  // Prometheus compat: the default pattern answers "*" rather than echoing the origin.
  if (origin_regex != kDefaultCorsOrigin) p.re_ = std::move(re);
  return p;
}

void CorsPolicy::Apply(const http::HttpRequest& req, http::HttpResponse* resp) const {
  const absl::string_view origin = req.Header("origin");
  if (origin.empty()) return;
  resp->headers.emplace_back("Access-Control-Allow-Headers",
                             "Accept, Authorization, Content-Type, Origin");
  resp->headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  resp->headers.emplace_back("Access-Control-Expose-Headers", "Date");
  resp->headers.emplace_back("Vary", "Origin");
  if (re_ == nullptr) {
    resp->headers.emplace_back("Access-Control-Allow-Origin", "*");
  } else if (re2::RE2::FullMatch(re2::StringPiece(origin.data(), origin.size()), *re_)) {
    resp->headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  }
}

}  // namespace tally::server::api
