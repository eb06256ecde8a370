#include "server/http/http_types.h"

namespace tally::server::http {

absl::string_view HttpRequest::Header(absl::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

absl::string_view HttpRequest::PathParam(absl::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace tally::server::http
