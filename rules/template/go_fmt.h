// Go's fmt package over template values: Sprint, Sprintln and Sprintf with the verbs,
// flags, widths and precisions Go accepts, including its in-band error strings
// ("%!d(float64=3.5)", "%!s(MISSING)", "%!(EXTRA int=3)"). Text/template prints every
// action with fmt.Fprint and `printf` is fmt.Sprintf, so byte-for-byte output depends on it.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rules/template/value.h"

namespace tally::rules::tmpl {

// fmt.Sprint(args...): spaces between two operands when neither is a string.
void AppendSprint(absl::Span<const Value> args, std::string* out);
// fmt.Sprintln(args...): operands separated by spaces, then "\n".
void AppendSprintln(absl::Span<const Value> args, std::string* out);
// fmt.Sprintf(format, args...).
void AppendSprintf(absl::string_view format, absl::Span<const Value> args, std::string* out);

// fmt.Sprint of one value (%v), e.g. "1e+06", "map[a:b]", "&{map[job:x] 1}".
std::string SprintValue(const Value& v);

// fmt.Sprintf("%.Ng", v) for finite and non-finite v ("+Inf", "NaN"), the formatting
// Prometheus's humanize* functions use.
std::string FormatG(double v, int precision);

// time.Time.String() of a UTC instant: "1970-01-01 00:00:01.5 +0000 UTC" (fraction
// digits only as needed).
std::string FormatGoTimeUtc(int64_t unix_ms);

}  // namespace tally::rules::tmpl
