// HeadAppender: the Appender behind DB::NewAppender. Append() resolves (or creates) the
// series in the head's striped map and buffers (ref, t, v); Commit() hands the buffer to
// DBImpl::CommitSamples (group commit, WAL, head apply) and clears it; Rollback() and the
// destructor drop it. A series created by Append() stays in the head even after a rollback
// (it has no samples, so queries never return it, and it is only persisted once a commit
// carries a sample of it).
//
// Thread-safety: one thread at a time per appender; any number of appenders may run
// concurrently.
#pragma once

#include <vector>

#include "storage/db.h"
#include "storage/db_impl.h"

namespace tally::storage::head {

class HeadAppender : public Appender {
 public:
  explicit HeadAppender(DBImpl* db) : db_(db) {}

  absl::StatusOr<SeriesRef> Append(const Labels& labels, int64_t t_ms, double v) override;
  absl::Status Append(SeriesRef ref, int64_t t_ms, double v) override;
  absl::StatusOr<SeriesRef> AppendEncoded(absl::string_view labels_enc, int64_t t_ms,
                                          double v) override;
  absl::StatusOr<CommitResult> Commit() override;
  void Rollback() override { samples_.clear(); }

 private:
  // Starts a batch: remembers Head::removals() before the first pointer lookup.
  void MaybeStartBatch() {
    if (samples_.empty()) removal_epoch_ = db_->head().removals();
  }

 public:

 private:
  DBImpl* db_;
  std::vector<PendingSample> samples_;
  uint64_t removal_epoch_ = 0;
};

}  // namespace tally::storage::head
