// AlertingRule: Prometheus 2.42's alert state machine (rules/alerting.go).
//
// Each evaluation turns every result sample into an alert identified by its labels (the
// sample's labels without __name__, plus the rule's templated labels, plus alertname):
//   new             -> pending (activeAt = ts)
//   pending         -> firing once ts - activeAt >= `for`
//   gone, pending   -> deleted
//   gone, firing    -> inactive with resolvedAt = ts, unless keep_firing_for holds it
//                      firing (for keep_firing_for after it first went missing)
//   resolved        -> kept 15m (resolvedRetention) so it is re-sent as resolved, then deleted
// Annotations and labels are expanded with the template expander for every sample, with
// $labels, $value, $externalLabels, $externalURL; an expansion error becomes the value
// "<error expanding template: ...>" and does not fail the evaluation.
// Once restored (see RuleGroup), each evaluation outputs ALERTS{alertstate} = 1 and
// ALERTS_FOR_STATE = activeAt (Unix seconds) for every pending/firing alert.
//
// Thread-safety: Eval, AlertsToSend and the restore/copy helpers run on the group's thread;
// the snapshot accessors (State, ActiveAlerts, CurrentAlerts) from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rules/rule.h"
#include "rules/rule_file.h"

namespace tally::rules {

enum class AlertState { kInactive = 0, kPending = 1, kFiring = 2 };
const char* AlertStateString(AlertState s);  // "inactive", "pending", "firing"

inline constexpr absl::string_view kAlertMetricName = "ALERTS";
inline constexpr absl::string_view kAlertForStateMetricName = "ALERTS_FOR_STATE";
inline constexpr absl::string_view kAlertNameLabel = "alertname";
inline constexpr absl::string_view kAlertStateLabel = "alertstate";
// Prometheus compat: resolvedRetention in rules/alerting.go.
inline constexpr absl::Duration kResolvedRetention = absl::Minutes(15);

struct Alert {
  AlertState state = AlertState::kInactive;
  storage::Labels labels;
  storage::Labels annotations;
  double value = 0;
  absl::Time active_at = ZeroTime();
  absl::Time fired_at = ZeroTime();
  absl::Time resolved_at = ZeroTime();
  absl::Time last_sent_at = ZeroTime();
  absl::Time valid_until = ZeroTime();
  absl::Time keep_firing_since = ZeroTime();
};

struct AlertingRuleEnv {
  storage::Labels external_labels;  // $externalLabels
  std::string external_url;         // $externalURL
};

class AlertingRule : public Rule {
 public:
  // `restored`: whether ALERTS samples are written from the first evaluation (false on a
  // server's first load, until the group has restored the `for` state).
  static absl::StatusOr<std::unique_ptr<AlertingRule>> Create(const RuleSpec& spec,
                                                              AlertingRuleEnv env,
                                                              bool restored);

  bool is_alerting() const override { return true; }
  absl::StatusOr<std::vector<OutputSample>> Eval(EvalBackend* backend, absl::Time ts,
                                                 int64_t limit) override;
  std::string Fingerprint() const override;

  absl::Duration hold_duration() const { return hold_duration_; }
  absl::Duration keep_firing_for() const { return keep_firing_for_; }
  const storage::Labels& annotations() const { return annotations_; }

  // Prometheus compat: AlertingRule.sendAlerts. Returns copies of the alerts that need
  // (re)sending at ts (firing ones not sent for resend_delay, ones resolved since the last
  // send, resolved ones again every resend_delay), marking them sent and setting
  // valid_until = ts + 4 * max(resend_delay, interval).
  std::vector<Alert> AlertsToSend(absl::Time ts, absl::Duration resend_delay,
                                  absl::Duration interval) ABSL_LOCKS_EXCLUDED(mu_);

  // Highest state among the current alerts (the rule's "state" in /api/v1/rules).
  AlertState State() const ABSL_LOCKS_EXCLUDED(mu_);
  // Alerts not resolved (Prometheus's ActiveAlerts), sorted by labels.
  std::vector<Alert> ActiveAlerts() const ABSL_LOCKS_EXCLUDED(mu_);
  // Every alert held, resolved ones included, sorted by labels.
  std::vector<Alert> CurrentAlerts() const ABSL_LOCKS_EXCLUDED(mu_);

  bool restored() const ABSL_LOCKS_EXCLUDED(mu_);
  void SetRestored(bool r) ABSL_LOCKS_EXCLUDED(mu_);
  // The ALERTS_FOR_STATE label set of `a` (what restore looks up).
  storage::Labels ForStateLabels(const Alert& a) const;
  // Calls fn on every held alert (restore adjusts active_at through it).
  void MutateAlerts(const std::function<void(Alert*)>& fn) ABSL_LOCKS_EXCLUDED(mu_);
  // Takes over `from`'s alerts (reload of an unchanged rule in a changed group).
  void CopyAlertsFrom(const AlertingRule& from) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  AlertingRule(const RuleSpec& spec, std::string query, AlertingRuleEnv env, bool restored);
  OutputSample AlertSample(const Alert& a, absl::Time ts) const;
  OutputSample ForStateSample(const Alert& a, absl::Time ts) const;

  const absl::Duration hold_duration_;
  const absl::Duration keep_firing_for_;
  const storage::Labels annotations_;
  const AlertingRuleEnv env_;

  mutable absl::Mutex mu_;
  std::map<storage::Labels, Alert> active_ ABSL_GUARDED_BY(mu_);
  bool restored_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tally::rules
