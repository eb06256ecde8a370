// RemoteWriteQueue: the sender of one remote_write endpoint. A thread reads the durable
// ForwardLog from this endpoint's persisted position in rounds, and sends each round with the
// remote-write 1.0 protocol (snappy-compressed protobuf WriteRequest, as Prometheus 2.42 sends
// it) over `shards` parallel requests; the position is persisted only after every request of
// the round succeeded or was dropped, so a restart resends at most the round in flight.
//
// Sharding: a round reads up to max_shards * max_samples_per_send samples; it uses
// ceil(samples / max_samples_per_send) shards, clamped to [min_shards, max_shards], so the
// shard count follows the backlog (1 when keeping up, max_shards while catching up). A
// series always goes to the same shard within a round and rounds run one after another, so
// each series' samples arrive in order. A round waits up to batch_send_deadline for
// max_samples_per_send samples before sending what it has.
//
// Errors (Prometheus compat: storage/remote/client.go): connection errors, 5xx, and 429 with
// retry_on_http_429 are retried forever with exponential backoff from min_backoff to
// max_backoff (a Retry-After header in seconds, when sent, is waited instead); other
// responses >= 300 drop the request's samples, counted in samples_failed_total. Nothing is
// dropped because the remote is slow or down: the backlog waits on disk (ForwardLog bounds).
//
// write_relabel_configs (server/scrape/relabel.h, the scrape loop's relabeler) are applied
// to each series once per round before sharding: a series they drop is not sent and its
// samples count in samples_dropped_total (as Prometheus counts relabel drops there); a
// series they rewrite is sent under the new labels.
//
// Metadata: every metadata_config.send_interval the DB's metric metadata is sent in
// metadata-only WriteRequests of at most metadata_config.max_samples_per_send entries.
//
// Thread-safety: Start/Stop from one controlling thread; Render from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "rules/client/http_client.h"
#include "server/config/config.h"
#include "server/remote/forward_log.h"
#include "server/scrape/relabel.h"
#include "storage/db.h"

namespace tally::server::remote {

// Counters of one endpoint (prometheus_remote_storage_* families).
struct RemoteWriteStats {
  std::atomic<int64_t> samples_sent{0};
  std::atomic<int64_t> samples_failed{0};
  std::atomic<int64_t> samples_retried{0};
  std::atomic<int64_t> bytes_sent{0};
  std::atomic<int64_t> metadata_sent{0};
  std::atomic<int64_t> metadata_failed{0};
  std::atomic<int64_t> metadata_bytes{0};
  std::atomic<int64_t> requests_failed{0};  // attempts that were retried or dropped
  std::atomic<int64_t> shards{1};
  std::atomic<int64_t> shards_desired{1};
  std::atomic<int64_t> highest_sent_ms{0};
  std::atomic<int64_t> pending{0};
  std::atomic<int64_t> relabel_dropped{0};  // samples of series write relabeling dropped
};

class RemoteWriteQueue {
 public:
  // `id` names the queue's position in the log (remote_name label); `db` serves metadata.
  // REQUIRES: log and db outlive the queue.
  RemoteWriteQueue(std::string id, config::RemoteWriteConfig cfg, ForwardLog* log,
                   storage::DB* db);
  ~RemoteWriteQueue();

  // Opens the reader (resuming at its persisted position) and starts the thread.
  absl::Status Start();
  // Finishes the round in flight if its requests succeed; abandons it on the first failure
  // (the round is resent after restart). Idempotent.
  void Stop();

  const std::string& id() const { return id_; }
  const config::RemoteWriteConfig& config() const { return cfg_; }
  const RemoteWriteStats& stats() const { return stats_; }
  // The value of this endpoint's sample of a prometheus_remote_storage_* family (full
  // name, e.g. "prometheus_remote_storage_samples_total"); 0 for an unknown name.
  double Value(absl::string_view family) const;
  // Lost to the queue's overflow policy or dropped by write_relabel_configs.
  int64_t dropped_samples() const;

 private:
  enum class SendResult { kOk, kDropped, kAbandoned };
  void Run();
  // One round: samples of `batch` split over shards; true when all were delivered or dropped.
  bool SendRound(const ForwardBatch& batch);
  // Sends one snappy-compressed WriteRequest, retrying recoverable errors.
  SendResult Send(const std::string& body, int64_t samples, bool metadata);
  void SendMetadata();

  const std::string id_;
  const config::RemoteWriteConfig cfg_;
  ForwardLog* const log_;
  storage::DB* const db_;
  rules::HttpClient client_;
  std::vector<std::pair<std::string, std::string>> headers_;
  scrape::Relabeler relabel_;  // write_relabel_configs (validated when the config loaded)
  std::unique_ptr<ForwardLog::Reader> reader_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> last_retry_log_ms_{0};
  RemoteWriteStats stats_;
};

}  // namespace tally::server::remote
