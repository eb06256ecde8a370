// Streaming JSON for query results, byte-compatible with Prometheus 2.42's /api/v1/query and
// /api/v1/query_range bodies (shared/compliance/HTTP_API.md section 4):
//   {"status":"success","data":{"resultType":"vector","result":[{"metric":{...},
//    "value":[<ts>,"<v>"]},...]}}
// Used by the HTTP query handlers and by `tally query`. No HTTP dependencies. Output is
// produced into a reusable buffer and handed to a sink in chunks of about flush_bytes, so a
// large matrix never exists twice in memory. Not thread-safe; one writer per response.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "promql/value.h"

namespace tally::server::api {

// Appends a sample value as Prometheus writes it inside a vector/matrix point (without
// quotes): shortest round-trip digits, plain decimal when 1e-6 <= |v| < 1e21 or v == 0,
// else Go's exponent form ("1e-07", "1e+21"); "NaN", "+Inf", "-Inf", "-0".
void AppendSampleValue(double v, std::string* out);
// A scalar result's value: always plain decimal (Go's FormatFloat(v, 'f', -1, 64)).
void AppendScalarValue(double v, std::string* out);
// A point timestamp: integer seconds, plus ".ddd" only when the millisecond part is not 0
// ("1700000600", "1.100", "-0.002").
void AppendPointTimestamp(int64_t t_ms, std::string* out);
// A scalar/string result's timestamp: the JSON float t_ms/1000 in shortest form.
void AppendFloatTimestamp(int64_t t_ms, std::string* out);

class QueryResultWriter {
 public:
  using Sink = std::function<void(absl::string_view chunk)>;
  explicit QueryResultWriter(Sink sink, size_t flush_bytes = 64 * 1024)
      : sink_(std::move(sink)), flush_bytes_(flush_bytes) {}

  // Writes the whole success body for `value`, then flushes.
  void WriteSuccess(const promql::Value& value);

 private:
  void MaybeFlush() {
    if (buf_.size() >= flush_bytes_) Flush();
  }
  void Flush() {
    if (!buf_.empty()) sink_(buf_);
    buf_.clear();
  }
  void WriteLabels(const storage::Labels& l);

  Sink sink_;
  size_t flush_bytes_;
  std::string buf_;
};

// The success body as one string (convenience for small results and tests).
std::string QuerySuccessJson(const promql::Value& value);

}  // namespace tally::server::api
