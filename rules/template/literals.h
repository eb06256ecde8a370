// Go's literal syntax as text/template's parser reads it: strconv.Unquote for "..." and
// `...`, and parse.newNumber's classification of number and character constants (which
// of int, uint and float64 a literal can be). Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rules/template/ast.h"

namespace tally::rules::tmpl {

// strconv.Unquote of a quoted or raw string literal; false on invalid syntax.
bool GoUnquote(absl::string_view lit, std::string* out);

// Sets n->text and the is_int/is_uint/is_float fields and values of a number node from
// its literal (`is_char`: a 'x' constant; `is_complex`: 1+2i, unsupported). Errors carry
// Go's parser messages: "illegal number syntax: \"1__0\"", "integer overflow: ...".
absl::Status ParseNumberLiteral(bool is_char, bool is_complex, absl::string_view text, Node* n);

}  // namespace tally::rules::tmpl
