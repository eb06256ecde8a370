// The only place rules/ touches nlohmann::json's parser. We parse with exceptions disabled
// (parse errors give a discarded value) and check every type before reading, so nothing
// here throws; the try/catch is the adapter's backstop required by the style guide.
#include "rules/client/query_response.h"

#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/ingest/go_float.h"

namespace tally::rules {
namespace {

using Json = nlohmann::json;

absl::Status Malformed(absl::string_view what) {
  return absl::InternalError(absl::StrCat("malformed query response: ", what));
}

// [<float seconds>, "<value>"] -> t_ms, v.
absl::Status ParsePoint(const Json& p, int64_t* t_ms, double* v) {
  if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_string()) {
    return Malformed("sample is not [<time>, \"<value>\"]");
  }
  *t_ms = std::llround(p[0].get<double>() * 1000);
  const std::string& s = p[1].get_ref<const std::string&>();
  if (!storage::ParseGoFloat(s, v)) {
    return Malformed(absl::StrCat("sample value \"", s, "\" is not a float"));
  }
  return absl::OkStatus();
}

absl::StatusOr<promql::Vector> ParseSuccess(const Json& doc) {
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) return Malformed("no data object");
  auto rt = data->find("resultType");
  auto result = data->find("result");
  if (rt == data->end() || !rt->is_string() || result == data->end()) {
    return Malformed("no resultType or result");
  }
  const std::string& type = rt->get_ref<const std::string&>();
  promql::Vector out;
  if (type == "scalar") {
    promql::VectorSample s;
    absl::Status st = ParsePoint(*result, &s.t_ms, &s.v);
    if (!st.ok()) return st;
    out.push_back(std::move(s));
    return out;
  }
  if (type != "vector") {
    // Prometheus compat: rules.EngineQueryFunc's error for other result types.
    return absl::InvalidArgumentError("rule result is not a vector or scalar");
  }
  if (!result->is_array()) return Malformed("vector result is not an array");
  out.reserve(result->size());
  for (const Json& e : *result) {
    if (!e.is_object()) return Malformed("vector element is not an object");
    auto metric = e.find("metric");
    auto value = e.find("value");
    if (metric == e.end() || !metric->is_object() || value == e.end()) {
      return Malformed("vector element without metric or value");
    }
    std::vector<storage::Label> labels;
    labels.reserve(metric->size());
    for (auto it = metric->begin(); it != metric->end(); ++it) {
      if (!it->is_string()) return Malformed(absl::StrCat("label ", it.key(), " is not a string"));
      labels.push_back({it.key(), it->get<std::string>()});
    }
    promql::VectorSample s;
    s.metric = storage::Labels::FromUnsorted(std::move(labels));
    absl::Status st = ParsePoint(*value, &s.t_ms, &s.v);
    if (!st.ok()) return st;
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status ApiError(const Json& doc) {
  std::string type = doc.value("errorType", "");
  std::string msg = doc.value("error", "");
  if (msg.empty()) msg = absl::StrCat("query failed (", type.empty() ? "no errorType" : type, ")");
  if (type == "bad_data") return absl::InvalidArgumentError(msg);
  if (type == "execution") return absl::FailedPreconditionError(msg);
  if (type == "timeout") return absl::DeadlineExceededError(msg);
  if (type == "canceled" || type == "unavailable") return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

}  // namespace

std::string FormatApiTime(int64_t t_ms) {
  const bool neg = t_ms < 0;
  // Magnitude in uint64 so INT64_MIN does not overflow.
  uint64_t m = neg ? uint64_t{0} - static_cast<uint64_t>(t_ms) : static_cast<uint64_t>(t_ms);
  return absl::StrFormat("%s%d.%03d", neg ? "-" : "", m / 1000, m % 1000);
}

absl::StatusOr<promql::Vector> ParseQueryResponse(int http_status, absl::string_view status_text,
                                                  absl::string_view body) {
  try {
    Json doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    const bool ok_status = http_status / 100 == 2;
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("status")) {
      if (!ok_status) {
        // Prometheus compat: the Go API client's wording for a non-API error response.
        return absl::UnavailableError(absl::StrCat(
            "server returned HTTP status ", status_text, ": ", body.substr(0, 256)));
      }
      return Malformed("body is not a Prometheus API response");
    }
    const Json& status = doc["status"];
    if (status == "error") return ApiError(doc);
    if (status != "success") return Malformed("status is neither success nor error");
    return ParseSuccess(doc);
  } catch (const std::exception& e) {
    return Malformed(e.what());
  }
}

}  // namespace tally::rules
