// POST /api/v1/read: Prometheus remote read (storage/remote/read_handler.go, 2.42), so a
// Prometheus with remote_read, or a Thanos-style querier, can read Tally's data.
//
// Request: snappy-compressed protobuf ReadRequest (at most 32 MiB decoded, as Prometheus's
// decodeReadLimit):
//   ReadRequest  { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }
//   Query        { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
//                  repeated LabelMatcher matchers = 3; ReadHints hints = 4 (ignored); }
//   LabelMatcher { Type type = 1 (EQ, NEQ, RE, NRE); string name = 2; string value = 3; }
// Response: snappy-compressed protobuf ReadResponse { repeated QueryResult results = 1; },
// QueryResult { repeated TimeSeries timeseries = 1; } (the remote-write TimeSeries).
//
// Response type: SAMPLES only. Tally does not implement STREAMED_XOR_CHUNKS; a request that
// accepts only that type is answered with SAMPLES all the same (Content-Type
// application/x-protobuf tells the client which it got; Thanos and Prometheus's clients
// check it), so --storage.remote.read-max-bytes-in-frame has no effect (docs/api.md).
//
// As Prometheus: equality matchers on an external label with its value are dropped from the
// query, and results carry the external labels (a series' own label wins); more than
// --storage.remote.read-sample-limit samples in one query's result is 400 "exceeded sample
// limit (N)"; at most --storage.remote.read-concurrent-limit requests run at once (others
// wait).
#include <snappy.h>

#include "absl/strings/str_cat.h"
#include "server/api/http_api.h"
#include "storage/ingest/remote_write_encoder.h"
#include "storage/util/coding.h"

