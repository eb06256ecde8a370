// The values a template computes with: a small closed set standing in for the Go types
// Prometheus's alert templates can meet through reflection (bool, int, float64, string,
// template.HTML, map[string]string, the map args returns, Prometheus's queryResult and
// *sample, *time.Time, and the anonymous data struct). Go's rules that depend on the type
// (printing, truth, type names in errors) are implemented here against that set.
//
// Values are cheap to copy: strings are held by value (label values are short), composite
// values share immutable data through shared_ptr. Thread-compatible; one execution owns
// its values.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rules/template/template_expander.h"

namespace tally::rules::tmpl {

using LabelMap = std::map<std::string, std::string>;

// The largest string a function may build and the largest expansion (Prometheus has no
// limit): a guard against templates that multiply text, e.g. `printf "%1000000d..."`.
inline constexpr size_t kMaxStringBytes = 4 << 20;

// Prometheus's template `sample`: {Labels map[string]string; Value float64}.
struct Sample {
  LabelMap labels;
  double value = 0;
};
using SamplePtr = std::shared_ptr<const Sample>;
// Prometheus's `queryResult` ([]*sample), in the query's result order.
using QueryResult = std::vector<SamplePtr>;

struct Value;
// map[string]interface{}, the result of `args`.
using ArgMap = std::map<std::string, Value>;

enum class Kind : uint8_t {
  kInvalid,  // Go's invalid reflect.Value: a missing value; an action prints "<no value>"
  kNil,      // a nil interface{} (only seen inside function arguments)
  kBool,
  kInt,    // int (number constants, len, ...)
  kUint8,  // a byte (index of a string)
  kFloat,  // float64
  kString,
  kHtml,         // html/template.HTML (safeHtml): a string with its own type name
  kLabels,       // map[string]string
  kArgs,         // map[string]interface {}
  kQueryResult,  // template.queryResult
  kSample,       // *template.sample; `sample` null = nil pointer
  kTime,         // *time.Time, `i` = Unix milliseconds (Prometheus truncates to ms)
  kData,         // the data struct: Labels, ExternalLabels, ExternalURL, Value
};

struct Value {
  Kind kind = Kind::kInvalid;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::shared_ptr<const LabelMap> labels;
  std::shared_ptr<const ArgMap> args;
  std::shared_ptr<const QueryResult> result;
  SamplePtr sample;
  const TemplateData* data = nullptr;  // kData; outlives the execution

  static Value Bool(bool v) {
    Value x;
    x.kind = Kind::kBool;
    x.b = v;
    return x;
  }
  static Value Int(int64_t v) {
    Value x;
    x.kind = Kind::kInt;
    x.i = v;
    return x;
  }
  static Value Float(double v) {
    Value x;
    x.kind = Kind::kFloat;
    x.f = v;
    return x;
  }
  static Value String(std::string v, Kind k = Kind::kString) {
    Value x;
    x.kind = k;
    x.s = std::move(v);
    return x;
  }
  static Value Nil() {
    Value x;
    x.kind = Kind::kNil;
    return x;
  }
  // A map that the caller guarantees outlives every use of the value (TemplateData's maps).
  static Value BorrowedLabels(const LabelMap* m) {
    Value x;
    x.kind = Kind::kLabels;
    x.labels = std::shared_ptr<const LabelMap>(std::shared_ptr<const void>(), m);
    return x;
  }
  static Value OfSample(SamplePtr s) {
    Value x;
    x.kind = Kind::kSample;
    x.sample = std::move(s);
    return x;
  }
  static Value OfResult(std::shared_ptr<const QueryResult> r) {
    Value x;
    x.kind = Kind::kQueryResult;
    x.result = std::move(r);
    return x;
  }

  bool valid() const { return kind != Kind::kInvalid; }
  bool is_string_kind() const { return kind == Kind::kString || kind == Kind::kHtml; }
};

// Go's type name as %T and reflect print it ("float64", "map[string]string",
// "*template.sample", "<nil>" for nil and invalid values).
const char* TypeName(const Value& v);

// Go's isTrue: false for false, 0, "", empty maps and slices, nil pointers and missing
// values; true otherwise.
bool IsTrue(const Value& v);

// fmt.Fprint of the value as an action prints it (text/template's printValue): a missing
// value prints "<no value>", a *sample prints as its struct ({map[...] 1}).
void AppendActionValue(const Value& v, std::string* out);

}  // namespace tally::rules::tmpl
