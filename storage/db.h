// DB: the storage facade. One DB owns one data dir (a RocksDB instance plus a lock file);
// it hands out Appenders (write transactions) and Queriers (read views). All methods are
// thread-safe; many Appenders and Queriers may be used concurrently from different threads,
// but one Appender or Querier object is used by one thread at a time.
//
//   ASSIGN_OR_RETURN(auto db, DB::Open(options));
//   auto app = db->NewAppender();
//   RETURN_IF_ERROR(app->Append(labels, t_ms, v).status());
//   ASSIGN_OR_RETURN(CommitResult r, app->Commit());   // durable once this returns
//   auto q = db->NewQuerier(mint, maxt);
//   ASSIGN_OR_RETURN(std::vector<Series> set, q->Select(matchers));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/commit_listener.h"
#include "storage/model/labels.h"
#include "storage/model/matcher.h"
#include "storage/model/sample.h"

namespace tally::storage {

struct DBOptions {
  std::string path;                                // data dir; created if missing
  int64_t retention_ms = int64_t{15} * 24 * 3600 * 1000;  // --storage.tsdb.retention.time
  // --storage.tsdb.retention.size: when the data dir holds more bytes than this, the oldest
  // chunk time buckets are dropped until it is under. 0 disables (Prometheus's default).
  int64_t retention_size_bytes = 0;
  // Width of the time buckets that key persisted chunks (retention drops whole buckets as
  // key ranges). Fixed when the dir is created; 0: derived from retention_ms (a tenth of
  // it, in whole 2 h steps, between 2 h and 24 h). Ignored for an existing dir.
  int64_t chunk_bucket_ms = 0;
  // Samples older than a series' newest sample by at most this much are accepted
  // (--storage.tsdb.out-of-order-time-window). 0 = Prometheus's default: reject.
  int64_t out_of_order_window_ms = 0;
  // A chunk seals at kTargetSamplesPerChunk samples or when it would span more than this.
  int64_t max_chunk_span_ms = int64_t{2} * 3600 * 1000;
  // fsync the write-ahead log before Commit() returns (see docs/storage.md).
  bool sync_commits = true;
  // Open an existing data dir without taking its lock and without writing anything: a view
  // of the data as of Open (samples still only in the log included), for tools such as
  // `tsdb analyze`, `tsdb dump` and `query` that must also work on a dir a running server
  // holds (as promtool's read-only TSDB does). Commits, metadata writes, retention and
  // Flush fail with FailedPrecondition; no background thread runs.
  bool read_only = false;
  // How often the background thread applies retention (relative to the newest sample in
  // the DB, as Prometheus does, but never past the wall clock). 0 disables the thread
  // (ApplyRetention still works).
  int64_t retention_check_interval_ms = int64_t{5} * 60 * 1000;
  // Samples more than this far ahead of the wall clock are rejected as too far in the
  // future (--storage.tsdb.max-future; Prometheus 2.42 has no such limit). One sample
  // stamped in year 3000 would otherwise become "the newest sample" that the too-old bound
  // is measured from. 2 h: far beyond any sane clock skew, one head-chunk span. 0 disables.
  int64_t max_future_ms = int64_t{2} * 3600 * 1000;
  // The wall clock in milliseconds since the epoch (tests inject a fake one); empty: the
  // system clock. Bounds the too-old check and retention from above, and anchors max_future_ms.
  std::function<int64_t()> clock_ms;
  // Test-only: called by a retention pass after it has scanned the store for expired data
  // and before it deletes, with no DB lock held (tests check commits proceed meanwhile).
  std::function<void()> retention_scan_hook;
};

// Why a sample was not stored; also the label of Tally's rejected-samples counter.
enum class RejectReason { kOutOfOrder, kDuplicate, kTooOld, kInvalid, kTooFarInFuture };
const char* RejectReasonString(RejectReason r);

struct CommitResult {
  int64_t appended = 0;
  int64_t rejected_out_of_order = 0;
  int64_t rejected_duplicate = 0;   // same timestamp, different value
  int64_t rejected_too_old = 0;     // older than retention
  int64_t rejected_too_far_in_future = 0;  // beyond wall clock + max_future_ms
  // First rejection, Prometheus-worded ("out of order sample", "duplicate sample for
  // timestamp", ...) with the series; empty when nothing was rejected.
  std::string first_error;
  int64_t rejected() const {
    return rejected_out_of_order + rejected_duplicate + rejected_too_old +
           rejected_too_far_in_future;
  }
};

// A write transaction. Samples are buffered until Commit(), which makes all accepted
// samples durable in one log write and then visible, all at once, to new Queriers. Rejected samples
// (out of order, duplicate) are counted in the CommitResult; the rest still land.
// An Appender destroyed without Commit() rolls back. After Commit() or Rollback() the same
// Appender starts a new transaction (and keeps its buffers).
class Appender {
 public:
  virtual ~Appender() = default;
  // Returns the series' ref, usable with the second overload for later samples.
  // InvalidArgument for an invalid label set (empty, bad UTF-8, bad label name).
  virtual absl::StatusOr<SeriesRef> Append(const Labels& labels, int64_t t_ms, double v) = 0;
  // NotFound for an unknown ref.
  virtual absl::Status Append(SeriesRef ref, int64_t t_ms, double v) = 0;
  // Append(labels, ...) for a label set given in kv::EncodeLabels form (names sorted and
  // unique, no empty values; kv::AppendEncodedLabel builds it from views), so a hot path
  // needs no Labels for series the DB already has. Same results and errors; the default
  // decodes and calls Append(labels, ...). Inline, so the ingest decoders that only call
  // the DB through this interface link without the engine (fuzz/).
  virtual absl::StatusOr<SeriesRef> AppendEncoded(absl::string_view labels_enc, int64_t t_ms,
                                                  double v) {
    Labels labels;
    if (!Labels::FromEncoded(labels_enc, &labels)) {
      return absl::InvalidArgumentError("malformed label set encoding");
    }
    return Append(labels, t_ms, v);
  }
  virtual absl::StatusOr<CommitResult> Commit() = 0;
  virtual void Rollback() = 0;
};

// One series of a query result. Valid while its Querier lives; Samples() may be called from
// several threads at once (the engine decodes series in parallel).
class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  // Appends the samples with mint_ms <= t <= maxt_ms, in time order, to *out (never
  // allocates beyond growing *out). DataLoss on a corrupt chunk.
  virtual absl::Status Samples(int64_t mint_ms, int64_t maxt_ms,
                               std::vector<Sample>* out) const = 0;
};

