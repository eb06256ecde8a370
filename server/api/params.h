// Request parameters and Prometheus's parameter formats (HTTP_API.md §0, §3).
//
// RequestParams merges the URL query string with an application/x-www-form-urlencoded POST
// body the way Go's Request.ParseForm does: for each key the body's values come first, so
// the body wins for single-valued keys; `+` decodes to a space. Other body types are
// ignored (a JSON body means "no parameters"). Value type; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/http/http_types.h"

namespace tally::server::api {

// Decodes "a=1&b=x+y%21" into pairs, in order. Invalid %-escapes are kept verbatim
// (Go rejects the whole query; we are lenient). Keys without '=' get an empty value.
std::vector<std::pair<std::string, std::string>> ParseUrlEncoded(absl::string_view s);
std::string UrlDecode(absl::string_view s, bool plus_is_space);

class RequestParams {
 public:
  explicit RequestParams(const http::HttpRequest& req);
  // First value of `key` (body before URL), or nullopt when absent.
  std::optional<std::string> Get(absl::string_view key) const;
  // Value or "" when absent.
  std::string GetOr(absl::string_view key, absl::string_view dflt = "") const;
  std::vector<std::string> GetAll(absl::string_view key) const;
  bool Has(absl::string_view key) const { return Get(key).has_value(); }

 private:
  std::vector<std::pair<std::string, std::string>> body_;
  std::vector<std::pair<std::string, std::string>> url_;
};

// Prometheus's minTime/maxTime sentinels (what clients send for "no bound"), in ms.
inline constexpr int64_t kApiMinTimeMs = -9223309901257974000LL;
inline constexpr int64_t kApiMaxTimeMs = 9223309901257974999LL;

// §3.1: float Unix seconds (fraction rounded to ms), RFC 3339, or the two sentinel strings.
// InvalidArgument `cannot parse "<s>" to a valid timestamp`.
absl::StatusOr<int64_t> ParseTimeMs(absl::string_view s);
// §3.2: float seconds or a Prometheus duration. InvalidArgument
// `cannot parse "<s>" to a valid duration` (`. It overflows int64` when too large).
absl::StatusOr<absl::Duration> ParseDurationParam(absl::string_view s);

}  // namespace tally::server::api
