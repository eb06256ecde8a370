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

class WriteRequestDecoder {
 public:
  // Upper bound on the decompressed size (a snappy header can claim anything).
  explicit WriteRequestDecoder(size_t max_decoded_bytes = size_t{512} << 20)
      : max_decoded_bytes_(max_decoded_bytes) {}

  // Snappy block format -> protobuf -> views. InvalidArgument, worded for the client:
  // "snappy: corrupt input", "decoded size N exceeds limit M", "proto: ..." with the byte
  // offset. On error nothing is usable.
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

  size_t max_decoded_bytes_;
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
  CommitResult commit;           // storage's rejections (out of order, duplicate, too old)
  int64_t metadata = 0;
  // First rejection, for the 400 body; empty when everything was stored.
  std::string first_error;
  int64_t rejected() const { return rejected_invalid + commit.rejected(); }
};

// Timestamps Tally accepts from remote write: years 0001..9999 (so every stored sample can
// be rendered as RFC 3339); others are rejected as invalid.
inline constexpr int64_t kMinRemoteWriteTimeMs = -62135596800000LL;
inline constexpr int64_t kMaxRemoteWriteTimeMs = 253402300799999LL;

// Appends every valid series of `req` in one Appender transaction and stores its metadata.
// Series with invalid labels (bad name, invalid UTF-8 value, duplicate name, no labels, no
// __name__) or out-of-range timestamps are skipped and reported; the rest is committed.
// Returns an error only when storage itself failed (the client may retry).
absl::StatusOr<RemoteWriteResult> ApplyWriteRequest(const WriteRequestDecoder& req, DB* db);

}  // namespace tally::storage
