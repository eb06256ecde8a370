// Rule: one recording or alerting rule of a group (Prometheus 2.42's rules.Rule). A rule
// evaluates its expression through an EvalBackend at the group's timestamp and returns the
// samples the group appends (recording results, or ALERTS / ALERTS_FOR_STATE). It also keeps
// the status /api/v1/rules shows: health, last error, evaluation duration and wall time.
//
// Thread-safety: Eval is called by the owning group's thread only; the status accessors
// (and AlertingRule's alert snapshots) may be called from any thread (API handlers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rules/eval_backend.h"
#include "storage/model/labels.h"

namespace tally::rules {

enum class RuleHealth { kUnknown, kGood, kBad };
// "unknown", "ok", "err": Prometheus's RuleHealth strings.
const char* RuleHealthString(RuleHealth h);

// Go's zero time.Time ("0001-01-01T00:00:00Z" in JSON; IsZero() in Prometheus's code).
inline absl::Time ZeroTime() { return absl::InfinitePast(); }
inline bool IsZeroTime(absl::Time t) { return t == absl::InfinitePast(); }
// Prometheus's timestamp.FromTime: milliseconds since the epoch, truncated.
inline int64_t ToMillis(absl::Time t) { return absl::ToUnixMillis(t); }

struct RuleStatus {
  RuleHealth health = RuleHealth::kUnknown;
  std::string last_error;                      // "" when healthy
  absl::Duration evaluation_time;              // duration of the last evaluation
  absl::Time last_evaluation = ZeroTime();     // wall time the last evaluation started
};

class Rule {
 public:
  virtual ~Rule() = default;

  const std::string& name() const { return name_; }
  // The expression as Prometheus prints (and evaluates) it: the parsed AST re-printed.
  const std::string& query() const { return query_; }
  // The rule's `labels` (for alerting rules: still unexpanded templates).
  const storage::Labels& labels() const { return labels_; }
  virtual bool is_alerting() const = 0;

  // Evaluates at `ts` and returns the samples to append. Errors (query failure, duplicate
  // output label sets, limit exceeded) are returned with Prometheus's wording; the group
  // records them as the rule's health.
  virtual absl::StatusOr<std::vector<OutputSample>> Eval(EvalBackend* backend, absl::Time ts,
                                                         int64_t limit) = 0;

  // Equal for rules Prometheus considers equal on reload (its rule.String(): the rule's YAML).
  virtual std::string Fingerprint() const = 0;

  void SetHealth(RuleHealth h, std::string last_error) ABSL_LOCKS_EXCLUDED(mu_);
  void SetEvaluation(absl::Duration took, absl::Time started) ABSL_LOCKS_EXCLUDED(mu_);
  RuleStatus status() const ABSL_LOCKS_EXCLUDED(mu_);

 protected:
  Rule(std::string name, std::string query, storage::Labels labels)
      : name_(std::move(name)), query_(std::move(query)), labels_(std::move(labels)) {}

 private:
  const std::string name_;
  const std::string query_;
  const storage::Labels labels_;
  mutable absl::Mutex mu_;
  RuleStatus status_ ABSL_GUARDED_BY(mu_);
};

// True when two samples of `v` share a label set (Prometheus's Vector.ContainsSameLabelset).
bool ContainsSameLabelset(const std::vector<OutputSample>& v);

}  // namespace tally::rules
