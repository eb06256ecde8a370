// RemoteSnapshot: what `tally rules lint --url` lints against. The series a set of rules
// reads are fetched from a Prometheus-compatible server (Prometheus, Tally, Thanos, Mimir,
// VictoriaMetrics) into a temporary local DB, so the linter runs exactly the analysis it
// runs on a data dir. For every distinct selector of the rules that does not read a series
// the rules themselves record, one instant query `<selector>[<range>]` at the window's end
// (POST /api/v1/query) returns the raw samples; /api/v1/metadata gives the TYPEs.
//
// Limits: each response at most 64 MiB (ResourceExhausted beyond), each request 2 minutes.
// The temporary directory is removed when the snapshot is destroyed. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rules/lint/rule_linter.h"
#include "storage/db.h"

namespace tally::rules::lint {

class RemoteSnapshot {
 public:
  ~RemoteSnapshot();
  storage::DB* db() { return db_.get(); }
  // The window's end the data was fetched for (LintOptions::time_ms, or the fetch time).
  int64_t end_ms() const { return end_ms_; }
  int64_t series() const { return series_; }
  int64_t samples() const { return samples_; }

  // `url`: the server's base URL (http://host:port[/prefix]). Errors: InvalidArgument for a
  // bad URL or an error answer of the server (with its errorType and error), Unavailable or
  // DeadlineExceeded for transport failures, Internal for a temp-dir/DB failure.
  static absl::StatusOr<std::unique_ptr<RemoteSnapshot>> Fetch(const std::string& url,
                                                               const std::vector<LintFile>& files,
                                                               const LintOptions& options);

 private:
  RemoteSnapshot() = default;
  std::string dir_;
  std::unique_ptr<storage::DB> db_;
  int64_t end_ms_ = 0;
  int64_t series_ = 0;
  int64_t samples_ = 0;
};

}  // namespace tally::rules::lint
