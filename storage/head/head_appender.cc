#include "storage/head/head_appender.h"

#include "absl/strings/str_cat.h"
#include "storage/util/status_macros.h"

namespace tally::storage::head {

// Both overloads resolve the series here, in the appender's thread, so the commit leader
// (which runs serially) can use the pointer instead of another map lookup.

absl::StatusOr<SeriesRef> HeadAppender::Append(const Labels& labels, int64_t t_ms, double v) {
  MaybeStartBatch();
  ASSIGN_OR_RETURN(DBImpl::SeriesHandle h, db_->GetOrCreateSeriesHandle(labels));
  samples_.push_back(PendingSample{h.ref, h.series, t_ms, v});
  return h.ref;
}

absl::StatusOr<SeriesRef> HeadAppender::AppendEncoded(absl::string_view labels_enc,
                                                      int64_t t_ms, double v) {
  MaybeStartBatch();
  ASSIGN_OR_RETURN(DBImpl::SeriesHandle h, db_->GetOrCreateSeriesHandleEncoded(labels_enc));
  samples_.push_back(PendingSample{h.ref, h.series, t_ms, v});
  return h.ref;
}

absl::Status HeadAppender::Append(SeriesRef ref, int64_t t_ms, double v) {
  MaybeStartBatch();
  MemSeries* s = db_->head().Find(ref);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("unknown series ref ", ref));
  samples_.push_back(PendingSample{ref, s, t_ms, v});
  return absl::OkStatus();
}

absl::StatusOr<CommitResult> HeadAppender::Commit() {
  absl::StatusOr<CommitResult> r = db_->CommitSamples(samples_, removal_epoch_);
  samples_.clear();
  return r;
}

}  // namespace tally::storage::head
