// UTF-8 validation shared by every ingest path (the DB's label check, remote write, the text
// parser). Pure function, thread-safe.
#pragma once

#include "absl/strings/string_view.h"

namespace tally::storage {

// True iff `s` is well-formed UTF-8 as Go's utf8.ValidString judges it: no overlong forms,
// no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
bool IsValidUtf8(absl::string_view s);

}  // namespace tally::storage
