// Notifier: delivers alerts to Alertmanager's API v2 (POST <base>/api/v2/alerts, JSON array
// of {labels, annotations, startsAt, endsAt, generatorURL}) for every configured
// Alertmanager, as Prometheus 2.42's notifier does:
//  - Send() only enqueues (never blocks on the network); a bounded queue (capacity
//    `queue_capacity`, Prometheus's --alertmanager.notification-queue-capacity, 10000) drops
//    the oldest alerts when full and counts them (dropped_total).
//  - A sender thread drains the queue in batches of at most `max_batch_size` (64) alerts
//    and posts each batch to every Alertmanager concurrently, with `timeout` per post.
//    Delivery to one Alertmanager succeeding counts as success; 5xx and network errors
//    are retried with backoff (100 ms doubling to 2 s) until `timeout`, then counted in
//    errors_total; 4xx (and 3xx) is not retried. A batch that reached no Alertmanager
//    (or found none configured) counts in dropped_total, as in Prometheus.
//  - Body: Alertmanager's PostableAlert JSON array (rules/notifier/alert_json.h).
//  - External labels are added to each alert's labels (alert labels win on conflict).
// The rule manager decides what to send and when (firing alerts re-sent every
// resend_delay, 1m; resolved alerts sent with endsAt for 15m): the notifier only delivers.
//
// Thread-safety: Send/ApplyConfig/Stats from any thread. Stop() joins the sender thread
// after a last bounded attempt (at most `timeout`) to flush the queue; alerts left then,
// and alerts sent after Stop(), count as dropped. Stop() is idempotent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rules/client/http_client.h"
#include "storage/model/labels.h"

namespace tally::rules {

struct NotifierAlert {
  storage::Labels labels;
  storage::Labels annotations;
  absl::Time starts_at = absl::InfinitePast();   // zero -> omitted
  absl::Time ends_at = absl::InfinitePast();     // zero -> omitted
  std::string generator_url;
};

struct NotifierOptions {
  // Alertmanager base URLs, e.g. "http://127.0.0.1:9093" (path prefix allowed); from
  // alerting.alertmanagers[].static_configs + scheme + path_prefix, or --alertmanager.url.
  std::vector<std::string> alertmanager_urls;
  // TLS and credentials per Alertmanager, same index as alertmanager_urls (missing entries:
  // none); from the alertmanager config's tls_config / basic_auth / authorization.
  std::vector<std::pair<TlsClientOptions, HttpAuthOptions>> alertmanager_http;
  storage::Labels external_labels;
  size_t queue_capacity = 10000;
  size_t max_batch_size = 64;
  absl::Duration timeout = absl::Seconds(10);
};

struct NotifierStats {
  int64_t sent_total = 0;      // alerts delivered (per Alertmanager, as Prometheus counts)
  int64_t errors_total = 0;    // alerts whose delivery to an Alertmanager failed
  int64_t dropped_total = 0;   // alerts dropped from a full queue or after errors
  int64_t queue_length = 0;
  int64_t alertmanagers = 0;   // currently configured
};

class Notifier {
 public:
  // Starts the sender thread. InvalidArgument for a malformed URL, a zero capacity or
  // batch size, a non-positive timeout, or TLS files that do not load.
  static absl::StatusOr<std::unique_ptr<Notifier>> Start(NotifierOptions options);
  ~Notifier();  // Stop()

  void Send(std::vector<NotifierAlert> alerts);
  // Replaces the Alertmanager list, external labels, capacity, batch size and timeout
  // (config reload); alerts already queued keep the external labels they were queued
  // with. On error (as Start) the previous configuration stays in force.
  absl::Status ApplyConfig(const NotifierOptions& options);
  NotifierStats Stats() const;
  void Stop();

 private:
  struct Impl;
  explicit Notifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::rules
