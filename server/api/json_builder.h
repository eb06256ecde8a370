// JsonBuilder: an append-only JSON text buffer for the metadata/status handlers (the query
// result path has its own streaming writer, api/json_writer.h). Strings are escaped like Go's
// encoding/json: '<' '>' '&' as \u003c \u003e \u0026, U+2028/9 escaped, control characters
// as \n \r \t or \u00XX, invalid UTF-8 bytes replaced by U+FFFD. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/model/labels.h"

namespace tally::server::api {

class JsonBuilder {
 public:
  JsonBuilder& Raw(absl::string_view s) {
    out_.append(s.data(), s.size());
    return *this;
  }
  JsonBuilder& String(absl::string_view s);
  JsonBuilder& Int(int64_t v);
  // Go's float64 JSON encoding (used for seconds such as evaluationTime).
  JsonBuilder& Double(double v);
  JsonBuilder& Bool(bool b) { return Raw(b ? "true" : "false"); }
  // {"name":"value",...} in label order.
  JsonBuilder& LabelsObject(const storage::Labels& labels);

  std::string Release() { return std::move(out_); }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

// Appends `s` escaped as a JSON string (with quotes) to *out.
void AppendJsonString(absl::string_view s, std::string* out);

}  // namespace tally::server::api
