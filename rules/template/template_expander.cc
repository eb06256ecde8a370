#include "rules/template/template_expander.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "rules/template/executor.h"
#include "rules/template/parser.h"

namespace tally::rules {
namespace {

// Prometheus compat: rules/alerting.go prepends these definitions to every label and
// annotation template, so error columns on line 1 count them too (112 bytes).
constexpr absl::string_view kPrelude =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

// Templates longer than this are rejected before parsing (Prometheus has no limit).
constexpr size_t kMaxTemplateBytes = 1 << 20;

absl::Status CheckSize(absl::string_view name, absl::string_view text) {
  if (text.size() > kMaxTemplateBytes) {
    return absl::InvalidArgumentError(absl::StrCat("template: ", name, ": template exceeds ",
                                                   kMaxTemplateBytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTemplate(absl::string_view name, absl::string_view text) {
  if (absl::Status s = CheckSize(name, text); !s.ok()) return s;
  const std::string full = absl::StrCat(kPrelude, text);
  absl::StatusOr<tmpl::NodePtr> root = tmpl::Parse(name, full);
  return root.status();
}

absl::StatusOr<std::string> ExpandTemplate(absl::string_view name, absl::string_view text,
                                           const TemplateData& data) {
  if (absl::Status s = CheckSize(name, text); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing template ", name, ": ", s.message()));
  }
  const std::string full = absl::StrCat(kPrelude, text);
  absl::StatusOr<tmpl::NodePtr> root = tmpl::Parse(name, full);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing template ", name, ": ", root.status().message()));
  }
  std::string out;
  absl::Status s = tmpl::Execute(name, full, **root, data, &out);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error executing template ", name, ": ", s.message()));
  }
  return out;
}

}  // namespace tally::rules
