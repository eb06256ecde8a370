// Go-compatible float64 text conversions, shared by the text-format parser (which must
// accept exactly what Prometheus's strconv.ParseFloat accepts) and by everything that
// prints sample values the way `promtool tsdb dump` does (strconv.FormatFloat(v, 'g', -1,
// 64)). Pure functions; thread-safe; no allocation except the returned string.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tally::storage {

// Go's strconv.ParseFloat(s, 64): decimal with optional sign and exponent, hexadecimal
// mantissa with binary exponent ("0x1p-2"), and case-insensitive "NaN", "Inf", "+Inf",
// "-Inf", "Infinity". Underflow rounds to zero/subnormal silently; overflow is an error,
// as in Go. Returns false for anything else (no leading/trailing spaces allowed).
bool ParseGoFloat(absl::string_view s, double* out);

// Go's strconv.FormatFloat(v, 'g', -1, 64): the shortest decimal that round-trips, in %e
// form (at least two exponent digits) when the decimal exponent is < -4 or >= 6, else
// plain. Examples: 1e+06, 123456, 0.1, 1e-05, 0.0001, 1.2345678e+07, NaN, +Inf, -Inf, -0.
// The buffer overload writes into buf (>= kGoFloatBufSize bytes) and returns the length.
inline constexpr int kGoFloatBufSize = 32;
int FormatGoFloat(double v, char* buf);
std::string FormatGoFloat(double v);

}  // namespace tally::storage
