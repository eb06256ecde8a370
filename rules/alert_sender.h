// Hands alerts from the rule groups to the Notifier, converted as Prometheus's main.go
// sendAlerts does: startsAt = firedAt; endsAt = resolvedAt once resolved, else validUntil
// (ts + 4 * max(resend delay, interval), so a silent Prometheus lets Alertmanager resolve
// them); generatorURL = <external URL>/graph?g0.expr=<query-escaped expr>&g0.tab=1.
// Used by `tally serve` and `tally rules eval`. Pure functions / a thread-safe functor.
#pragma once

#include <string>

#include "rules/alerting_rule.h"
#include "rules/notifier/notifier.h"
#include "rules/rule_group.h"

namespace tally::rules {

NotifierAlert ToNotifierAlert(const Alert& a, const std::string& expr,
                              const std::string& external_url);

// A NotifyFunc sending to `notifier` (which must outlive the returned function).
NotifyFunc NotifierSink(Notifier* notifier, std::string external_url);

}  // namespace tally::rules
