#include "rules/notifier/notifier_metrics.h"

#include "absl/strings/str_cat.h"

namespace tally::rules {
namespace {

void Family(const char* name, const char* type, const char* help, int64_t v, std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ",
                  v, "\n");
}

}  // namespace

void RenderNotifierMetrics(const NotifierStats& s, int64_t queue_capacity, std::string* out) {
  // Help texts are Prometheus 2.42's (notifier/notifier.go).
  Family("prometheus_notifications_alertmanagers_discovered", "gauge",
         "The number of alertmanagers discovered and active.", s.alertmanagers, out);
  Family("prometheus_notifications_dropped_total", "counter",
         "Total number of alerts dropped due to errors when sending to Alertmanager.",
         s.dropped_total, out);
  Family("prometheus_notifications_errors_total", "counter",
         "Total number of errors sending alert notifications.", s.errors_total, out);
  Family("prometheus_notifications_queue_capacity", "gauge",
         "The capacity of the alert notifications queue.", queue_capacity, out);
  Family("prometheus_notifications_queue_length", "gauge",
         "The number of alert notifications in the queue.", s.queue_length, out);
  Family("prometheus_notifications_sent_total", "counter",
         "Total number of alerts sent.", s.sent_total, out);
}

}  // namespace tally::rules
