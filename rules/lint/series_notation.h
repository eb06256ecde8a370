// promtool's input notation for rule unit tests (and PromQL test scripts' `load`):
//   series: a metric in text form, `name{l="v", ...}` (quoted with " ' or `, Go escapes)
//   values: space-separated items, each one of
//     a          one value (decimal, hex, Inf, NaN, with sign)
//     _          no sample at this step
//     stale      a stale marker
//     _xN        N steps without samples
//     axN        N+1 samples of value a
//     a+bxN      N+1 samples a, a+b, ..., a+N*b   (a-bxN likewise)
// Prometheus compat: promql/parser's series_item grammar (the extra sample of `xN` forms is
// the one at step 0). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/model/labels.h"

namespace tally::rules {

// One step of a series: nullopt = omitted; a stale marker is storage::StaleNaN().
using SeriesValues = std::vector<std::optional<double>>;

// Parses `name{...}`, `{...}` or `name`. InvalidArgument "1:<col>: parse error: ...".
absl::StatusOr<storage::Labels> ParseMetric(absl::string_view text);

// Expands a values string. `column_base` is added to error columns (promtool reports
// positions in "<series> <values>"). At most kMaxSeriesSteps steps per series.
inline constexpr size_t kMaxSeriesSteps = 10'000'000;
absl::StatusOr<SeriesValues> ParseSeriesValues(absl::string_view text, int column_base = 0);

}  // namespace tally::rules
