// Go's strconv.FormatFloat(v, 'f', -1, 64) for finite values: the shortest digit string
// that round-trips, written without an exponent. Where that string has fewer digits than
// the integer part (|v| >= 1e16 or so), Go pads with zeros ("295421504068255740") while
// C++'s std::to_chars(fixed) prints the exact binary value ("295421504068255744"); both
// parse back to the same double, but the API's bytes (and count_values' labels) must be
// Go's. Thread-safe, no allocation beyond appending to `out`.
#pragma once

#include <string>

namespace tally::storage {

// Appends Go's 'f', -1 formatting of finite `v` to *out (NaN/Inf: the caller's spelling).
void AppendGoFloatF(double v, std::string* out);

}  // namespace tally::storage
