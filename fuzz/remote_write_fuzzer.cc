// libFuzzer target for the remote-write decoder (storage/ingest/remote_write.h): any body
// must decode or fail cleanly, as snappy and as raw protobuf; whatever decodes must have
// in-bounds views and survive a round trip (encode the decoded request, decode it again,
// get the same series, samples and metadata). Build and run: scripts/run-fuzzers.sh.
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "storage/ingest/remote_write.h"

namespace {

using tally::storage::RemoteMetadataInput;
using tally::storage::RemoteSeriesInput;
using tally::storage::WriteRequestDecoder;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Copies the decoded request out of the decoder's views (checking every view's bounds).
void Extract(const WriteRequestDecoder& d, std::vector<RemoteSeriesInput>* series,
             std::vector<RemoteMetadataInput>* metadata) {
  for (const auto& s : d.series()) {
    Check(s.labels_begin <= s.labels_end && s.labels_end <= d.labels().size());
    Check(s.samples_begin <= s.samples_end && s.samples_end <= d.samples().size());
    RemoteSeriesInput in;
    for (uint32_t i = s.labels_begin; i < s.labels_end; ++i) {
      in.labels.push_back({std::string(d.labels()[i].name), std::string(d.labels()[i].value)});
    }
    for (uint32_t i = s.samples_begin; i < s.samples_end; ++i) in.samples.push_back(d.samples()[i]);
    series->push_back(std::move(in));
  }
  for (const auto& m : d.metadata()) {
    metadata->push_back(
        {m.type, std::string(m.family), std::string(m.help), std::string(m.unit)});
  }
}

bool SameSeries(const std::vector<RemoteSeriesInput>& a, const std::vector<RemoteSeriesInput>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].labels.size() != b[i].labels.size() || a[i].samples.size() != b[i].samples.size()) {
      return false;
    }
    for (size_t k = 0; k < a[i].labels.size(); ++k) {
      if (a[i].labels[k].name != b[i].labels[k].name ||
          a[i].labels[k].value != b[i].labels[k].value) {
        return false;
      }
    }
    for (size_t k = 0; k < a[i].samples.size(); ++k) {
      if (a[i].samples[k].t_ms != b[i].samples[k].t_ms ||
          std::bit_cast<uint64_t>(a[i].samples[k].v) != std::bit_cast<uint64_t>(b[i].samples[k].v)) {
        return false;
      }
    }
  }
  return true;
}

bool SameMetadata(const std::vector<RemoteMetadataInput>& a,
                  const std::vector<RemoteMetadataInput>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].type != b[i].type || a[i].family != b[i].family || a[i].help != b[i].help ||
        a[i].unit != b[i].unit) {
      return false;
    }
  }
  return true;
}

void RoundTrip(const WriteRequestDecoder& d) {
  std::vector<RemoteSeriesInput> series, series2;
  std::vector<RemoteMetadataInput> metadata, metadata2;
  Extract(d, &series, &metadata);
  std::string proto;
  tally::storage::EncodeWriteRequest(series, metadata, &proto);
  WriteRequestDecoder again;
  Check(again.DecodeSnappy(tally::storage::SnappyCompressBlock(proto)).ok());
  Extract(again, &series2, &metadata2);
  Check(SameSeries(series, series2));
  Check(SameMetadata(metadata, metadata2));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  // A small decoded-size limit: a snappy header may claim anything (the limit is checked
  // before allocating, which is part of what is fuzzed).
  WriteRequestDecoder d(size_t{1} << 20);
  if (d.DecodeSnappy(input).ok()) RoundTrip(d);
  if (d.DecodeProto(input).ok()) RoundTrip(d);
  return 0;
}
