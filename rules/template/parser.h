// Parser for the text/template subset, following text/template/parse/parse.go (Go 1.19):
// the same grammar, the same variable scoping (a variable lives until the {{end}} of the
// control structure that declared it) and the same error messages, e.g.
//   template: __alert_X:1: unexpected "}" in operand
//   template: __alert_X:1: function "foo" not defined
//   template: __alert_X:1: undefined variable "$x"
// {{define}}, {{template}} and {{block}} are not supported (Prometheus's alert templates
// have no associated templates to call) and fail with a clear error.
//
// Pure function; thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/template/ast.h"

namespace tally::rules::tmpl {

// Parses `text` into its root list node. `name` appears in errors. InvalidArgument with
// "template: NAME:LINE: message" on a syntax error.
absl::StatusOr<NodePtr> Parse(absl::string_view name, absl::string_view text);

}  // namespace tally::rules::tmpl
