// A tiny series-selector parser for `tally tsdb dump --match`: `name`, `name{l="v",...}`
// or `{l=~"re",...}` with =, !=, =~, !~ and "..."/'...'/`...` quoted values (escapes
// \\ \" \' \n \t \r). ParseSelector first asks the PromQL parser
// (promql::ParseMetricSelector) and only falls back to this one while that reports
// Unimplemented. TODO(#3): drop the fallback once the PromQL parser lands.
// Pure function; thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/model/matcher.h"

namespace tally::tools {

// InvalidArgument with the byte position for malformed input, and (like Prometheus) when
// no matcher is non-empty.
absl::StatusOr<storage::Matchers> ParseSimpleSelector(absl::string_view input);
absl::StatusOr<storage::Matchers> ParseSelector(absl::string_view input);

}  // namespace tally::tools
