// Series selectors for `tally tsdb dump --match`: `name`, `name{l="v",...}` or
// `{l=~"re",...}`. ParseSelector uses the PromQL parser (promql::ParseMetricSelector) and
// then checks the selector has a non-empty matcher; ParseSimpleSelector is a small
// stand-alone parser (=, !=, =~, !~; "..."/'...'/`...` values with \\ \" \' \n \t \r
// escapes) that ParseSelector falls back to only if the PromQL parser reports
// Unimplemented. Pure functions; thread-safe.
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
