// The notifier's self-metrics in the Prometheus text format, named as Prometheus 2.42's
// notifier names them so dashboards and alerts on a Prometheus server work on Tally:
//   prometheus_notifications_queue_capacity, _queue_length, _alertmanagers_discovered
//   (gauges) and _sent_total, _errors_total, _dropped_total (counters).
// Prometheus labels sent/errors by `alertmanager`; Tally's NotifierStats are totals over all
// Alertmanagers, so those two carry no label (docs/compatibility.md).
//
// Thread-safety: a pure function of its arguments.
#pragma once

#include <cstdint>
#include <string>

#include "rules/notifier/notifier.h"

namespace tally::rules {

// Appends the families to *out.
void RenderNotifierMetrics(const NotifierStats& stats, int64_t queue_capacity, std::string* out);

}  // namespace tally::rules
