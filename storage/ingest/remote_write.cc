#include "storage/ingest/remote_write.h"

#include <snappy.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/util/status_macros.h"
#include "storage/util/utf8.h"

namespace tally::storage {
namespace {

// Protobuf wire types.
constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

// A bounds-checked protobuf reader over one message's bytes. `base` is the message's offset
// in the whole request, for error messages.
class WireReader {
 public:
  WireReader(absl::string_view p, size_t base) : p_(p), base_(base) {}
  bool done() const { return pos_ >= p_.size(); }
  size_t offset() const { return base_ + pos_; }

  absl::Status Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= p_.size()) return Err("unexpected EOF in varint");
      uint8_t b = static_cast<uint8_t>(p_[pos_++]);
      r |= uint64_t{b & 0x7Fu} << shift;
      if (b < 0x80) {
        *v = r;
        return absl::OkStatus();
      }
    }
    return Err("varint overflow");
  }
  absl::Status Tag(int* field, int* wire) {
    uint64_t t = 0;
    RETURN_IF_ERROR(Varint(&t));
    *field = static_cast<int>(t >> 3);
    *wire = static_cast<int>(t & 7);
    if (*field == 0) return Err("illegal field number 0");
    return absl::OkStatus();
  }
  absl::Status Bytes(absl::string_view* out, size_t* out_base) {
    uint64_t n = 0;
    RETURN_IF_ERROR(Varint(&n));
    if (n > p_.size() - pos_) return Err("length-delimited field runs past the end");
    *out = p_.substr(pos_, n);
    *out_base = base_ + pos_;
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status Fixed64(uint64_t* v) {
    if (p_.size() - pos_ < 8) return Err("unexpected EOF in fixed64");
    uint64_t r;
    std::memcpy(&r, p_.data() + pos_, 8);  // little-endian on every platform we build for
    pos_ += 8;
    *v = r;
    return absl::OkStatus();
  }
  absl::Status Skip(int wire) {
    uint64_t v;
    absl::string_view b;
    size_t bb;
    switch (wire) {
      case kVarint: return Varint(&v);
      case kFixed64: return Fixed64(&v);
      case kLengthDelimited: return Bytes(&b, &bb);
      case kFixed32:
        if (p_.size() - pos_ < 4) return Err("unexpected EOF in fixed32");
        pos_ += 4;
        return absl::OkStatus();
      default:
        return Err(absl::StrCat("unsupported wire type ", wire));
    }
  }
  absl::Status WrongType(int field, int wire) {
    return Err(absl::StrCat("field ", field, " has wrong wire type ", wire));
  }
  absl::Status Err(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("proto: cannot decode WriteRequest: ", what, " at byte ", base_ + pos_));
  }

 private:
  absl::string_view p_;
  size_t base_;
  size_t pos_ = 0;
};

absl::Status TooMany(const char* what, size_t limit) {
  return absl::ResourceExhaustedError(
      absl::StrCat("request exceeds the limit of ", limit, " ", what));
}

bool IsMetricName(absl::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const char* RemoteMetricTypeString(int type) {
  static const char* const kNames[] = {"unknown",        "counter", "gauge", "histogram",
                                       "gaugehistogram", "summary", "info",  "stateset"};
  if (type < 0 || type > 7) return "unknown";
  return kNames[type];
}

absl::Status WriteRequestDecoder::DecodeSnappy(absl::string_view body) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &n)) {
    return absl::InvalidArgumentError("snappy: corrupt input");
  }
  if (n > limits_.max_decoded_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "snappy: decoded size ", n, " exceeds the limit of ", limits_.max_decoded_bytes, " bytes"));
  }
  decompressed_.resize(n);
  if (!snappy::RawUncompress(body.data(), body.size(), decompressed_.data())) {
    return absl::InvalidArgumentError("snappy: corrupt input");
  }
  return DecodeProto(decompressed_);
}

absl::Status WriteRequestDecoder::DecodeProto(absl::string_view proto) {
  series_.clear();
  labels_.clear();
  samples_.clear();
  metadata_.clear();
  absl::Status s = ParseRequest(proto);
  if (!s.ok()) {
    series_.clear();
    labels_.clear();
    samples_.clear();
    metadata_.clear();
  }
  return s;
}

