#include "storage/head/head_appender.h"

#include "absl/strings/str_cat.h"
#include "storage/util/status_macros.h"

namespace tally::storage::head {

absl::StatusOr<SeriesRef> HeadAppender::Append(const Labels& labels, int64_t t_ms, double v) {
  ASSIGN_OR_RETURN(SeriesRef ref, db_->GetOrCreateSeries(labels));
  samples_.push_back(PendingSample{ref, t_ms, v});
  last_ref_ = ref;
  return ref;
}

absl::Status HeadAppender::Append(SeriesRef ref, int64_t t_ms, double v) {
  if (ref != last_ref_ && !db_->SeriesExists(ref)) {
    return absl::NotFoundError(absl::StrCat("unknown series ref ", ref));
  }
  last_ref_ = ref;
  samples_.push_back(PendingSample{ref, t_ms, v});
  return absl::OkStatus();
}

absl::StatusOr<CommitResult> HeadAppender::Commit() {
  absl::StatusOr<CommitResult> r = db_->CommitSamples(samples_);
  samples_.clear();
  return r;
}

}  // namespace tally::storage::head
