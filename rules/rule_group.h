// RuleGroup: an ordered list of rules evaluated together on one interval, with Prometheus
// 2.42's semantics (rules/group.go):
//  - Evaluation timestamps are aligned: EvalTimestamp() puts each group at a fixed phase
//    (GroupHash(file, name) % interval) of its interval, so every evaluation time is
//    base + k * interval, the same instants Prometheus would use.
//  - Rules run in order; each rule's results are appended (one commit) before the next rule
//    queries, so a rule sees the results of earlier rules of the same evaluation.
//  - A series a rule produced in the previous evaluation but not in this one gets a stale
//    marker at this evaluation's timestamp (recording series and ALERTS alike).
//  - A failed rule keeps its previous series (no stale markers) and records health "err".
//  - Ticks that passed while an evaluation ran too long are counted as missed, not run.
//  - Firing and resolved alerts are handed to `notify` as Prometheus's sendAlerts does.
//  - On a server's first load the group restores alert `for` state from ALERTS_FOR_STATE
//    after its second evaluation (RestoreForState, with the outage tolerance and grace
//    period of --rules.alert.for-outage-tolerance / --rules.alert.for-grace-period).
//
// Thread-safety: Eval/RestoreForState/CopyState run on one thread at a time (the group's own
// thread once Start()ed, or the caller's in tests, backfill and `rules test`). Status
// accessors and rules()' status/snapshots are safe from any thread. Stop() and Join() from
// the manager's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rules/alerting_rule.h"
#include "rules/eval_backend.h"
#include "rules/rule.h"
#include "rules/rule_metrics.h"
#include "storage/model/sample.h"

namespace tally::rules {

// Receives the alerts to deliver (Prometheus's NotifyFunc): `expr` is the rule's query (for
// generatorURL). Called on the group's thread; must not block on the network.
using NotifyFunc = std::function<void(const std::string& expr, const std::vector<Alert>& alerts)>;
// The newest sample of the series with exactly these labels in [mint_ms, maxt_ms].
using ForStateLookup = std::function<absl::StatusOr<std::optional<storage::Sample>>(
    const storage::Labels& labels, int64_t mint_ms, int64_t maxt_ms)>;

struct RuleGroupOptions {
  EvalBackend* backend = nullptr;  // REQUIRED; outlives the group
  NotifyFunc notify;               // may be empty: alerts are not sent
  ForStateLookup for_state;        // may be empty: nothing to restore from
  absl::Duration resend_delay = absl::Minutes(1);       // --rules.alert.resend-delay
  absl::Duration outage_tolerance = absl::Hours(1);     // --rules.alert.for-outage-tolerance
  absl::Duration for_grace_period = absl::Minutes(10);  // --rules.alert.for-grace-period
  RuleMetrics* metrics = nullptr;  // may be null
};

class RuleGroup {
 public:
  // `should_restore`: restore alert state after the second evaluation (first load).
  RuleGroup(std::string name, std::string file, absl::Duration interval, int64_t limit,
            std::vector<std::unique_ptr<Rule>> rules, RuleGroupOptions options,
            bool should_restore);
  ~RuleGroup();  // Stop(false) + Join()

  const std::string& name() const { return name_; }
  const std::string& file() const { return file_; }
  absl::Duration interval() const { return interval_; }
  int64_t limit() const { return limit_; }
  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }

  // Prometheus compat: Group.EvalTimestamp (nanosecond arithmetic on Unix time).
  absl::Time EvalTimestamp(absl::Time start) const;
  // One evaluation of every rule at `ts`.
  void Eval(absl::Time ts);
  // Restores pending/firing alerts' activeAt from ALERTS_FOR_STATE; marks rules restored.
  void RestoreForState(absl::Time ts);
  // Takes over the state of the group this one replaces (same file and name): evaluation
  // status, previous-series sets and alerts of rules with the same name and labels, and
  // stale markers owed for rules that are gone. REQUIRES: `from` is stopped.
  void CopyState(RuleGroup& from);
  // Same name, file, interval, limit and rules (Prometheus's Group.Equals).
  bool Equals(const RuleGroup& other) const;

  // Runs the evaluation loop on its own thread.
  void Start();
  // Asks the loop to stop after the current rule. With `mark_stale` (the group was removed)
  // the thread then waits two intervals (or until Abort()) and writes stale markers for
  // every series the group still owns, as Prometheus does for removed groups.
  void Stop(bool mark_stale);
  void Abort();  // ends a pending stale-marking wait early (manager shutdown)
  void Join();
  bool finished() const;  // the thread has ended (or never started)

  absl::Duration evaluation_time() const;
  absl::Time last_evaluation() const;  // wall time the last evaluation started

 private:
  void Run();
  // Waits until `t` or Stop(); false when stopped.
  bool WaitUntil(absl::Time t);
  void Iterate(absl::Time eval_ts);
  void CleanupStaleSeries(absl::Time ts);
  bool stopping() const;

  const std::string name_;
  const std::string file_;
  const absl::Duration interval_;
  const int64_t limit_;
  std::vector<std::unique_ptr<Rule>> rules_;
  RuleGroupOptions options_;
  bool should_restore_;
  std::shared_ptr<GroupMetrics> metrics_;

  // Group-thread state.
  std::vector<absl::flat_hash_set<storage::Labels>> series_in_previous_eval_;
  std::vector<storage::Labels> stale_series_;

  mutable absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool mark_stale_ ABSL_GUARDED_BY(mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = true;
  absl::Duration evaluation_time_ ABSL_GUARDED_BY(mu_);
  absl::Time last_evaluation_ ABSL_GUARDED_BY(mu_) = ZeroTime();
  std::thread thread_;
};

}  // namespace tally::rules