struct MetricMetadata {
  std::string type;  // counter, gauge, histogram, summary, unknown (Prometheus's words)
  std::string help;
  std::string unit;
  friend bool operator==(const MetricMetadata&, const MetricMetadata&) = default;
};

// A consistent read view of samples in [mint_ms, maxt_ms]. Isolation: it sees exactly the
// commits whose Commit() returned (more precisely: was published) before the Querier was
// created, each whole, for as long as it lives (docs/storage.md; out-of-order samples are
// not isolated, as in Prometheus). Must not outlive the DB.
class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all matchers, sorted by labels (storage::Compare) and having at least
  // one sample in range. InvalidArgument if ValidateSelector fails.
  virtual absl::StatusOr<std::vector<std::unique_ptr<Series>>> Select(
      const Matchers& matchers) = 0;
  // Sorted label names of series in range (matching `matchers` if any is given).
  virtual absl::StatusOr<std::vector<std::string>> LabelNames(const Matchers& matchers) = 0;
  // Sorted values of `name` (non-empty) over series in range matching `matchers`.
  virtual absl::StatusOr<std::vector<std::string>> LabelValues(absl::string_view name,
                                                               const Matchers& matchers) = 0;
};

struct LabelCardinality {
  std::string name;
  int64_t values = 0;   // distinct values
  int64_t series = 0;   // series carrying the name
};

struct DBStats {
  int64_t num_series = 0;
  int64_t head_series = 0;          // series with an open chunk
  int64_t num_samples = 0;
  int64_t num_chunks = 0;           // sealed + open
  int64_t min_time_ms = kMaxTime;   // kMaxTime/kMinTime when empty
  int64_t max_time_ms = kMinTime;
  int64_t bytes_on_disk = 0;        // all files under the data dir
  int64_t head_memory_bytes = 0;
  std::vector<LabelCardinality> label_names;   // sorted by values, descending
  int64_t rejected_out_of_order = 0;           // since Open
  int64_t rejected_duplicate = 0;
  int64_t rejected_too_old = 0;
  int64_t rejected_too_far_in_future = 0;
};

