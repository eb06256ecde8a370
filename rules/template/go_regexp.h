// Go's regexp behaviour on top of RE2 (Go's regexp and RE2 share the syntax): compile
// errors in Go's wording, MatchString, and ReplaceAllString with Go's $1 / ${name}
// expansion and its empty-match rules. Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tally::rules::tmpl {

// regexp.MatchString(pattern, s): an unanchored search. Errors read
// "error parsing regexp: missing closing ): `(`".
absl::StatusOr<bool> GoRegexpMatch(absl::string_view pattern, absl::string_view s);

// regexp.MustCompile(pattern).ReplaceAllString(src, repl). A bad pattern yields Go's
// panic text "regexp: Compile(`(`): error parsing regexp: missing closing ): `(`".
// A result over kMaxStringBytes is an error (Tally's limit).
absl::StatusOr<std::string> GoRegexpReplaceAll(absl::string_view pattern, absl::string_view repl,
                                               absl::string_view src);

}  // namespace tally::rules::tmpl
