// Go's strings.ToUpper, strings.ToLower and strings.Title over UTF-8, with the case
// mapping of the scripts label values realistically use: ASCII, Latin-1 Supplement, Latin
// Extended-A, basic Greek and Cyrillic. Other runes are left unchanged (Go maps all of
// Unicode; docs/rules.md lists the difference). Invalid UTF-8 bytes pass through. Pure
// functions; thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace tally::rules::tmpl {

std::string GoToUpper(absl::string_view s);
std::string GoToLower(absl::string_view s);
// strings.Title: the first letter of each word upper-cased; words are separated by ASCII
// characters other than letters, digits and '_', and by Unicode spaces.
std::string GoTitle(absl::string_view s);

}  // namespace tally::rules::tmpl
