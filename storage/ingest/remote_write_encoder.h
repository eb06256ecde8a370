// Prometheus remote-write 1.0 sender side: the protobuf encoding of a WriteRequest and the
// snappy block compression the protocol mandates. The mirror of WriteRequestDecoder
// (remote_write.h), which states the wire schema; used by `tally rules eval` to write rule
// results (rules/client/remote_backend.cc), by tests and load generators, and later by
// remote-write-out.
//
// Encoding (protobuf wire format, field numbers as prompb):
//   WriteRequest: for each series   0x0A varint(len) TimeSeries
//                 for each metadata 0x1A varint(len) MetricMetadata
//   TimeSeries:   for each label    0x0A varint(len) { 0x0A varint(n) name  0x12 varint(n) value }
//                 for each sample   0x12 varint(len) { 0x09 float64-LE value  0x10 varint(int64 t_ms) }
// Both sample fields are always written (also when zero), so -0.0 and stale-marker NaN
// bits survive exactly; protobuf decoders accept explicit zero values. Lengths are computed
// before writing, so a series is encoded straight into the output with no temporary buffer.
//
// Thread-safety: a WriteRequestEncoder is used by one thread at a time; reuse it (Clear())
// to keep its buffer's capacity.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/model/labels.h"
#include "storage/model/sample.h"

namespace tally::storage {

struct RemoteSeriesInput {
  std::vector<Label> labels;
  std::vector<Sample> samples;
};
struct RemoteMetadataInput {
  int type = 0;  // prompb MetricMetadata.MetricType (see RemoteMetricTypeString)
  std::string family, help, unit;
};

class WriteRequestEncoder {
 public:
  // Appends one TimeSeries. Labels are written in the given order (remote write expects
  // them sorted by name, as storage::Labels are); samples likewise.
  void AddSeries(absl::Span<const Label> labels, absl::Span<const Sample> samples);
  void AddMetadata(const RemoteMetadataInput& m);

  // The uncompressed protobuf bytes so far.
  const std::string& proto() const { return proto_; }
  int64_t series() const { return series_; }
  int64_t samples() const { return samples_; }
  // Snappy block compression of proto() into *out (replacing its contents).
  void CompressTo(std::string* out) const;
  void Clear();

 private:
  std::string proto_;
  int64_t series_ = 0;
  int64_t samples_ = 0;
};

// Appends the protobuf WriteRequest encoding to *out.
void EncodeWriteRequest(absl::Span<const RemoteSeriesInput> series,
                        absl::Span<const RemoteMetadataInput> metadata, std::string* out);
// Snappy block compression of `in`.
std::string SnappyCompressBlock(absl::string_view in);

}  // namespace tally::storage
