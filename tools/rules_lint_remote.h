// `tally rules lint --url`: a local snapshot of the series a set of rules reads, fetched
// from a Prometheus-compatible server, so the linter runs the same analysis on it as on a
// data dir. For every selector of every rule that does not read a series the rules record,
// one instant query `<selector>[<range>]` at the window's end returns the raw samples; they
// are appended to a temporary DB, with the server's /api/v1/metadata. The snapshot's DB and
// directory are removed when it is destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rules/lint/rule_linter.h"
#include "storage/db.h"

namespace tally::tools {

class RemoteSnapshot {
 public:
  RemoteSnapshot(std::string dir, std::unique_ptr<storage::DB> db, int64_t end_ms)
      : dir_(std::move(dir)), db_(std::move(db)), end_ms_(end_ms) {}
  ~RemoteSnapshot();
  storage::DB* db() { return db_.get(); }
  int64_t end_ms() const { return end_ms_; }

 private:
  std::string dir_;
  std::unique_ptr<storage::DB> db_;
  int64_t end_ms_;
};

// Fetches the data `files` read over opts.window_ms (plus the ranges the rules look back)
// ending at opts.time_ms (now when unset). Unavailable / InvalidArgument with the server's
// error for a failed request; ResourceExhausted past 64 MiB per response.
absl::StatusOr<std::unique_ptr<RemoteSnapshot>> FetchRemoteSnapshot(
    const std::string& url, const std::vector<rules::lint::LintFile>& files,
    const rules::lint::LintOptions& opts);

}  // namespace tally::tools
