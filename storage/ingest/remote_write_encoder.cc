#include "storage/ingest/remote_write_encoder.h"

#include <snappy.h>

#include <bit>
#include <cstring>

namespace tally::storage {
namespace {

constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2;

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutTag(int field, int wire, std::string* out) {
  PutVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire), out);
}
void PutBytes(int field, absl::string_view b, std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(b.size(), out);
  out->append(b.data(), b.size());
}
size_t VarintLen(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// Tag (one byte for fields < 16) + length varint + payload.
size_t FieldLen(size_t payload) { return 1 + VarintLen(payload) + payload; }

size_t LabelLen(const Label& l) { return FieldLen(l.name.size()) + FieldLen(l.value.size()); }
size_t SampleLen(const Sample& s) {
  return 1 + 8 + 1 + VarintLen(static_cast<uint64_t>(s.t_ms));
}

}  // namespace

void WriteRequestEncoder::AddSeries(absl::Span<const Label> labels,
                                    absl::Span<const Sample> samples) {
  size_t len = 0;
  for (const Label& l : labels) len += FieldLen(LabelLen(l));
  for (const Sample& s : samples) len += FieldLen(SampleLen(s));
  proto_.reserve(proto_.size() + FieldLen(len));
  PutTag(1, kLengthDelimited, &proto_);
  PutVarint(len, &proto_);
  for (const Label& l : labels) {
    PutTag(1, kLengthDelimited, &proto_);
    PutVarint(LabelLen(l), &proto_);
    PutBytes(1, l.name, &proto_);
    PutBytes(2, l.value, &proto_);
  }
  for (const Sample& s : samples) {
    PutTag(2, kLengthDelimited, &proto_);
    PutVarint(SampleLen(s), &proto_);
    PutTag(1, kFixed64, &proto_);
    uint64_t bits = std::bit_cast<uint64_t>(s.v);  // little-endian hosts only (as the decoder)
    char buf[8];
    std::memcpy(buf, &bits, 8);
    proto_.append(buf, 8);
    PutTag(2, kVarint, &proto_);
    PutVarint(static_cast<uint64_t>(s.t_ms), &proto_);
  }
  ++series_;
  samples_ += static_cast<int64_t>(samples.size());
}

void WriteRequestEncoder::AddMetadata(const RemoteMetadataInput& m) {
  std::string md;
  PutTag(1, kVarint, &md);
  PutVarint(static_cast<uint64_t>(m.type), &md);
  PutBytes(2, m.family, &md);
  if (!m.help.empty()) PutBytes(4, m.help, &md);
  if (!m.unit.empty()) PutBytes(5, m.unit, &md);
  PutBytes(3, md, &proto_);
}

void WriteRequestEncoder::CompressTo(std::string* out) const {
  out->clear();
  snappy::Compress(proto_.data(), proto_.size(), out);
}

void WriteRequestEncoder::Clear() {
  proto_.clear();
  series_ = 0;
  samples_ = 0;
}

void EncodeWriteRequest(absl::Span<const RemoteSeriesInput> series,
                        absl::Span<const RemoteMetadataInput> metadata, std::string* out) {
  WriteRequestEncoder enc;
  for (const RemoteSeriesInput& s : series) enc.AddSeries(s.labels, s.samples);
  for (const RemoteMetadataInput& m : metadata) enc.AddMetadata(m);
  out->append(enc.proto());
}

std::string SnappyCompressBlock(absl::string_view in) {
  std::string out;
  snappy::Compress(in.data(), in.size(), &out);
  return out;
}

}  // namespace tally::storage
