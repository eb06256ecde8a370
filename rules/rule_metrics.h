// Prometheus's rule-manager self-metrics (rules/manager.go Metrics), kept per group key
// ("<file>;<name>") so they survive a reload that recreates a group, as Prometheus's
// label-keyed vectors do. RuleMetrics::Render writes them in the text exposition format for
// the server's /metrics:
//   prometheus_rule_evaluation_duration_seconds{_sum,_count}
//   prometheus_rule_group_duration_seconds{_sum,_count}
//   prometheus_rule_group_iterations_missed_total{rule_group}
//   prometheus_rule_group_iterations_total{rule_group}
//   prometheus_rule_evaluations_total{rule_group}
//   prometheus_rule_evaluation_failures_total{rule_group}
//   prometheus_rule_group_interval_seconds{rule_group}
//   prometheus_rule_group_last_evaluation_timestamp_seconds{rule_group}
//   prometheus_rule_group_last_duration_seconds{rule_group}
//   prometheus_rule_group_rules{rule_group}
//   prometheus_rule_group_last_evaluation_samples{rule_group}
// (Prometheus's two duration summaries also carry quantiles; Tally exposes sum and count.)
// Thread-safe: counters are atomics, the group map takes a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tally::rules {

struct GroupMetrics {
  std::atomic<int64_t> iterations{0};
  std::atomic<int64_t> iterations_missed{0};
  std::atomic<int64_t> evaluations{0};
  std::atomic<int64_t> evaluation_failures{0};
  std::atomic<int64_t> last_samples{0};
  std::atomic<int64_t> last_duration_ns{0};
  std::atomic<int64_t> last_evaluation_ns{0};  // eval timestamp, Unix ns; 0 = never
  std::atomic<int64_t> interval_ns{0};
  std::atomic<int64_t> rules{0};
};

class RuleMetrics {
 public:
  // The metrics of group `key`, created on first use.
  std::shared_ptr<GroupMetrics> Group(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets a removed group (Prometheus deletes its label values).
  void Remove(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  void ObserveRuleEval(absl::Duration d);
  void ObserveGroupEval(absl::Duration d);
  void Render(std::string* out) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::atomic<int64_t> rule_eval_count_{0}, rule_eval_sum_ns_{0};
  std::atomic<int64_t> group_eval_count_{0}, group_eval_sum_ns_{0};
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<GroupMetrics>> groups_ ABSL_GUARDED_BY(mu_);
};

// Prometheus's GroupKey: file + ";" + name.
inline std::string GroupKey(const std::string& file, const std::string& name) {
  return file + ";" + name;
}

}  // namespace tally::rules
