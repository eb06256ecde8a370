#include "storage/head/head_appender.h"

#include "absl/strings/str_cat.h"
#include "storage/util/status_macros.h"

namespace tally::storage::head {

absl::StatusOr<SeriesRef> HeadAppender::Append(const Labels& labels, int64_t t_ms, double v) {
  ASSIGN_OR_RETURN(SeriesRef ref, db_->GetOrCreateSeries(labels));
  samples_.push_back(PendingSample{ref, t_ms, v});
  return ref;
}

absl::Status HeadAppender::Append(SeriesRef ref, int64_t t_ms, double v) {
  // Refs are never reused, so any ref below the next one to be assigned was valid once; a
  // series that retention removed since is rejected at Commit ("too old"). This keeps the
  // hot path free of a map lookup.
  if (ref == kInvalidSeriesRef || ref >= db_->NextSeriesRef()) {
    return absl::NotFoundError(absl::StrCat("unknown series ref ", ref));
  }
  samples_.push_back(PendingSample{ref, t_ms, v});
  return absl::OkStatus();
}

absl::StatusOr<CommitResult> HeadAppender::Commit() {
  absl::StatusOr<CommitResult> r = db_->CommitSamples(samples_);
  samples_.clear();
  return r;
}

}  // namespace tally::storage::head
