// Number formatting follows what Prometheus 2.42 emits (verified in HTTP_API.md 4.1);
// string escaping is shared with JsonBuilder (Go's HTML-safe encoding/json rules).
#include "server/api/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "server/api/json_builder.h"
#include "storage/util/go_float_format.h"

namespace tally::server::api {
namespace {

bool AppendSpecial(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return true;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return true;
  }
  return false;
}

void AppendChars(double v, std::chars_format fmt, std::string* out) {
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  out->append(buf, r.ptr);
}

}  // namespace

void AppendSampleValue(double v, std::string* out) {
  if (AppendSpecial(v, out)) return;
  const double a = std::fabs(v);
  // Prometheus compat (jsonutil.MarshalFloat via strconv.AppendFloat 'f'/'e'): exponent form
  // outside [1e-6, 1e21).
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    AppendChars(v, std::chars_format::scientific, out);
  } else {
    storage::AppendGoFloatF(v, out);  // 'f', -1: shortest digits, zero-padded
  }
}

void AppendScalarValue(double v, std::string* out) {
  if (AppendSpecial(v, out)) return;
  storage::AppendGoFloatF(v, out);  // Scalar.MarshalJSON: FormatFloat 'f', -1
}

void AppendPointTimestamp(int64_t t_ms, std::string* out) {
  int64_t sec = t_ms / 1000;
  int64_t ms = t_ms % 1000;
  if (ms < 0) ms = -ms;
  if (t_ms < 0 && sec == 0 && ms != 0) out->push_back('-');
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), sec);
  out->append(buf, r.ptr);
  if (ms != 0) {
    out->push_back('.');
    out->push_back(static_cast<char>('0' + ms / 100));
    out->push_back(static_cast<char>('0' + ms / 10 % 10));
    out->push_back(static_cast<char>('0' + ms % 10));
  }
}

void AppendFloatTimestamp(int64_t t_ms, std::string* out) {
  AppendChars(static_cast<double>(t_ms) / 1000.0, std::chars_format::fixed, out);
}

void QueryResultWriter::WriteLabels(const storage::Labels& l) {
  buf_.push_back('{');
  bool first = true;
  for (const auto& x : l) {
    if (!first) buf_.push_back(',');
    first = false;
    AppendJsonString(x.name, &buf_);
    buf_.push_back(':');
    AppendJsonString(x.value, &buf_);
  }
  buf_.push_back('}');
}

void QueryResultWriter::WriteSuccess(const promql::Value& value) {
  buf_.append(R"({"status":"success","data":{"resultType":")");
  buf_.append(promql::ResultTypeName(value));
  buf_.append(R"(","result":)");
  if (const auto* s = std::get_if<promql::Scalar>(&value)) {
    buf_.push_back('[');
    AppendFloatTimestamp(s->t_ms, &buf_);
    buf_.append(",\"");
    AppendScalarValue(s->v, &buf_);
    buf_.append("\"]");
  } else if (const auto* str = std::get_if<promql::String>(&value)) {
    buf_.push_back('[');
    AppendFloatTimestamp(str->t_ms, &buf_);
    buf_.push_back(',');
    AppendJsonString(str->v, &buf_);
    buf_.push_back(']');
  } else if (const auto* vec = std::get_if<promql::Vector>(&value)) {
    buf_.push_back('[');
    for (size_t i = 0; i < vec->size(); ++i) {
      const promql::VectorSample& s = (*vec)[i];
      if (i > 0) buf_.push_back(',');
      buf_.append(R"({"metric":)");
      WriteLabels(s.metric);
      buf_.append(R"(,"value":[)");
      AppendPointTimestamp(s.t_ms, &buf_);
      buf_.append(",\"");
      AppendSampleValue(s.v, &buf_);
      buf_.append("\"]}");
      MaybeFlush();
    }
    buf_.push_back(']');
  } else {
    const auto& m = std::get<promql::Matrix>(value);
    buf_.push_back('[');
    for (size_t i = 0; i < m.size(); ++i) {
      if (i > 0) buf_.push_back(',');
      buf_.append(R"({"metric":)");
      WriteLabels(m[i].metric);
      buf_.append(R"(,"values":[)");
      for (size_t j = 0; j < m[i].points.size(); ++j) {
        if (j > 0) buf_.push_back(',');
        buf_.push_back('[');
        AppendPointTimestamp(m[i].points[j].t_ms, &buf_);
        buf_.append(",\"");
        AppendSampleValue(m[i].points[j].v, &buf_);
        buf_.append("\"]");
        MaybeFlush();
      }
      buf_.append("]}");
    }
    buf_.push_back(']');
  }
  buf_.append("}}");
  Flush();
}

std::string QuerySuccessJson(const promql::Value& value) {
  std::string out;
  QueryResultWriter w([&out](absl::string_view c) { out.append(c.data(), c.size()); });
  w.WriteSuccess(value);
  return out;
}

}  // namespace tally::server::api
