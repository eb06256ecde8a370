// FakeDB: an in-memory storage::DB for server unit tests, so the HTTP layer is tested
// independently of the storage engine. Thread-safe (one mutex). Semantics follow db.h:
// per-series time order (older-than-newest samples are rejected as out of order, same
// timestamp + different value as duplicate), Select sorted by labels and restricted to
// series with samples in range. Optionally fails every Commit (for 5xx paths).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/db.h"

namespace tally::testing {

class FakeDB : public storage::DB {
 public:
  std::unique_ptr<storage::Appender> NewAppender() override;
  std::unique_ptr<storage::Querier> NewQuerier(int64_t mint_ms, int64_t maxt_ms) override;
  absl::Status SetMetadata(absl::string_view metric, const storage::MetricMetadata& md) override;
  absl::StatusOr<std::vector<std::pair<std::string, storage::MetricMetadata>>> Metadata() override;
  absl::Status ApplyRetention(int64_t) override { return absl::OkStatus(); }
  absl::Status Flush() override {
    ++flushes;
    return absl::OkStatus();
  }
  absl::StatusOr<storage::DBStats> Stats(int top_label_names) override;

  // Test conveniences.
  void Add(const storage::Labels& l, int64_t t_ms, double v);
  int64_t NumSamples();
  absl::Status fail_commits = absl::OkStatus();
  int flushes = 0;

  std::mutex mu;
  std::map<storage::Labels, std::vector<storage::Sample>> data;
  std::map<std::string, storage::MetricMetadata> metadata;
};

}  // namespace tally::testing
