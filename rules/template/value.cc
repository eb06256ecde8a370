#include "rules/template/value.h"

#include "rules/template/go_fmt.h"

namespace tally::rules::tmpl {

const char* TypeName(const Value& v) {
  switch (v.kind) {
    case Kind::kInvalid:
    case Kind::kNil:
      return "<nil>";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kUint8:
      return "uint8";
    case Kind::kFloat:
      return "float64";
    case Kind::kString:
      return "string";
    case Kind::kHtml:
      return "template.HTML";
    case Kind::kLabels:
      return "map[string]string";
    case Kind::kArgs:
      return "map[string]interface {}";
    case Kind::kQueryResult:
      return "template.queryResult";
    case Kind::kSample:
      return "*template.sample";
    case Kind::kTime:
      return "*time.Time";
    case Kind::kData:
      // Prometheus compat: the anonymous struct AlertTemplateData builds, as reflect
      // names it in "can't evaluate field X in type ..." errors.
      return "struct { Labels map[string]string; ExternalLabels map[string]string; "
             "ExternalURL string; Value float64 }";
  }
  return "<nil>";
}

bool IsTrue(const Value& v) {
  switch (v.kind) {
    case Kind::kInvalid:
    case Kind::kNil:
      return false;
    case Kind::kBool:
      return v.b;
    case Kind::kInt:
    case Kind::kUint8:
      return v.i != 0;
    case Kind::kFloat:
      return v.f != 0;
    case Kind::kString:
    case Kind::kHtml:
      return !v.s.empty();
    case Kind::kLabels:
      return v.labels && !v.labels->empty();
    case Kind::kArgs:
      return v.args && !v.args->empty();
    case Kind::kQueryResult:
      return v.result && !v.result->empty();
    case Kind::kSample:
      return v.sample != nullptr;
    case Kind::kTime:
    case Kind::kData:
      return true;
  }
  return false;
}

void AppendActionValue(const Value& v, std::string* out) {
  // text/template's printableValue: pointers are dereferenced before fmt sees them, so a
  // *sample prints as "{map[...] 1}" (no "&"), a nil one as "<nil>".
  if (v.kind == Kind::kInvalid) {
    out->append("<no value>");
    return;
  }
  if (v.kind == Kind::kSample && v.sample != nullptr) {
    out->append("{");
    Value labels;
    labels.kind = Kind::kLabels;
    labels.labels = std::shared_ptr<const LabelMap>(v.sample, &v.sample->labels);
    out->append(SprintValue(labels));
    out->append(" ");
    out->append(SprintValue(Value::Float(v.sample->value)));
    out->append("}");
    return;
  }
  (void)AppendSprint(absl::MakeConstSpan(&v, 1), out);  // one value: already bounded
}

}  // namespace tally::rules::tmpl
