// Internal to promql/parser: Prometheus-style positioned parse errors
// ("<line>:<col>: parse error: <msg>") and shared literal helpers.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tally::promql::internal {

// InvalidArgument "<line>:<col>: parse error: <msg>", line and column 1-based, the column in
// bytes after the last newline before `pos` (Prometheus compat: parser.ParseErr.Error).
absl::Status ParseErrorAt(absl::string_view input, int32_t pos, absl::string_view msg);

// Go strconv semantics as Prometheus's parseNumber uses them: ParseInt(s, 0, 64) first
// (hex, leading-0 octal), then ParseFloat. Error text "error parsing number: strconv...".
absl::StatusOr<double> ParseNumber(absl::string_view s);

// Unquotes a lexed string token ("...", '...', `...`) with Go escape rules.
absl::StatusOr<std::string> Unquote(absl::string_view quoted);

}  // namespace tally::promql::internal