absl::Status WriteRequestDecoder::ParseRequest(absl::string_view p) {
  WireReader r(p, 0);
  while (!r.done()) {
    int field, wire;
    RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field == 1 || field == 3) {
      if (wire != kLengthDelimited) return r.WrongType(field, wire);
      absl::string_view msg;
      size_t base;
      RETURN_IF_ERROR(r.Bytes(&msg, &base));
      if (field == 1) {
        RETURN_IF_ERROR(ParseSeries(msg, base));
        continue;
      }
      RemoteMetadataView md;
      WireReader m(msg, base);
      while (!m.done()) {
        int f, w;
        RETURN_IF_ERROR(m.Tag(&f, &w));
        if (f == 1) {
          if (w != kVarint) return m.WrongType(f, w);
          uint64_t v = 0;
          RETURN_IF_ERROR(m.Varint(&v));
          md.type = static_cast<int>(v);
        } else if (f == 2 || f == 4 || f == 5) {
          if (w != kLengthDelimited) return m.WrongType(f, w);
          absl::string_view b;
          size_t bb;
          RETURN_IF_ERROR(m.Bytes(&b, &bb));
          (f == 2 ? md.family : f == 4 ? md.help : md.unit) = b;
        } else {
          RETURN_IF_ERROR(m.Skip(w));
        }
      }
      metadata_.push_back(md);
    } else {
      RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteRequestDecoder::ParseSeries(absl::string_view p, size_t base) {
  RemoteSeriesView sv;
  sv.labels_begin = static_cast<uint32_t>(labels_.size());
  sv.samples_begin = static_cast<uint32_t>(samples_.size());
  WireReader r(p, base);
  while (!r.done()) {
    int field, wire;
    RETURN_IF_ERROR(r.Tag(&field, &wire));
    if (field != 1 && field != 2) {
      RETURN_IF_ERROR(r.Skip(wire));  // exemplars, native histograms: not stored
      continue;
    }
    if (wire != kLengthDelimited) return r.WrongType(field, wire);
    absl::string_view msg;
    size_t mbase;
    RETURN_IF_ERROR(r.Bytes(&msg, &mbase));
    WireReader m(msg, mbase);
    if (field == 1) {
      RemoteLabelView l;
      while (!m.done()) {
        int f, w;
        RETURN_IF_ERROR(m.Tag(&f, &w));
        if (f == 1 || f == 2) {
          if (w != kLengthDelimited) return m.WrongType(f, w);
          size_t bb;
          RETURN_IF_ERROR(m.Bytes(f == 1 ? &l.name : &l.value, &bb));
        } else {
          RETURN_IF_ERROR(m.Skip(w));
        }
      }
      if (labels_.size() >= limits_.max_labels) return TooMany("labels", limits_.max_labels);
      labels_.push_back(l);
    } else {
      Sample s{0, 0};
      while (!m.done()) {
        int f, w;
        RETURN_IF_ERROR(m.Tag(&f, &w));
        if (f == 1) {
          if (w != kFixed64) return m.WrongType(f, w);
          uint64_t bits = 0;
          RETURN_IF_ERROR(m.Fixed64(&bits));
          s.v = std::bit_cast<double>(bits);
        } else if (f == 2) {
          if (w != kVarint) return m.WrongType(f, w);
          uint64_t v = 0;
          RETURN_IF_ERROR(m.Varint(&v));
          s.t_ms = static_cast<int64_t>(v);
        } else {
          RETURN_IF_ERROR(m.Skip(w));
        }
      }
      if (samples_.size() >= limits_.max_samples) return TooMany("samples", limits_.max_samples);
      samples_.push_back(s);
    }
  }
  sv.labels_end = static_cast<uint32_t>(labels_.size());
  sv.samples_end = static_cast<uint32_t>(samples_.size());
  if (series_.size() >= limits_.max_series) return TooMany("series", limits_.max_series);
  series_.push_back(sv);
  return absl::OkStatus();
}

namespace {

// Builds the series' label set; returns a client-facing reason when it is invalid.
std::string BuildSeriesLabels(absl::Span<const RemoteLabelView> in, std::vector<Label>* out) {
  out->clear();
  for (const RemoteLabelView& l : in) {
    if (!IsValidLabelName(l.name)) {
      return absl::StrCat("invalid label name ", GoQuote(l.name));
    }
    if (!IsValidUtf8(l.value)) {
      return absl::StrCat("invalid label value for label ", GoQuote(l.name),
                          ": not valid UTF-8");
    }
    if (l.value.empty()) continue;  // Prometheus: an empty value is the same as no label
    out->push_back(Label{std::string(l.name), std::string(l.value)});
  }
  std::sort(out->begin(), out->end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i].name == (*out)[i - 1].name) {
      return absl::StrCat("duplicate label name ", GoQuote((*out)[i].name));
    }
  }
  if (out->empty()) return "series without labels";
  const Label* name = nullptr;
  for (const Label& l : *out) {
    if (l.name == kMetricNameLabel) name = &l;
  }
  if (name == nullptr) return "series without a metric name (__name__ label)";
  if (!IsMetricName(name->value)) {
    return absl::StrCat("invalid metric name ", GoQuote(name->value));
  }
  return "";
}

}  // namespace

