#include "rules/alerting_rule.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "rules/recording_rule.h"
#include "rules/template/template_expander.h"
#include "storage/util/duration.h"
#include "storage/util/log.h"

namespace tally::rules {
namespace {

std::map<std::string, std::string> ToMap(const storage::Labels& l) {
  std::map<std::string, std::string> m;
  for (const auto& x : l) m.emplace(x.name, x.value);
  return m;
}

// Prometheus compat: AlertingRule.Eval's expand(): a failed expansion becomes the value.
std::string Expand(const std::string& template_name, const std::string& text,
                   const TemplateData& data) {
  absl::StatusOr<std::string> r = ExpandTemplate(template_name, text, data);
  if (r.ok()) return *std::move(r);
  TALLY_LOG(kWarn, "Expanding alert template failed", {{"err", r.status().message()}});
  return absl::StrCat("<error expanding template: ", r.status().message(), ">");
}

}  // namespace

const char* AlertStateString(AlertState s) {
  switch (s) {
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
    default: return "inactive";
  }
}

AlertingRule::AlertingRule(const RuleSpec& spec, std::string query, AlertingRuleEnv env,
                           bool restored)
    : Rule(spec.alert, std::move(query), ToLabels(spec.labels)),
      hold_duration_(absl::Milliseconds(spec.for_ms)),
      keep_firing_for_(absl::Milliseconds(spec.keep_firing_for_ms)),
      annotations_(ToLabels(spec.annotations)),
      env_(std::move(env)),
      restored_(restored) {}

absl::StatusOr<std::unique_ptr<AlertingRule>> AlertingRule::Create(const RuleSpec& spec,
                                                                   AlertingRuleEnv env,
                                                                   bool restored) {
  absl::StatusOr<std::string> q = CanonicalQuery(spec.expr);
  if (!q.ok()) return q.status();
  return std::unique_ptr<AlertingRule>(
      new AlertingRule(spec, *std::move(q), std::move(env), restored));
}

absl::StatusOr<std::vector<OutputSample>> AlertingRule::Eval(EvalBackend* backend,
                                                             absl::Time ts, int64_t limit) {
  const int64_t ts_ms = ToMillis(ts);
  absl::StatusOr<promql::Vector> res = backend->Query(query(), ts_ms);
  if (!res.ok()) return res.status();

  const std::string template_name = absl::StrCat("__alert_", name());
  TemplateData data;
  data.external_labels = ToMap(env_.external_labels);
  data.external_url = env_.external_url;
  data.eval_time_ms = ts_ms;
  data.query = [backend](absl::string_view expr, int64_t t_ms) {
    return backend->Query(expr, t_ms);
  };

  std::map<storage::Labels, Alert> alerts;
  for (const promql::VectorSample& smpl : *res) {
    data.labels = ToMap(smpl.metric);
    data.value = smpl.v;
    storage::LabelsBuilder lb(smpl.metric);
    lb.Del(storage::kMetricNameLabel);
    for (const auto& l : labels()) lb.Set(l.name, Expand(template_name, std::string(l.value), data));
    lb.Set(kAlertNameLabel, name());
    std::vector<storage::Label> ann;
    ann.reserve(annotations_.size());
    for (const auto& a : annotations_) {
      ann.push_back({std::string(a.name), Expand(template_name, std::string(a.value), data)});
    }
    Alert a;
    a.labels = lb.Build();
    a.annotations = storage::Labels::FromSorted(std::move(ann));
    a.active_at = ts;
    a.state = AlertState::kPending;
    a.value = smpl.v;
    if (alerts.contains(a.labels)) {
      return absl::FailedPreconditionError(
          "vector contains metrics with the same labelset after applying alert labels");
    }
    alerts.emplace(a.labels, std::move(a));
  }

  absl::MutexLock l(&mu_);
  for (auto& [lset, a] : alerts) {
    auto it = active_.find(lset);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = a.annotations;
      continue;
    }
    active_[lset] = a;
  }

