// EvalBackend: where rule evaluation reads from and writes to. One evaluation core
// (RuleGroup, AlertingRule, RecordingRule) runs against either the local store
// (LocalBackend: promql::Engine over a storage::DB, results through a storage::Appender)
// or a remote Prometheus-compatible pair (RemoteBackend: /api/v1/query over HTTP, results
// through remote write), so `tally serve` and `tally rules eval` share every line of rule
// semantics.
//
// Thread-safety: one group evaluates on one thread at a time, but different groups call
// the same backend concurrently; implementations must be thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "promql/value.h"
#include "storage/model/labels.h"

namespace tally::rules {

// One sample a rule produced (a recording result, an ALERTS / ALERTS_FOR_STATE sample, or a
// stale marker: storage::kStaleNaN bits in `v`).
struct OutputSample {
  storage::Labels labels;
  int64_t t_ms = 0;
  double v = 0;
};

class EvalBackend {
 public:
  virtual ~EvalBackend() = default;

  // Evaluates `expr` as an instant query at t_ms. A scalar result becomes a one-element
  // Vector with empty labels (Prometheus's rules do the same: EngineQueryFunc). A string or
  // matrix result is InvalidArgument ("rule result is not a vector or scalar").
  // Errors keep the engine's / remote API's message (they end up in lastError).
  virtual absl::StatusOr<promql::Vector> Query(absl::string_view expr, int64_t t_ms) = 0;

  // Appends the samples as one commit (all or nothing at the transport level). Samples the
  // store rejects as out of order / duplicate are not an error (Prometheus logs and counts
  // them); transport or storage failures are (Unavailable).
  virtual absl::Status Append(const std::vector<OutputSample>& samples) = 0;
};

}  // namespace tally::rules
