// SeriesLimits: bounds on one series' label set, checked by every ingest path (remote write,
// backfill, and the scraper once it exists) before the series reaches the head, so a client
// cannot create a series whose labels cost megabytes in every index and API answer.
//
// The three limits are Prometheus's scrape_config fields (label_limit,
// label_name_length_limit, label_value_length_limit) with its semantics and wording
// (scrape/scrape.go verifyLabelLimits, 2.42): the label count includes __name__; lengths
// are in bytes; 0 means no limit. Labels with an empty value are not labels (Prometheus
// drops them) and are not counted.
//
// CheckSeriesLimits is a template over any range of objects with `name` and `value`
// members convertible to absl::string_view (storage::Labels, the remote-write decoder's
// views), so a caller can check before it copies anything. Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "storage/model/labels.h"

namespace tally::storage {

struct SeriesLimits {
  uint64_t label_limit = 0;               // labels per series, __name__ included; 0: none
  uint64_t label_name_length_limit = 0;   // bytes per label name; 0: none
  uint64_t label_value_length_limit = 0;  // bytes per label value; 0: none
  bool unlimited() const {
    return label_limit == 0 && label_name_length_limit == 0 && label_value_length_limit == 0;
  }
};

// Tally's defaults for remote write and backfill (Prometheus has no limits there). Far above
// real series (a few to a few dozen labels, names well under 100 bytes) and far below what
// hurts: a 1,000,000-label series made every /api/v1/labels call take 5.7 s.
// docs/configuration.md explains each value.
inline constexpr SeriesLimits kDefaultIngestSeriesLimits{
    .label_limit = 128, .label_name_length_limit = 1024, .label_value_length_limit = 4096};

namespace series_limits_internal {
absl::Status LabelLimitError(absl::string_view metric, uint64_t n, uint64_t limit);
absl::Status NameLengthError(absl::string_view metric, absl::string_view name, uint64_t limit);
absl::Status ValueLengthError(absl::string_view metric, absl::string_view name,
                              absl::string_view value, uint64_t limit);
}  // namespace series_limits_internal

// OK, or InvalidArgument worded as Prometheus:
//   label_limit exceeded (metric: <name>, number of labels: N, limit: L)
//   label_name_length_limit exceeded (metric: <name>, label name: <n>, length: N, limit: L)
//   label_value_length_limit exceeded (metric: <name>, label name: <n>, value: "<v>",
//     length: N, limit: L)
// (metric, names and values cut to 50 characters). The count is checked first, then each
// label in range order. O(labels); allocates only to build an error.
template <typename LabelRange>
absl::Status CheckSeriesLimits(const LabelRange& labels, const SeriesLimits& limits) {
  if (limits.unlimited()) return absl::OkStatus();
  uint64_t n = 0;
  absl::string_view metric;
  for (const auto& l : labels) {
    const absl::string_view name(l.name), value(l.value);
    if (value.empty()) continue;
    ++n;
    if (name == kMetricNameLabel) metric = value;
  }
  if (limits.label_limit > 0 && n > limits.label_limit) {
    return series_limits_internal::LabelLimitError(metric, n, limits.label_limit);
  }
  if (limits.label_name_length_limit == 0 && limits.label_value_length_limit == 0) {
    return absl::OkStatus();
  }
  for (const auto& l : labels) {
    const absl::string_view name(l.name), value(l.value);
    if (value.empty()) continue;
    if (limits.label_name_length_limit > 0 && name.size() > limits.label_name_length_limit) {
      return series_limits_internal::NameLengthError(metric, name, limits.label_name_length_limit);
    }
    if (limits.label_value_length_limit > 0 && value.size() > limits.label_value_length_limit) {
      return series_limits_internal::ValueLengthError(metric, name, value,
                                                      limits.label_value_length_limit);
    }
  }
  return absl::OkStatus();
}

}  // namespace tally::storage