  std::vector<OutputSample> vec;
  int64_t num_active_pending = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (!alerts.contains(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && keep_firing_for_ > absl::ZeroDuration()) {
        if (IsZeroTime(a.keep_firing_since)) a.keep_firing_since = ts;
        keep_firing = ts - a.keep_firing_since < keep_firing_for_;
      }
      // Keep a resolved alert for resolvedRetention so it is re-sent as resolved.
      if (a.state == AlertState::kPending ||
          (!IsZeroTime(a.resolved_at) && ts - a.resolved_at > kResolvedRetention)) {
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at = ts;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since = ZeroTime();
    }
    ++num_active_pending;
    if (a.state == AlertState::kPending && ts - a.active_at >= hold_duration_) {
      a.state = AlertState::kFiring;
      a.fired_at = ts;
    }
    if (restored_) {
      vec.push_back(AlertSample(a, ts));
      vec.push_back(ForStateSample(a, ts));
    }
    ++it;
  }
  if (limit > 0 && num_active_pending > limit) {
    active_.clear();
    return absl::FailedPreconditionError(absl::StrCat("exceeded limit of ", limit, " with ",
                                                      num_active_pending, " alerts"));
  }
  return vec;
}

OutputSample AlertingRule::AlertSample(const Alert& a, absl::Time ts) const {
  storage::LabelsBuilder lb(labels());
  for (const auto& l : a.labels) lb.Set(l.name, l.value);
  lb.Set(storage::kMetricNameLabel, kAlertMetricName);
  lb.Set(kAlertNameLabel, name());
  lb.Set(kAlertStateLabel, AlertStateString(a.state));
  return {lb.Build(), ToMillis(ts), 1};
}

storage::Labels AlertingRule::ForStateLabels(const Alert& a) const {
  storage::LabelsBuilder lb(labels());
  for (const auto& l : a.labels) lb.Set(l.name, l.value);
  lb.Set(storage::kMetricNameLabel, kAlertForStateMetricName);
  lb.Set(kAlertNameLabel, name());
  return lb.Build();
}

OutputSample AlertingRule::ForStateSample(const Alert& a, absl::Time ts) const {
  // Prometheus compat: the value is ActiveAt.Unix(), whole seconds.
  return {ForStateLabels(a), ToMillis(ts),
          static_cast<double>(absl::ToUnixSeconds(a.active_at))};
}

std::vector<Alert> AlertingRule::AlertsToSend(absl::Time ts, absl::Duration resend_delay,
                                              absl::Duration interval) {
  std::vector<Alert> out;
  absl::MutexLock l(&mu_);
  for (auto& [lset, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    const bool needs = a.resolved_at > a.last_sent_at || a.last_sent_at + resend_delay < ts;
    if (!needs) continue;
    a.last_sent_at = ts;
    // Allow for two evaluation or Alertmanager send failures (rules/alerting.go).
    a.valid_until = ts + 4 * std::max(resend_delay, interval);
    out.push_back(a);
  }
  return out;
}

AlertState AlertingRule::State() const {
  absl::MutexLock l(&mu_);
  AlertState s = AlertState::kInactive;
  for (const auto& [lset, a] : active_) s = std::max(s, a.state);
  return s;
}

std::vector<Alert> AlertingRule::ActiveAlerts() const {
  std::vector<Alert> out;
  absl::MutexLock l(&mu_);
  for (const auto& [lset, a] : active_) {
    if (IsZeroTime(a.resolved_at)) out.push_back(a);
  }
  return out;
}

std::vector<Alert> AlertingRule::CurrentAlerts() const {
  std::vector<Alert> out;
  absl::MutexLock l(&mu_);
  for (const auto& [lset, a] : active_) out.push_back(a);
  return out;
}

bool AlertingRule::restored() const {
  absl::MutexLock l(&mu_);
  return restored_;
}

void AlertingRule::SetRestored(bool r) {
  absl::MutexLock l(&mu_);
  restored_ = r;
}

void AlertingRule::MutateAlerts(const std::function<void(Alert*)>& fn) {
  absl::MutexLock l(&mu_);
  for (auto& [lset, a] : active_) fn(&a);
}

void AlertingRule::CopyAlertsFrom(const AlertingRule& from) {
  std::vector<Alert> alerts = from.CurrentAlerts();
  absl::MutexLock l(&mu_);
  for (Alert& a : alerts) active_[a.labels] = std::move(a);
}

std::string AlertingRule::Fingerprint() const {
  std::string f = absl::StrCat("alert: ", name(), "\nexpr: ", query(),
                               "\nfor: ", absl::FormatDuration(hold_duration_),
                               "\nkeep_firing_for: ", absl::FormatDuration(keep_firing_for_), "\n");
  for (const auto& l : labels()) absl::StrAppend(&f, "label ", l.name, "=", l.value, "\n");
  for (const auto& l : annotations_) {
    absl::StrAppend(&f, "annotation ", l.name, "=", l.value, "\n");
  }
  return f;
}

}  // namespace tally::rules