absl::StatusOr<RemoteWriteResult> ApplyWriteRequest(const WriteRequestDecoder& req, DB* db,
                                                    const SeriesLimits& limits) {
  RemoteWriteResult res;
  std::unique_ptr<Appender> app = db->NewAppender();
  std::vector<Label> scratch;
  absl::Span<const RemoteLabelView> labels = req.labels();
  absl::Span<const Sample> samples = req.samples();
  for (const RemoteSeriesView& sv : req.series()) {
    ++res.series;
    const int64_t n = sv.samples_end - sv.samples_begin;
    if (n == 0) continue;
    const absl::Span<const RemoteLabelView> series_labels =
        labels.subspan(sv.labels_begin, sv.labels_end - sv.labels_begin);
    // Limits first, on the views: a 1,000,000-label series is refused before it is copied.
    if (absl::Status ls = CheckSeriesLimits(series_labels, limits); !ls.ok()) {
      res.rejected_limit += n;
      ++res.series_over_limit;
      if (res.first_error.empty()) res.first_error = std::string(ls.message());
      continue;
    }
    std::string why = BuildSeriesLabels(series_labels, &scratch);
    if (!why.empty()) {
      res.rejected_invalid += n;
      if (res.first_error.empty()) res.first_error = why;
      continue;
    }
    Labels ls = Labels::FromSorted(std::move(scratch));
    SeriesRef ref = kInvalidSeriesRef;
    for (int64_t i = sv.samples_begin; i < sv.samples_end; ++i) {
      const Sample& s = samples[i];
      if (s.t_ms < kMinRemoteWriteTimeMs || s.t_ms > kMaxRemoteWriteTimeMs) {
        ++res.rejected_invalid;
        if (res.first_error.empty()) {
          res.first_error = absl::StrCat("sample timestamp ", s.t_ms,
                                         " out of range for series ", ls.ToString());
        }
        continue;
      }
      if (ref == kInvalidSeriesRef) {
        absl::StatusOr<SeriesRef> r = app->Append(ls, s.t_ms, s.v);
        if (!r.ok()) {
          if (r.status().code() != absl::StatusCode::kInvalidArgument) return r.status();
          res.rejected_invalid += sv.samples_end - i;
          if (res.first_error.empty()) res.first_error = std::string(r.status().message());
          break;
        }
        ref = *r;
      } else {
        absl::Status st = app->Append(ref, s.t_ms, s.v);
        if (!st.ok()) {
          if (st.code() != absl::StatusCode::kInvalidArgument) return st;
          ++res.rejected_invalid;
          if (res.first_error.empty()) res.first_error = std::string(st.message());
        }
      }
    }
    scratch = std::vector<Label>();
  }
  ASSIGN_OR_RETURN(res.commit, app->Commit());
  res.samples_appended = res.commit.appended;
  if (res.first_error.empty()) res.first_error = res.commit.first_error;
  for (const RemoteMetadataView& md : req.metadata()) {
    if (md.family.empty()) continue;
    MetricMetadata m{RemoteMetricTypeString(md.type), std::string(md.help), std::string(md.unit)};
    RETURN_IF_ERROR(db->SetMetadata(md.family, m));
    ++res.metadata;
  }
  return res;
}

}  // namespace tally::storage
