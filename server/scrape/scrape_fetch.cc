#include "server/scrape/scrape_fetch.h"

#include <zlib.h>

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tally::server::scrape {

namespace {

rules::HttpClientOptions ClientOptions(const rules::TlsClientOptions& tls,
                                       const rules::HttpAuthOptions& auth) {
  rules::HttpClientOptions o;
  o.tls = tls;
  o.auth = auth;
  o.user_agent = std::string(kScrapeUserAgent);
  o.connect_timeout = absl::Seconds(10);  // capped by each call's deadline
  // The wire size is capped here; body_size_limit is checked on the decoded body below.
  // Prometheus has no hard cap without body_size_limit; 1 GiB keeps one target from
  // exhausting memory.
  o.max_response_bytes = size_t{1} << 30;
  o.max_idle_per_host = 2;
  return o;
}

const absl::Status kBodySizeLimit = absl::ResourceExhaustedError("body size limit exceeded");

}  // namespace

ScrapeFetcher::ScrapeFetcher(const rules::TlsClientOptions& tls, const rules::HttpAuthOptions& auth)
    : client_(ClientOptions(tls, auth)) {}

std::string FormatTimeoutSeconds(absl::Duration d) {
  // Shortest decimal, no exponent: millisecond-precision durations need at most 3 decimals.
  std::string s = absl::StrFormat("%.9f", absl::ToDoubleSeconds(d));
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

storage::TextFormat FormatForContentType(absl::string_view content_type) {
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  media = absl::StripAsciiWhitespace(media);
  if (absl::EqualsIgnoreCase(media, "application/openmetrics-text")) {
    return storage::TextFormat::kOpenMetrics;
  }
  return storage::TextFormat::kPrometheus;
}

absl::Status Gunzip(absl::string_view in, int64_t limit, std::string* out) {
  out->clear();
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return absl::InternalError("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  const int64_t cap = limit > 0 ? limit : std::numeric_limits<int64_t>::max();
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return absl::DataLossError(absl::StrCat("gzip: invalid data (", zs.msg ? zs.msg : "", ")"));
    }
    const size_t n = sizeof(buf) - zs.avail_out;
    // Prometheus compat: io.Copy(LimitReader(limit)) then n >= limit is an error.
    if (static_cast<int64_t>(out->size() + n) >= cap) {
      inflateEnd(&zs);
      return kBodySizeLimit;
    }
    out->append(buf, n);
    if (rc == Z_OK && n == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return absl::DataLossError("gzip: unexpected EOF");
    }
  }
  inflateEnd(&zs);
  return absl::OkStatus();
}

absl::StatusOr<FetchResult> ScrapeFetcher::Fetch(const FetchRequest& req) {
  absl::StatusOr<rules::HttpUrl> url = rules::ParseHttpUrl(req.url);
  if (!url.ok()) return url.status();
  rules::HttpClientRequest r;
  r.method = "GET";
  r.headers = {{"Accept", std::string(kScrapeAcceptHeader)},
               {"Accept-Encoding", "gzip"},
               {"X-Prometheus-Scrape-Timeout-Seconds", FormatTimeoutSeconds(req.timeout)}};
  r.deadline = absl::Now() + req.timeout;
  absl::StatusOr<rules::HttpClientResponse> resp = client_.Do(*url, r);
  // Prometheus compat: Go's url.Error wording, `Get "<url>": <cause>`.
  if (!resp.ok()) {
    if (absl::IsDeadlineExceeded(resp.status())) {
      return absl::DeadlineExceededError(
          absl::StrCat("Get \"", req.url, "\": context deadline exceeded"));
    }
    if (absl::IsResourceExhausted(resp.status())) return kBodySizeLimit;
    // The client already words its errors as Go's url.Error.
    if (absl::StartsWith(resp.status().message(), "Get \"")) return resp.status();
    return absl::Status(resp.status().code(),
                        absl::StrCat("Get \"", req.url, "\": ", resp.status().message()));
  }
  if (resp->status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("server returned HTTP status ", resp->StatusText()));
  }
  FetchResult out;
  out.content_type = std::string(resp->Header("content-type"));
  if (absl::EqualsIgnoreCase(resp->Header("content-encoding"), "gzip")) {
    if (absl::Status s = Gunzip(resp->body, req.body_size_limit, &out.body); !s.ok()) return s;
  } else {
    if (req.body_size_limit > 0 && static_cast<int64_t>(resp->body.size()) >= req.body_size_limit) {
      return kBodySizeLimit;
    }
    out.body = std::move(resp->body);
  }
  return out;
}

}  // namespace tally::server::scrape
