// LocalBackend: the EvalBackend of `tally serve`, `tally rules test` and `tally rules
// backfill`: instant queries through a promql::Engine over a storage::DB, results appended
// through one storage::Appender per call (one commit, so a rule sees the results of the
// rules before it in the same group evaluation). Samples the store rejects as out of order,
// duplicate or too old are counted (Prometheus logs and drops them), not errors.
// It also reads the last ALERTS_FOR_STATE sample of a series for restoring alert state.
//
// Thread-safety: all methods may be called concurrently (the engine and DB are thread-safe).
// The DB must outlive the backend.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "promql/engine.h"
#include "rules/eval_backend.h"
#include "storage/db.h"

namespace tally::rules {

struct LocalBackendStats {
  int64_t appended = 0;
  int64_t rejected_out_of_order = 0;
  int64_t rejected_duplicate = 0;
  int64_t rejected_too_old = 0;
  int64_t rejected_invalid = 0;  // label sets the store refuses (e.g. invalid UTF-8)
};

class LocalBackend : public EvalBackend {
 public:
  LocalBackend(storage::DB* db, promql::QueryOptions options);

  absl::StatusOr<promql::Vector> Query(absl::string_view expr, int64_t t_ms) override;
  absl::Status Append(const std::vector<OutputSample>& samples) override;

  // The newest sample of the series with exactly `labels` in [mint_ms, maxt_ms], if any.
  absl::StatusOr<std::optional<storage::Sample>> LastSample(const storage::Labels& labels,
                                                            int64_t mint_ms, int64_t maxt_ms);

  LocalBackendStats Stats() const;

 private:
  storage::DB* db_;
  promql::Engine engine_;
  std::atomic<int64_t> appended_{0}, ooo_{0}, dup_{0}, too_old_{0}, invalid_{0};
};

// Prometheus compat: EngineQueryFunc turns a query result into the Vector a rule sees (a
// scalar becomes one sample without labels; strings and matrices are errors).
absl::StatusOr<promql::Vector> ResultToVector(promql::Value v, int64_t t_ms);

}  // namespace tally::rules