namespace tally::server::api {
namespace {

using http::HttpRequest;
using http::HttpResponse;

constexpr size_t kDecodeReadLimit = 32 << 20;

struct ReadQuery {
  int64_t start_ms = 0, end_ms = 0;
  storage::Matchers matchers;
};

// Protobuf field iteration: *tag and the field's payload (length-delimited: the bytes;
// varint: in *v).
bool NextField(absl::string_view* in, uint64_t* tag, uint64_t* v, absl::string_view* bytes) {
  if (!storage::GetVarint64(in, tag)) return false;
  switch (*tag & 7) {
    case 0: return storage::GetVarint64(in, v);
    case 1:
      if (in->size() < 8) return false;
      in->remove_prefix(8);
      return true;
    case 2: {
      uint64_t n = 0;
      if (!storage::GetVarint64(in, &n) || n > in->size()) return false;
      *bytes = in->substr(0, n);
      in->remove_prefix(n);
      return true;
    }
    case 5:
      if (in->size() < 4) return false;
      in->remove_prefix(4);
      return true;
  }
  return false;
}

absl::Status Malformed() { return absl::InvalidArgumentError("malformed ReadRequest"); }

absl::StatusOr<storage::Matcher> DecodeMatcher(absl::string_view in) {
  uint64_t tag = 0, v = 0, type = 0;
  absl::string_view b;
  std::string name, value;
  while (!in.empty()) {
    if (!NextField(&in, &tag, &v, &b)) return Malformed();
    if (tag == (1 << 3 | 0)) type = v;
    if (tag == (2 << 3 | 2)) name = std::string(b);
    if (tag == (3 << 3 | 2)) value = std::string(b);
  }
  static constexpr storage::MatchType kTypes[] = {
      storage::MatchType::kEqual, storage::MatchType::kNotEqual,
      storage::MatchType::kRegexMatch, storage::MatchType::kRegexNoMatch};
  // Prometheus compat: codec.go FromLabelMatchers "invalid matcher type".
  if (type > 3) return absl::InvalidArgumentError("invalid matcher type");
  return storage::Matcher::Make(kTypes[type], name, value);
}

absl::StatusOr<std::vector<ReadQuery>> DecodeReadRequest(absl::string_view in,
                                                         std::vector<uint64_t>* accepted) {
  std::vector<ReadQuery> out;
  uint64_t tag = 0, v = 0;
  absl::string_view b;
  while (!in.empty()) {
    if (!NextField(&in, &tag, &v, &b)) return Malformed();
    if (tag == (2 << 3 | 0)) accepted->push_back(v);
    if (tag == (2 << 3 | 2)) {  // packed
      while (!b.empty()) {
        if (!storage::GetVarint64(&b, &v)) return Malformed();
        accepted->push_back(v);
      }
    }
    if (tag != (1 << 3 | 2)) continue;
    ReadQuery q;
    absl::string_view qb = b;
    while (!qb.empty()) {
      absl::string_view f;
      if (!NextField(&qb, &tag, &v, &f)) return Malformed();
      if (tag == (1 << 3 | 0)) q.start_ms = static_cast<int64_t>(v);
      if (tag == (2 << 3 | 0)) q.end_ms = static_cast<int64_t>(v);
      if (tag == (3 << 3 | 2)) {
        absl::StatusOr<storage::Matcher> m = DecodeMatcher(f);
        if (!m.ok()) return m.status();
        q.matchers.push_back(*std::move(m));
      }
    }
    out.push_back(std::move(q));
  }
  return out;
}

void PutTag(std::string* out, int field, absl::string_view bytes) {
  storage::PutVarint64(out, static_cast<uint64_t>(field) << 3 | 2);
  storage::PutVarint64(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

void Fail(HttpResponse* resp, int status, absl::string_view msg) {
  resp->status = status;
  resp->content_type = "text/plain; charset=utf-8";
  resp->body = absl::StrCat(msg, "\n");
}

}  // namespace

void HttpApi::RemoteRead(const HttpRequest& req, HttpResponse* resp) {
  // Prometheus compat: a gate of --storage.remote.read-concurrent-limit; waiters queue.
  const int64_t limit = options_.remote_read_concurrent_limit;
  if (limit > 0) {
    absl::MutexLock l(&read_gate_mu_);
    read_gate_mu_.Await(absl::Condition(this, &HttpApi::ReadGateOpen));
    ++read_in_flight_;
  }
  struct Release {
    HttpApi* api;
    bool on;
    ~Release() {
      if (!on) return;
      absl::MutexLock l(&api->read_gate_mu_);
      --api->read_in_flight_;
    }
  } release{this, limit > 0};

  size_t n = 0;
  if (!snappy::GetUncompressedLength(req.body.data(), req.body.size(), &n)) {
    return Fail(resp, 400, "snappy: corrupt input");
  }
  if (n > kDecodeReadLimit) {
    return Fail(resp, 400, absl::StrCat("decoded ReadRequest of ", n, " bytes exceeds the limit of ",
                                        kDecodeReadLimit, " bytes"));
  }
  std::string raw;
  if (!snappy::Uncompress(req.body.data(), req.body.size(), &raw)) {
    return Fail(resp, 400, "snappy: corrupt input");
  }
  std::vector<uint64_t> accepted;
  absl::StatusOr<std::vector<ReadQuery>> queries = DecodeReadRequest(raw, &accepted);
  if (!queries.ok()) return Fail(resp, 400, queries.status().message());

  storage::Labels external;
  if (hooks_.config) external = hooks_.config()->global.external_labels;
  const int64_t sample_limit = options_.remote_read_sample_limit;

  std::string out;
  storage::WriteRequestEncoder enc;  // its series encoding is QueryResult's field 1
  std::vector<storage::Sample> samples;
  for (ReadQuery& q : *queries) {
    storage::Matchers ms;
    for (storage::Matcher& m : q.matchers) {
      if (m.type() == storage::MatchType::kEqual && external.Has(m.name()) &&
          external.Get(m.name()) == m.value()) {
        continue;
      }
      ms.push_back(std::move(m));
    }
    enc.Clear();
    int64_t total = 0;
    auto querier = db_->NewQuerier(q.start_ms, q.end_ms);
    absl::StatusOr<std::vector<std::unique_ptr<storage::Series>>> set = querier->Select(ms);
    if (!set.ok()) {
      return Fail(resp, set.status().code() == absl::StatusCode::kInvalidArgument ? 400 : 500,
                  set.status().message());
    }
    std::vector<storage::Label> lv;
    for (const auto& s : *set) {
      samples.clear();
      if (absl::Status st = s->Samples(q.start_ms, q.end_ms, &samples); !st.ok()) {
        return Fail(resp, 500, st.message());
      }
      if (samples.empty()) continue;
      total += static_cast<int64_t>(samples.size());
      if (sample_limit > 0 && total > sample_limit) {
        return Fail(resp, 400, absl::StrCat("exceeded sample limit (", sample_limit, ")"));
      }
      storage::LabelsBuilder b(s->labels());
      for (const auto& e : external) {
        if (!s->labels().Has(e.name)) b.Set(e.name, e.value);
      }
      const storage::Labels merged = b.Build();
      lv = merged.ToVector();
      enc.AddSeries(lv, samples);
    }
    PutTag(&out, 1, enc.proto());
  }
  resp->status = 200;
  resp->content_type = "application/x-protobuf";
  resp->headers.emplace_back("Content-Encoding", "snappy");
  resp->allow_gzip = false;
  resp->body = storage::SnappyCompressBlock(out);
}

}  // namespace tally::server::api
