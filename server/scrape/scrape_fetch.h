// ScrapeFetcher: the HTTP side of one scrape, as Prometheus 2.42's targetScraper does it:
// GET with Prometheus's Accept (OpenMetrics 1.0 preferred, text 0.0.4 fallback),
// Accept-Encoding: gzip, User-Agent and X-Prometheus-Scrape-Timeout-Seconds headers; a
// non-200 status, a timeout or a body of body_size_limit bytes or more (after gunzip)
// fails the scrape with Prometheus's wording (FormatFetchError).
//
// Thread-safety: Fetch() may be called from many threads at once (the HTTP client keeps a
// per-host keep-alive pool). Each call blocks its caller until the answer or the deadline.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rules/client/http_client.h"
#include "storage/ingest/text_parser.h"

namespace tally::server::scrape {

// Prometheus compat: scrape.go acceptHeader and UserAgent of 2.42.
inline constexpr absl::string_view kScrapeAcceptHeader =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
inline constexpr absl::string_view kScrapeUserAgent = "Prometheus/2.42.0";

struct FetchRequest {
  std::string url;              // http[s]://host:port/path?query
  absl::Duration timeout;       // scrape_timeout: bounds the whole exchange
  int64_t body_size_limit = 0;  // bytes after decompression; 0 = none
};

struct FetchResult {
  std::string body;          // decompressed
  std::string content_type;  // as sent; "" when absent
};

class ScrapeFetcher {
 public:
  // `tls` and `auth`: the job's tls_config and credentials (server/config/http_client_options.h).
  explicit ScrapeFetcher(const rules::TlsClientOptions& tls = {},
                         const rules::HttpAuthOptions& auth = {});
  // Errors (already worded as Prometheus's lastError, see .cc): the message is the whole
  // text to show. DeadlineExceeded, Unavailable, ResourceExhausted (body size limit),
  // FailedPrecondition (HTTP status), DataLoss (bad gzip), InvalidArgument (bad URL).
  absl::StatusOr<FetchResult> Fetch(const FetchRequest& req);

 private:
  rules::HttpClient client_;
};

// Prometheus compat: textparse.New picks the parser by media type; anything but
// application/openmetrics-text (including a missing or malformed Content-Type) is the text
// format 0.0.4.
storage::TextFormat FormatForContentType(absl::string_view content_type);

// Gunzips `in` into *out; fails with ResourceExhausted once *out would reach `limit` bytes
// (0 = no limit), DataLoss for a corrupt stream.
absl::Status Gunzip(absl::string_view in, int64_t limit, std::string* out);

// Go's strconv.FormatFloat(seconds, 'f', -1, 64) for the timeout header: "10", "0.5".
std::string FormatTimeoutSeconds(absl::Duration d);

}  // namespace tally::server::scrape
