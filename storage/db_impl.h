// DBImpl: the DB facade's implementation. It owns the lock file, the RocksStore, the Head
// and the background retention thread, and runs the commit pipeline:
//
//   Appender::Commit -> queue -> the writer at the front becomes leader, takes the whole
//   queue as one group (LevelDB DBImpl::Write style group commit), validates every sample
//   against the head (rejects are counted), writes new series + one WAL record in one
//   RocksDB WriteBatch (fsynced if sync_commits), then applies the samples to the head.
//   Chunks that sealed while applying are written (chunk + series state, one batch) before
//   the group is acknowledged; the WAL is truncated below the oldest unsealed sample from
//   time to time.
//
// Isolation (docs/storage.md): each group that applies samples gets the next commit id and
// is published (published_commit()) only after all its samples are in the head, before any
// writer of the group is acknowledged. A Querier registers at creation (OpenRead) and sees
// exactly the commits <= the id published then: MemSeries keeps, per series, the last_t
// before each commit an open Querier may not see (mem_series.h), and the read path clamps
// in-order samples to it. The oldest open Querier's id (the low watermark) lets the leader
// drop marks nobody needs, so the per-series cost stays one compare per sample.
//
// Thread-safety: everything public is thread-safe. Lock order: queue_mu_ -> (released)
// -> apply_mu_ -> head stripe locks -> MemSeries::mu; iso_mu_ is a leaf; retention_mu_ (one
// retention pass at a time) -> apply_mu_, which a pass takes only for bounded slices of its
// deletions.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/synchronization/mutex.h"
#include "storage/db.h"
#include "storage/head/head.h"
#include "storage/head/wal_record.h"
#include "storage/index/mem_postings.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/rocksdb_store.h"

namespace tally::storage {

struct PendingSample {
  SeriesRef ref;
  head::MemSeries* series;  // resolved at Append; only dereferenced if no removal since
  int64_t t_ms;
  double v;
};

// What the query path needs from the DB; stable for the DB's life.
struct ReadContext {
  const head::Head* head;
  kv::RocksStore* store;
  int64_t max_chunk_span_ms;  // no persisted chunk spans more (bounds the seek-back)
  int64_t bucket_ms;          // chunk keys' time bucket width (key_codec.h)
  const index::MemPostings* postings;  // every persisted series
  // Incremented (release) after each chunk write completes and before the written chunks
  // leave the head: a reader that reads the head and then finds this unchanged since it
  // created a RocksDB iterator knows the iterator sees every chunk the head no longer has.
  const std::atomic<uint64_t>* chunk_writes;
};

class DBImpl : public DB {
 public:
  static absl::StatusOr<std::unique_ptr<DBImpl>> OpenImpl(const DBOptions& options);
  // DBOptions::read_only: no lock, no writes, no background thread.
  static absl::StatusOr<std::unique_ptr<DBImpl>> OpenReadOnly(const DBOptions& options);
  ~DBImpl() override;

  std::unique_ptr<Appender> NewAppender() override;
  std::unique_ptr<Querier> NewQuerier(int64_t mint_ms, int64_t maxt_ms) override;
  absl::Status SetMetadata(absl::string_view metric, const MetricMetadata& md) override;
  absl::StatusOr<std::vector<std::pair<std::string, MetricMetadata>>> Metadata() override;
  absl::Status ApplyRetention(int64_t now_ms) override;
  absl::Status Flush() override;
  absl::Status Snapshot(const std::string& dir, bool with_head) override;  // db_admin.cc
  absl::Status DeleteSeries(const Matchers& matchers, int64_t mint_ms,
                            int64_t maxt_ms) override;  // db_admin.cc
  absl::StatusOr<DBStats> Stats(int top_label_names) override;
  absl::StatusOr<ChunkUsage> PersistedChunkUsage() override;
  WriteHealth GetWriteHealth() const override;
  void SetCommitListener(CommitListener* l) override;

