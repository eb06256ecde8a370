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

// Each Append* returns false (leaving partial output) once `out` exceeds kMaxStringBytes.
// fmt.Sprint(args...): spaces between two operands when neither is a string.
bool AppendSprint(absl::Span<const Value> args, std::string* out);
// fmt.Sprintln(args...): operands separated by spaces, then "\n".
bool AppendSprintln(absl::Span<const Value> args, std::string* out);
// fmt.Sprintf(format, args...).
bool AppendSprintf(absl::string_view format, absl::Span<const Value> args, std::string* out);

// fmt.Sprint of one value (%v), e.g. "1e+06", "map[a:b]", "&{map[job:x] 1}".
std::string SprintValue(const Value& v);

// fmt.Sprintf("%.Ng", v) for finite and non-finite v ("+Inf", "NaN"), the formatting
// Prometheus's humanize* functions use.
std::string FormatG(double v, int precision);

}  // namespace tally::rules::tmpl
