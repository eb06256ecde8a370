// Executes a parsed template against TemplateData with text/template's semantics (Go
// 1.19) and Prometheus's option missingkey=zero: a missing label is "", not an error.
// Errors carry Go's location and context:
//   template: __alert_X:1:115: executing "__alert_X" at <humanize "x">: error calling
//   humanize: strconv.ParseFloat: parsing "x": invalid syntax
// where 1:115 is the line and the 0-based byte column of the failing node in the full
// text (Prometheus's prelude included) and <...> is that node printed back.
//
// Output is limited to kMaxOutputBytes (Prometheus has no limit; an annotation of that
// size is already useless). Pure function of its inputs apart from `data.query`;
// thread-safe when `data.query` is.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rules/template/ast.h"
#include "rules/template/template_expander.h"
#include "rules/template/value.h"

namespace tally::rules::tmpl {

inline constexpr size_t kMaxOutputBytes = kMaxStringBytes;

// Appends the output of `root` (parsed from `text`, named `name`) to `out`. On failure
// returns InvalidArgument "template: NAME:L:C: executing ..." and `out` holds partial
// output.
absl::Status Execute(absl::string_view name, absl::string_view text, const Node& root,
                     const TemplateData& data, std::string* out);

}  // namespace tally::rules::tmpl
