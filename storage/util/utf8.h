// UTF-8 validation and encoding shared by every ingest path (the DB's label check, remote write, the text
// parser). Pure function, thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tally::storage {

// True iff `s` is well-formed UTF-8 as Go's utf8.ValidString judges it: no overlong forms,
// no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
bool IsValidUtf8(absl::string_view s);

// Appends code point `r` (REQUIRES: r <= 0x10FFFF) encoded as UTF-8 (1 to 4 bytes).
void AppendUtf8(uint32_t r, std::string* out);

}  // namespace tally::storage
