// OverlayDB: a read-only storage::DB view that adds in-memory series on top of another DB,
// so the linter can judge a rule that reads a recorded series on what its recording rule
// would produce, without writing to the user's data dir (which may be held by a running
// server, or be a throwaway copy of a remote store).
//
// Recorded series are added per metric name with Record(); once a name is recorded, the
// base DB's series of that name are hidden (the linter judges the rule file, not whatever
// an older version of the rule once stored). Everything else reads through to the base.
//
// Ownership: the base DB must outlive the overlay. Thread-safety: Record() must not run
// concurrently with readers; queries (NewQuerier/Select/Samples) may run concurrently with
// each other, as the engine does.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "storage/db.h"

namespace tally::rules::lint {

struct OverlaySeries {
  storage::Labels labels;
  std::vector<storage::Sample> samples;  // ascending t_ms
};

class OverlayDB : public storage::DB {
 public:
  explicit OverlayDB(storage::DB* base) : base_(base) {}

  // Adds overlay series named `metric_name` (every element's labels must carry it; several
  // rules may record the same name) and hides the base DB's series of that name.
  void Record(const std::string& metric_name, std::vector<OverlaySeries> series);
  bool IsRecorded(const std::string& metric_name) const { return recorded_.count(metric_name) > 0; }

  // Appends fail (FailedPrecondition): the overlay is filled only through Record().
  std::unique_ptr<storage::Appender> NewAppender() override;
  std::unique_ptr<storage::Querier> NewQuerier(int64_t mint_ms, int64_t maxt_ms) override;
  absl::Status SetMetadata(absl::string_view, const storage::MetricMetadata&) override;
  absl::StatusOr<std::vector<std::pair<std::string, storage::MetricMetadata>>> Metadata() override {
    return base_->Metadata();
  }
  absl::Status ApplyRetention(int64_t) override { return absl::OkStatus(); }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::StatusOr<storage::DBStats> Stats(int top_label_names) override {
    return base_->Stats(top_label_names);
  }

 private:
  storage::DB* base_;
  std::map<std::string, std::vector<OverlaySeries>> recorded_;
};

}  // namespace tally::rules::lint
