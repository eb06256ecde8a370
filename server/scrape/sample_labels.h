// The label rules of a scraped sample, as Prometheus 2.42's scrape.go applies them to a
// series the first time a target exposes it: target labels merged in (honor_labels or the
// exported_ renaming), then metric_relabel_configs, then the label limits. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "storage/model/labels.h"

namespace tally::server::scrape {

// metric_relabel_configs as a callable (the manager wraps its Relabeler); returns false
// when a keep/drop rule dropped the series. Empty = no rules.
using MetricRelabelFn = std::function<bool(storage::LabelsBuilder&)>;

// Prometheus compat: mutateSampleLabels. With honor_labels, target labels are added only
// where the exposed series lacks them; without, target labels win and each conflicting
// exposed label moves to exported_<name> (more exported_ prefixes until the name is free,
// shortest names first). Then the relabel rules. Returns an empty set when dropped.
storage::Labels MutateSampleLabels(const storage::Labels& exposed,
                                   const storage::Labels& target_labels, bool honor_labels,
                                   const MetricRelabelFn& relabel);

// Prometheus compat: mutateReportSampleLabels: {__name__=<name>} plus the target labels.
storage::Labels ReportLabels(absl::string_view name, const storage::Labels& target_labels);

struct LabelLimits {
  uint64_t label_limit = 0;  // 0 = no limit
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
};

// Prometheus compat: verifyLabelLimits, with its messages, e.g.
// "label_limit exceeded (metric: foo, number of labels: 5, limit: 4)".
absl::Status VerifyLabelLimits(const storage::Labels& lset, const LabelLimits& limits);

}  // namespace tally::server::scrape