// Persisted chunks grouped one way (by metric family or by chunk encoding), for
// `tally tsdb analyze`. `bytes` counts chunk values (headers included), not RocksDB keys.
struct ChunkGroupUsage {
  std::string group;
  int64_t chunks = 0;
  int64_t samples = 0;
  int64_t bytes = 0;
};
struct ChunkUsage {
  std::vector<ChunkGroupUsage> by_metric;    // sorted by bytes, descending
  std::vector<ChunkGroupUsage> by_encoding;  // sorted by bytes, descending
};

// Whether the store accepts writes. A storage error such as a full disk turns the store
// read-only (commits fail with Unavailable, reads keep working) until it recovers by
// itself; `reason` says why ("no space left on device ...").
struct WriteHealth {
  bool writable = true;
  std::string reason;  // empty when writable
};

class DB {
 public:
  // Opens or creates the data dir. FailedPrecondition if another process holds its lock;
  // DataLoss / InvalidArgument with a clear message for a corrupt or foreign directory
  // (never overwrites one). Replays the log, so every acknowledged sample is visible.
  static absl::StatusOr<std::unique_ptr<DB>> Open(const DBOptions& options);
  virtual ~DB() = default;

  virtual std::unique_ptr<Appender> NewAppender() = 0;
  virtual std::unique_ptr<Querier> NewQuerier(int64_t mint_ms, int64_t maxt_ms) = 0;

  // Metadata per metric family name (TYPE/HELP/UNIT), persisted.
  virtual absl::Status SetMetadata(absl::string_view metric, const MetricMetadata& md) = 0;
  virtual absl::StatusOr<std::vector<std::pair<std::string, MetricMetadata>>> Metadata() = 0;

  // Deletes data older than (min(now_ms, wall clock) - retention): nothing younger than
  // the retention period relative to real time is ever deleted, whatever now_ms says.
  // Does not hold up commits while it scans; compacts when it deleted much, so the disk
  // space is freed. Runs periodically in the background too; exposed for tests and tools.
  virtual absl::Status ApplyRetention(int64_t now_ms) = 0;
  // Seals and persists all open chunks (used on shutdown; makes replay fast).
  virtual absl::Status Flush() = 0;
  virtual absl::StatusOr<DBStats> Stats(int top_label_names = 10) = 0;
  // Scans every persisted chunk (O(chunks), for tools, not for scrapes).
  virtual absl::StatusOr<ChunkUsage> PersistedChunkUsage() {
    return absl::UnimplementedError("chunk usage not available");
  }
  // Cheap (no I/O); safe to call on every request.
  virtual WriteHealth GetWriteHealth() const { return {}; }
  // Sets (nullptr: clears) the one observer of committed samples (commit_listener.h).
  // REQUIRES: `l` outlives the DB or is cleared first; clearing waits for a running call.
  virtual void SetCommitListener(CommitListener* l) {}

  // Admin operations (storage/db_admin.cc; the admin API of docs/api.md).
  // A consistent copy of the store in `dir` (must not exist; its parent must) that opens
  // as a data dir of its own. with_head=false leaves out samples not yet in a persisted
  // chunk (Prometheus's skip_head). Unimplemented unless overridden.
  virtual absl::Status Snapshot(const std::string& dir, bool with_head) {
    return absl::UnimplementedError("snapshots are not supported by this store");
  }
  // Deletes the samples with mint_ms <= t <= maxt_ms of every series matching `matchers`,
  // from the head and from persisted chunks; durable when it returns. Series keep their
  // index entries (a series with no samples left is found by no query and is removed by the
  // next retention pass). Unimplemented unless overridden.
  virtual absl::Status DeleteSeries(const Matchers& matchers, int64_t mint_ms, int64_t maxt_ms) {
    return absl::UnimplementedError("deleting series is not supported by this store");
  }
};

}  // namespace tally::storage
