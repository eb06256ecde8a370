// Prometheus remote-write 1.0 receiver core: snappy block decompression, a zero-copy decoder
// for the protobuf WriteRequest (prompb/remote.proto + types.proto), and the step that
// appends a decoded request to a DB. The encoder (sender side) is remote_write_encoder.h,
// included here for the callers that use both.
//
// Wire schema handled (field numbers as prompb; other fields are skipped as protobuf allows):
//   WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2; (exemplars = 3,
//                    histograms = 4: skipped) }
//   Label          { string name = 1; string value = 2; }
//   Sample         { double value = 1; int64 timestamp = 2; }   // timestamp in ms
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4;
//                    string unit = 5; }
//
// Why hand-written rather than libprotobuf generated code: the decoder returns views into the
// decompressed buffer and writes samples into one reused flat vector, so decoding allocates
// nothing per sample or per label (generated code allocates a message object per Sample and a
// std::string per label), and it validates the whole message before anything is stored, which
// is what "400 for a malformed body, nothing stored" requires. docs/api.md has the details;
// tests cross-check against a real Prometheus sender.
//
// Thread-safety: a WriteRequestDecoder is used by one thread at a time; reuse it across
// requests to keep its buffers warm. Views it returns are valid until the next Decode().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/db.h"
#include "storage/ingest/remote_write_encoder.h"
#include "storage/model/labels.h"
#include "storage/model/sample.h"
#include "storage/model/series_limits.h"

namespace tally::storage {

struct RemoteLabelView {
  absl::string_view name;
  absl::string_view value;
};

struct RemoteSeriesView {
  uint32_t labels_begin = 0, labels_end = 0;    // into labels()
  uint32_t samples_begin = 0, samples_end = 0;  // into samples()
};

struct RemoteMetadataView {
  int type = 0;  // prompb MetricMetadata.MetricType: 0 unknown, 1 counter, 2 gauge, ...
  absl::string_view family;
  absl::string_view help;
  absl::string_view unit;
};

// "unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info",
// "stateset"; "unknown" for out-of-range values.
const char* RemoteMetricTypeString(int type);

// What one remote-write request may contain. Every field bounds memory: the decoder keeps
// 32 bytes per label, 16 per series and 16 per sample on top of the decompressed body, so
// without the count limits 64 MiB of tiny labels would cost ~360 MB of views. Defaults are
// Tally's (Prometheus 2.42's receiver has no limits); `tally serve` flags override them
// (docs/configuration.md explains each value).
struct RemoteWriteLimits {
  size_t max_decoded_bytes = size_t{64} << 20;       // decompressed protobuf
  size_t max_series = 1'000'000;                     // TimeSeries per request
  size_t max_samples = 2'000'000;                    // samples per request
  size_t max_labels = 4'000'000;                     // labels per request, all series together
  SeriesLimits series = kDefaultIngestSeriesLimits;  // per series, checked when applying
};

class WriteRequestDecoder {
 public:
  // Upper bound on the decompressed size (a snappy header can claim anything); the other
  // limits keep their defaults.
  explicit WriteRequestDecoder(size_t max_decoded_bytes = RemoteWriteLimits().max_decoded_bytes) {
    limits_.max_decoded_bytes = max_decoded_bytes;
  }
  explicit WriteRequestDecoder(const RemoteWriteLimits& limits) : limits_(limits) {}
  void set_limits(const RemoteWriteLimits& limits) { limits_ = limits; }
  const RemoteWriteLimits& limits() const { return limits_; }

  // Snappy block format -> protobuf -> views. InvalidArgument, worded for the client:
  // "snappy: corrupt input", "proto: ..." with the byte offset. ResourceExhausted when the
  // request is over a RemoteWriteLimits count or size ("snappy: decoded size N exceeds the
  // limit of M bytes", "request exceeds the limit of N series"). On error nothing is
  // usable.
  absl::Status DecodeSnappy(absl::string_view body);
  // Uncompressed protobuf bytes. The views point into `proto`, which must outlive them.
  absl::Status DecodeProto(absl::string_view proto);

  absl::Span<const RemoteSeriesView> series() const { return series_; }
  absl::Span<const RemoteLabelView> labels() const { return labels_; }
  absl::Span<const Sample> samples() const { return samples_; }
  absl::Span<const RemoteMetadataView> metadata() const { return metadata_; }

 private:
  absl::Status ParseRequest(absl::string_view p);
  absl::Status ParseSeries(absl::string_view p, size_t base);

  RemoteWriteLimits limits_;
  std::string decompressed_;
  std::vector<RemoteSeriesView> series_;
  std::vector<RemoteLabelView> labels_;
  std::vector<Sample> samples_;
  std::vector<RemoteMetadataView> metadata_;
};

struct RemoteWriteResult {
  int64_t series = 0;
  int64_t samples_appended = 0;
  int64_t rejected_invalid = 0;  // samples of series with invalid labels or timestamps
  int64_t rejected_limit = 0;    // samples of series over a SeriesLimits limit
  int64_t series_over_limit = 0;  // those series
  CommitResult commit;           // storage's rejections (out of order, duplicate, too old)
  int64_t metadata = 0;
  // First rejection, for the 400 body; empty when everything was stored.
  std::string first_error;
  int64_t rejected() const { return rejected_invalid + rejected_limit + commit.rejected(); }
};

// Timestamps Tally accepts from remote write: years 0001..9999 (so every stored sample can
// be rendered as RFC 3339); others are rejected as invalid.
inline constexpr int64_t kMinRemoteWriteTimeMs = -62135596800000LL;
inline constexpr int64_t kMaxRemoteWriteTimeMs = 253402300799999LL;

// Appends every valid series of `req` in one Appender transaction and stores its metadata.
// Series with invalid labels (bad name, invalid UTF-8 value, duplicate name, no labels, no
// __name__), over `limits` (CheckSeriesLimits, checked before anything is copied) or with
// out-of-range timestamps are skipped and reported; the rest is committed.
// Returns an error only when storage itself failed (the client may retry).
absl::StatusOr<RemoteWriteResult> ApplyWriteRequest(
    const WriteRequestDecoder& req, DB* db,
    const SeriesLimits& limits = kDefaultIngestSeriesLimits);

}  // namespace tally::storage