  // For HeadAppender.
  absl::StatusOr<SeriesRef> GetOrCreateSeries(const Labels& labels);
  bool SeriesExists(SeriesRef ref) const { return head_.Exists(ref); }
  // Commits the samples as one transaction (see the pipeline above). `removal_epoch` is
  // head().removals() read before the first sample's series pointer was looked up: if a
  // series was removed since, the leader re-resolves every ref instead of trusting pointers.
  absl::StatusOr<CommitResult> CommitSamples(const std::vector<PendingSample>& samples,
                                             uint64_t removal_epoch);
  // For the appender's Append(labels): the ref and an epoch-guarded pointer (see
  // Head::FindByLabels).
  struct SeriesHandle {
    head::MemSeries* series;
    SeriesRef ref;
  };
  absl::StatusOr<SeriesHandle> GetOrCreateSeriesHandle(const Labels& labels);
  // The same for a label set in kv::EncodeLabels form (Appender::AppendEncoded): a known
  // series costs one hash and one byte comparison, nothing is allocated.
  absl::StatusOr<SeriesHandle> GetOrCreateSeriesHandleEncoded(absl::string_view labels_enc);
  const head::Head& head() const { return head_; }

  const ReadContext& read_context() const { return read_ctx_; }

  // Isolation: registers a reader and returns the newest published commit id, the bound of
  // what it may see. Every OpenRead must be paired with one CloseRead(bound).
  uint64_t OpenRead();
  void CloseRead(uint64_t bound);
  uint64_t published_commit() const;
  // Test hook: called by the commit leader once per group, right after the group's first
  // sample was applied to the head (the rest not yet), with the apply mutex held. The hook
  // may create and read Queriers; it must not append. Null to clear.
  void SetApplyHookForTesting(std::function<void()> hook);
  int64_t min_time() const { return min_time_.load(std::memory_order_relaxed); }
  int64_t max_time() const { return max_time_.load(std::memory_order_relaxed); }

 private:
  struct Writer {
    const std::vector<PendingSample>* samples;
    uint64_t removal_epoch;
    CommitResult result;
    absl::Status status;
    bool done = false;
  };
  // Where each sample of a group went.
  enum class Verdict : uint8_t {
    kInOrder, kOoo, kNoop, kOutOfOrder, kDuplicate, kTooOld, kTooFarInFuture
  };

