// Test helpers for storage: a self-deleting temporary directory, DB options pointing into
// one, and small conveniences to append and read back samples. Test-only; not thread-safe
// except where noted.
#pragma once

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "storage/db.h"

namespace tally::testutil {

// A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path()/name (not created).
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Options for a DB under `dir` with the background retention thread off (tests call
// ApplyRetention explicitly).
storage::DBOptions TestOptions(const std::string& dir);

// Builds matchers, aborting the test on a bad regex: {{"=", "a", "b"}, {"=~", "c", "d.*"}}.
using MatcherSpec = std::tuple<std::string, std::string, std::string>;  // op, name, value
storage::Matchers MakeMatchers(const std::vector<MatcherSpec>& specs);

// All samples of every series matching `matchers` in [mint, maxt], keyed by labels string.
std::vector<std::pair<std::string, std::vector<storage::Sample>>> QueryAll(
    storage::DB* db, const storage::Matchers& matchers, int64_t mint = storage::kMinTime,
    int64_t maxt = storage::kMaxTime);

// Sum of file sizes under `path`.
int64_t DirBytes(const std::string& path);
// What --storage.tsdb.retention.size counts in a store at `path`: RocksDB's table files,
// logs and manifest (not its fixed OPTIONS/LOG files, not sub-folders).
int64_t StoreDataBytes(const std::string& path);

}  // namespace tally::testutil
