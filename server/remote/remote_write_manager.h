// RemoteWriteManager: remote_write of the config. Owns the durable ForwardLog (installed as
// the DB's CommitListener while at least one endpoint is configured) and one
// RemoteWriteQueue per endpoint; renders the prometheus_remote_storage_* families.
//
// What is forwarded: every sample the DB stores while the manager runs, whatever wrote it
// (scrapes, the remote-write receiver, recording rules): what
// enters the write-ahead log, as Prometheus forwards what enters its WAL. Rejected samples
// are not. `tally backfill` writes a stopped server's data dir directly, so backfilled
// history is not forwarded (backfill the remote separately).
//
// Endpoints are identified by `name`, or by a hash of the URL when unnamed (remote_name
// label). A reload keeps unchanged endpoints running, restarts changed ones (which resume at
// their persisted position) and forgets removed ones. A new endpoint starts at the current
// end of the log: it does not receive older history.
//
// Thread-safety: ApplyConfig/Stop from one controlling thread; RenderMetrics from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/config/config.h"
#include "server/remote/forward_log.h"
#include "server/remote/remote_write_queue.h"
#include "storage/db.h"

namespace tally::server::remote {

class RemoteWriteManager {
 public:
  // `log_options.dir` is where the queue lives (serve: <storage.tsdb.path>/remote_write).
  // REQUIRES: db outlives the manager.
  RemoteWriteManager(storage::DB* db, ForwardLogOptions log_options);
  ~RemoteWriteManager();

  // Starts, restarts and stops endpoints to match cfg.remote_write. Errors: the queue dir
  // cannot be created or opened (Unavailable/PermissionDenied).
  absl::Status ApplyConfig(const config::Config& cfg);
  // Detaches from the DB and stops every endpoint (a round in flight completes if its
  // requests succeed). Idempotent.
  void Stop();
  void RenderMetrics(std::string* out) const;

  // remote_name of an endpoint: its name, or the first 6 hex digits of a hash of its URL.
  static std::string EndpointId(const config::RemoteWriteConfig& c);

 private:
  storage::DB* const db_;
  const ForwardLogOptions log_options_;
  mutable absl::Mutex mu_;
  std::unique_ptr<ForwardLog> log_ ABSL_GUARDED_BY(mu_);
  bool listening_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::unique_ptr<RemoteWriteQueue>> queues_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tally::server::remote