  explicit DBImpl(const DBOptions& options);
  absl::Status Init();  // meta checks, load series/state, replay
  // FailedPrecondition when opened read-only; every write entry point checks it first.
  absl::Status CheckWritable() const;
  absl::Status LoadSeries();
  absl::Status Replay();
  // Format 1 -> 2 (db_migrate.cc): sets every series' disk bounds from one scan of the
  // chunks (format-1 states lack them); when writable, rewrites the states, empties the
  // postings family and records version 2. Idempotent, so a crash midway is harmless.
  absl::Status ComputeDiskBoundsByScan();
  absl::Status FinishMigration() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Rewrites format-1/2 chunk keys (ref-first) as bucketed keys and rebuilds buckets_.
  absl::Status MigrateChunkKeys() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  absl::Status LoadBucketStats() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Retention by whole buckets (db_retention.cc): drops every bucket before `end` with one
  // range deletion, fixes the bounds of the series that had chunks there, removes series
  // left without data. Returns the samples dropped.
  absl::StatusOr<int64_t> DropBucketsBefore(int64_t end) ABSL_LOCKS_EXCLUDED(apply_mu_);
  // The first bucket to keep: every older bucket is wholly before `cutoff_ms` (time) or
  // must go for the size limit.
  int64_t DropBoundary(int64_t cutoff_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Sum of file sizes under the data dir.
  int64_t DirBytes() const;   // every file under the data dir (Stats' bytes_on_disk)
  int64_t DataBytes() const;  // what retention.size limits (db_retention.cc)

  void ProcessGroup(const std::vector<Writer*>& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Passes the group's stored samples to commit_listener_ (set).
  void NotifyCommitListener(const std::vector<Writer*>& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  Verdict Validate(head::MemSeries* s, int64_t t, uint64_t v_bits, int64_t min_valid_t,
                   int64_t max_valid_t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // The wall clock (DBOptions::clock_ms or the system clock), ms since the epoch.
  int64_t NowMs() const;
  // Samples before this are too old: min(newest sample, now_ms) - retention.
  int64_t MinValidTime(int64_t now_ms) const;
  // Applies one accepted sample at WAL position (seq, index), marked with applying_commit_.
  void ApplySample(head::MemSeries* s, int64_t t, uint64_t v_bits, bool ooo, uint64_t seq,
                   uint32_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  void SealOpenChunk(head::MemSeries* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_, s->mu);
  void SealOoo(head::MemSeries* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_, s->mu);
  // Writes chunks sealed since the last call, then drops them from memory.
  absl::Status WriteSealed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Deletes WAL records below the oldest sample not yet in a sealed chunk.
  absl::Status TruncateWal() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  void NoteTime(int64_t t);
  // The oldest commit bound of any open reader (published_ when none).
  uint64_t LowWatermark() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Sets min_time() to the oldest sample in chunks or the head (one seek per series).
  void RecomputeMinTime();
  // DeleteSeries' rewrite of the chunks of `refs` (db_admin.cc); takes apply_mu_.
  absl::Status DeleteLocked(const std::vector<SeriesRef>& refs, int64_t mint_ms, int64_t maxt_ms);
  // Persisted chunk/sample totals, kept in meta "stats" so Stats() needs no scan.
  absl::Status LoadDiskTotals();
  std::string EncodeDiskTotals(int64_t chunks, int64_t samples) const;
  void BackgroundLoop();

  const DBOptions options_;
  int lock_fd_ = -1;
  std::unique_ptr<kv::RocksStore> store_;
  head::Head head_;
  index::MemPostings postings_;
  std::atomic<uint64_t> chunk_writes_{0};
  uint32_t stored_version_ = 0;  // format version found on open
  int64_t bucket_ms_ = 0;        // chunk time bucket width, fixed per dir
  // Totals per chunk time bucket (persisted in meta); retention drops whole buckets.
  absl::btree_map<int64_t, kv::BucketStats> buckets_ ABSL_GUARDED_BY(apply_mu_);
  ReadContext read_ctx_{};

  absl::Mutex queue_mu_;
  absl::CondVar queue_cv_;
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(queue_mu_);

  absl::Mutex apply_mu_;
  uint64_t seq_ ABSL_GUARDED_BY(apply_mu_) = 0;         // last WAL record written
  uint64_t epoch_ ABSL_GUARDED_BY(apply_mu_) = 0;       // commit groups processed
  uint64_t chunk_id_ ABSL_GUARDED_BY(apply_mu_) = 0;    // last chunk id used
  int64_t last_truncate_ms_ ABSL_GUARDED_BY(apply_mu_) = 0;
  uint64_t wal_truncated_below_ ABSL_GUARDED_BY(apply_mu_) = 0;
  std::vector<head::MemSeries*> sealed_ ABSL_GUARDED_BY(apply_mu_);  // series with sealing chunks
  head::WalWriter wal_writer_ ABSL_GUARDED_BY(apply_mu_);
  std::vector<Verdict> verdicts_ ABSL_GUARDED_BY(apply_mu_);
  std::vector<head::MemSeries*> resolved_ ABSL_GUARDED_BY(apply_mu_);
  uint64_t last_commit_ ABSL_GUARDED_BY(apply_mu_) = 0;      // last commit id handed out
  uint64_t applying_commit_ ABSL_GUARDED_BY(apply_mu_) = 0;  // 0 outside a group (replay)
  uint64_t iso_low_ ABSL_GUARDED_BY(apply_mu_) = 0;          // low watermark for this group
  std::function<void()> apply_hook_ ABSL_GUARDED_BY(apply_mu_);
  CommitListener* commit_listener_ ABSL_GUARDED_BY(apply_mu_) = nullptr;
  std::vector<CommittedSample> committed_ ABSL_GUARDED_BY(apply_mu_);  // reused buffer

  mutable absl::Mutex iso_mu_;
  uint64_t published_ ABSL_GUARDED_BY(iso_mu_) = 0;
  std::map<uint64_t, int> open_reads_ ABSL_GUARDED_BY(iso_mu_);  // bound -> open readers

  std::atomic<int64_t> min_time_{kMaxTime};
  std::atomic<int64_t> max_time_{kMinTime};
  std::atomic<int64_t> rejected_ooo_{0}, rejected_dup_{0}, rejected_too_old_{0};
  std::atomic<int64_t> rejected_future_{0};
  // Written only under apply_mu_; read lock-free by Stats().
  std::atomic<int64_t> disk_chunks_{0}, disk_samples_{0};

  absl::Mutex retention_mu_ ABSL_ACQUIRED_BEFORE(apply_mu_);  // serialises retention passes

  absl::Mutex bg_mu_;
  bool stop_ ABSL_GUARDED_BY(bg_mu_) = false;
  std::thread bg_thread_;
};

}  // namespace tally::storage
