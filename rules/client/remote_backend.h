// RemoteBackend: the EvalBackend of `tally rules eval`. Reads through any
// Prometheus-compatible query API (GET/POST <query_url>/api/v1/query with query= and time=,
// as Prometheus, Thanos, Mimir and VictoriaMetrics serve it) and writes rule results with
// the remote-write 1.0 protocol (snappy-compressed protobuf WriteRequest, headers
// Content-Encoding: snappy, Content-Type: application/x-protobuf,
// X-Prometheus-Remote-Write-Version: 0.1.0) to remote_write_url, so rules can run beside a
// store that does not evaluate them. Plain http:// URLs; loopback in tests.
//
// Errors: Query returns the remote API's `error` text unchanged (so lastError reads as it
// would with the local engine), the code chosen by its errorType: bad_data ->
// InvalidArgument, execution -> FailedPrecondition, timeout -> DeadlineExceeded (table in
// rules/client/query_response.h); transport failures are Unavailable. Append retries
// 5xx/429 and network errors with backoff (30 ms doubling to 5 s, honouring Retry-After)
// within `timeout` and returns Unavailable if they persist; a 4xx is returned as
// InvalidArgument with the first line of the response body (Prometheus's remote writer
// drops such batches), except a 400 that reports out-of-order / duplicate / out-of-bounds
// / too-old samples, which is OK (not an error for rules, see eval_backend.h).
// Queries longer than 8 KiB on the request line are sent as a POST form. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rules/eval_backend.h"

namespace tally::rules {

struct RemoteBackendOptions {
  std::string query_url;         // e.g. http://127.0.0.1:9090 (path prefix allowed)
  std::string remote_write_url;  // e.g. http://127.0.0.1:9091/api/v1/write (full URL)
  absl::Duration timeout = absl::Seconds(30);
};

class RemoteBackend : public EvalBackend {
 public:
  // InvalidArgument for a malformed URL or a non-positive timeout. https:// URLs are
  // verified against the system's CAs.
  static absl::StatusOr<std::unique_ptr<RemoteBackend>> Create(RemoteBackendOptions options);
  ~RemoteBackend() override;

  absl::StatusOr<promql::Vector> Query(absl::string_view expr, int64_t t_ms) override;
  absl::Status Append(const std::vector<OutputSample>& samples) override;

 private:
  struct Impl;
  explicit RemoteBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::rules
