#include "rules/client/remote_backend.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rules/client/http_client.h"
#include "rules/client/query_response.h"
#include "storage/ingest/remote_write_encoder.h"
#include "storage/util/log.h"

namespace tally::rules {
namespace {

// Longer GET request lines are sent as a POST form instead (Prometheus serves both); 8 KiB
// stays under every common proxy's request-line limit.
constexpr size_t kMaxGetTargetBytes = 8 * 1024;

// Prometheus compat: remote-write queue's backoff (min_backoff 30ms, max_backoff 5s).
constexpr absl::Duration kMinBackoff = absl::Milliseconds(30);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

// Per-sample rejections a receiver reports with a 400 after storing (Tally) or instead of
// storing (Prometheus) the batch: the rule engine treats them as not an error
// (eval_backend.h), and resending would be rejected again.
bool IsSampleRejection(absl::string_view body) {
  return absl::StrContains(body, "out of order sample") ||
         absl::StrContains(body, "duplicate sample for timestamp") ||
         absl::StrContains(body, "out of bounds") || absl::StrContains(body, "too old sample");
}

// Seconds of a Retry-After header; 0 when absent or a date (which we do not parse).
absl::Duration RetryAfter(const HttpClientResponse& r) {
  int64_t s = 0;
  if (absl::SimpleAtoi(r.Header("retry-after"), &s) && s > 0) return absl::Seconds(s);
  return absl::ZeroDuration();
}

std::string FirstLine(absl::string_view body) {
  body = absl::StripAsciiWhitespace(body.substr(0, 512));
  return std::string(body.substr(0, body.find('\n')));
}

}  // namespace

struct RemoteBackend::Impl {
  RemoteBackendOptions options;
  HttpUrl query_url;
  HttpUrl write_url;
  HttpClient client;

  explicit Impl(const RemoteBackendOptions& o) : options(o), client(ClientOptions(o)) {}
  static HttpClientOptions ClientOptions(const RemoteBackendOptions& o) {
    HttpClientOptions c;
    c.timeout = o.timeout;
    c.connect_timeout = std::min(o.timeout, absl::Seconds(10));
    return c;
  }
};

RemoteBackend::RemoteBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RemoteBackend::~RemoteBackend() = default;

absl::StatusOr<std::unique_ptr<RemoteBackend>> RemoteBackend::Create(
    RemoteBackendOptions options) {
  absl::StatusOr<HttpUrl> q = ParseHttpUrl(options.query_url);
  if (!q.ok()) {
    return absl::Status(q.status().code(), absl::StrCat("query url: ", q.status().message()));
  }
  absl::StatusOr<HttpUrl> w = ParseHttpUrl(options.remote_write_url);
  if (!w.ok()) {
    return absl::Status(w.status().code(),
                        absl::StrCat("remote write url: ", w.status().message()));
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("remote backend timeout must be positive");
  }
  auto impl = std::make_unique<Impl>(options);
  impl->query_url = JoinUrlPath(*q, "/api/v1/query");
  impl->write_url = *std::move(w);
  return std::unique_ptr<RemoteBackend>(new RemoteBackend(std::move(impl)));
}

absl::StatusOr<promql::Vector> RemoteBackend::Query(absl::string_view expr, int64_t t_ms) {
  const std::string form =
      absl::StrCat("query=", UrlQueryEscape(expr), "&time=", FormatApiTime(t_ms));
  HttpUrl url = impl_->query_url;
  HttpClientRequest req;
  if (url.path.size() + 1 + form.size() <= kMaxGetTargetBytes) {
    url.query = form;
  } else {
    req.method = "POST";
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = form;
  }
  absl::StatusOr<HttpClientResponse> r = impl_->client.Do(url, req);
  if (!r.ok()) {
    if (r.status().code() == absl::StatusCode::kUnavailable ||
        r.status().code() == absl::StatusCode::kDeadlineExceeded) {
      return r.status();
    }
    return absl::UnavailableError(r.status().message());
  }
  return ParseQueryResponse(r->status, r->StatusText(), r->body);
}

absl::Status RemoteBackend::Append(const std::vector<OutputSample>& samples) {
  if (samples.empty()) return absl::OkStatus();
  // One TimeSeries per label set, in first-seen order, samples in the given order.
  absl::flat_hash_map<storage::Labels, size_t> index;
  std::vector<const storage::Labels*> series_labels;
  std::vector<std::vector<storage::Sample>> series_samples;
  for (const OutputSample& s : samples) {
    auto [it, added] = index.try_emplace(s.labels, series_labels.size());
    if (added) {
      series_labels.push_back(&s.labels);
      series_samples.emplace_back();
    }
    series_samples[it->second].push_back({s.t_ms, s.v});
  }
  storage::WriteRequestEncoder enc;
  for (size_t i = 0; i < series_labels.size(); ++i) {
    const storage::Labels& l = *series_labels[i];
    enc.AddSeries(l.ToVector(), series_samples[i]);
  }
  HttpClientRequest req;
  req.method = "POST";
  req.headers = {{"Content-Encoding", "snappy"},
                 {"Content-Type", "application/x-protobuf"},
                 {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  enc.CompressTo(&req.body);
  req.deadline = absl::Now() + impl_->options.timeout;

  absl::Status last;
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<HttpClientResponse> r = impl_->client.Do(impl_->write_url, req);
    absl::Duration wait = RetryBackoff(attempt, kMinBackoff, kMaxBackoff);
    if (r.ok()) {
      if (r->status / 100 == 2) return absl::OkStatus();
      // Prometheus compat: remote write's error text for a non-2xx answer.
      std::string msg = absl::StrCat("server returned HTTP status ", r->StatusText(), ": ",
                                     FirstLine(r->body));
      if (r->status / 100 == 4 && r->status != 429) {
        if (IsSampleRejection(r->body)) {
          TALLY_LOG(kWarn, "Remote write receiver rejected samples",
                    {{"url", impl_->write_url.ToString()}, {"err", FirstLine(r->body)}});
          return absl::OkStatus();
        }
        return absl::InvalidArgumentError(msg);
      }
      if (r->status / 100 != 5 && r->status != 429) return absl::InternalError(msg);
      last = absl::UnavailableError(msg);
      wait = std::max(wait, RetryAfter(*r));
    } else {
      if (r.status().code() == absl::StatusCode::kInvalidArgument) return r.status();
      last = absl::UnavailableError(r.status().message());
    }
    if (absl::Now() + wait >= req.deadline) return last;
    absl::SleepFor(wait);
  }
}

}  // namespace tally::rules
