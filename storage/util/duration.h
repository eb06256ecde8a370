// Prometheus durations (model.ParseDuration / model.Duration.String), shared by the PromQL
// lexer, flags and config files: "1h30m", "5m", "15d", "2w", "1y", "250ms". Units must
// appear in descending order, each at most once; y = 365d, w = 7d. Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tally::storage {

// Milliseconds. InvalidArgument with Prometheus's messages otherwise: "empty duration
// string", "not a valid duration string: \"x\"", or "duration out of range" (more than a
// Go time.Duration holds, ~292 years).
absl::StatusOr<int64_t> ParseDurationMs(absl::string_view s);
// "1h30m", "15d", "0s": the largest units first, as Prometheus prints. Negative inputs get
// a leading "-" (Prometheus prints nothing for them).
std::string FormatDurationMs(int64_t ms);

}  // namespace tally::storage
