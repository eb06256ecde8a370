// Go's regexp behaviour on top of RE2 (Go's regexp and RE2 share the syntax): compile
// errors in Go's wording, MatchString, and ReplaceAllString with Go's $1 / ${name}
// expansion and its empty-match rules. Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "re2/re2.h"

namespace tally::rules::tmpl {

// regexp.MatchString(pattern, s): an unanchored search. Errors read
// "error parsing regexp: missing closing ): `(`".
absl::StatusOr<bool> GoRegexpMatch(absl::string_view pattern, absl::string_view s);

// regexp.MustCompile(pattern).ReplaceAllString(src, repl). A bad pattern yields Go's
// panic text "regexp: Compile(`(`): error parsing regexp: missing closing ): `(`".
// A result over kMaxStringBytes is an error (Tally's limit).
absl::StatusOr<std::string> GoRegexpReplaceAll(absl::string_view pattern, absl::string_view repl,
                                               absl::string_view src);

// Go's Regexp.Expand: appends `tmpl` to `out` with $1, ${1}, $name, ${name} replaced by
// the submatches `groups` of `re` (null data: the group did not participate, expands to
// ""), $$ as "$", and a malformed reference kept as a literal "$". Shared by the template
// functions and relabeling (server/scrape/relabel.cc).
void GoRegexpExpand(absl::string_view tmpl, const RE2& re,
                    absl::Span<const re2::StringPiece> groups, std::string* out);

}  // namespace tally::rules::tmpl
