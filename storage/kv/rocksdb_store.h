// RocksStore: Tally's only contact with RocksDB. It owns one RocksDB instance with the column
// families listed in key_codec.h and exposes just what the engine needs: atomic write
// batches (optionally fsynced), point reads, prefix/range iterators, range deletes and
// compaction. RocksDB's own write-ahead log is always on: a Write() that returns OK with
// sync=true is on stable storage; with sync=false it is in the OS page cache (survives a
// process kill, not a power loss). RocksDB recovers a prefix of its log, so if a later
// write survived a crash every earlier write did too (the engine relies on this).
//
// Thread-safety: all methods are thread-safe. A KvIterator and a KvBatch are used by one
// thread at a time; an iterator must not outlive its store. Errors map to absl codes:
// Corruption -> DataLoss, IOError -> Unavailable, others -> Internal.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Iterator;
class WriteBatch;
}  // namespace rocksdb

namespace tally::storage::kv {

enum class Cf : int { kMeta = 0, kSeries, kState, kPostings, kChunks, kWal, kCount };
const char* CfName(Cf cf);

class RocksStore;

// A set of writes applied atomically by RocksStore::Write. Bound to the store it came from.
class KvBatch {
 public:
  explicit KvBatch(const RocksStore* store);
  ~KvBatch();
  void Put(Cf cf, absl::string_view key, absl::string_view value);
  void Delete(Cf cf, absl::string_view key);
  // Deletes [begin, end).
  void DeleteRange(Cf cf, absl::string_view begin, absl::string_view end);
  size_t Count() const;
  size_t ByteSize() const;
  void Clear();

 private:
  friend class RocksStore;
  const RocksStore* store_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
};

class KvIterator {
 public:
  ~KvIterator();
  void Seek(absl::string_view key);
  void SeekToFirst();
  void SeekToLast();
  void SeekForPrev(absl::string_view key);
  bool Valid() const;
  void Next();
  void Prev();
  absl::string_view key() const;
  absl::string_view value() const;
  absl::Status status() const;

 private:
  friend class RocksStore;
  explicit KvIterator(std::unique_ptr<rocksdb::Iterator> it, std::string upper_bound);
  std::string upper_bound_;  // must outlive the iterator's ReadOptions
  std::unique_ptr<rocksdb::Iterator> it_;
};

struct StoreOptions {
  std::string path;
  bool create_if_missing = true;
  bool read_only = false;  // rocksdb::DB::OpenForReadOnly: no writes, no log, no lock
};

class RocksStore {
 public:
  // Opens the RocksDB at options.path. When the directory holds a RocksDB whose column
  // families are not Tally's, returns InvalidArgument (foreign data, not touched).
  // Corruption -> DataLoss.
  static absl::StatusOr<std::unique_ptr<RocksStore>> Open(const StoreOptions& options);
  // True if `path` looks like a RocksDB directory (has a CURRENT file).
  static bool LooksLikeRocksDb(const std::string& path);
  ~RocksStore();

  absl::Status Write(KvBatch* batch, bool sync);
  // NotFound if absent.
  absl::StatusOr<std::string> Get(Cf cf, absl::string_view key);
  // An iterator over `cf` in total key order; when upper_bound is non-empty, keys >=
  // upper_bound are hidden (lets RocksDB stop early on prefix scans).
  std::unique_ptr<KvIterator> NewIterator(Cf cf, absl::string_view upper_bound = {});
  // An iterator that, after each Seek(k), only shows keys sharing k's prefix as the family's
  // prefix extractor defines it (kChunkPrefixBytes for the chunks family: time bucket and
  // series ref), and is invalid after the last of them. Files whose prefix Bloom filter
  // rules the prefix out are skipped without reading a block. For families without an
  // extractor it is NewIterator(cf). `k` must be at least the prefix's length.
  std::unique_ptr<KvIterator> NewPrefixIterator(Cf cf);
  // An iterator for one pass over a whole family (loading it on open): reads ahead and
  // leaves the block cache alone (the blocks are not read again).
  std::unique_ptr<KvIterator> NewScanIterator(Cf cf);
  // RocksDB's estimate of the number of keys in `cf` (0 if unknown); for sizing buffers.
  uint64_t EstimateNumKeys(Cf cf);
  // Compacts [begin, end) of `cf` (empty = unbounded) down to the bottom level so that
  // deleted data really leaves the disk.
  absl::Status CompactRange(Cf cf, absl::string_view begin, absl::string_view end);
  // Frees the disk space of [begin, end) of `cf`, REQUIRES: every key there is deleted
  // (covered by a range tombstone already flushed) and no write into it runs concurrently.
  // Drops the SST files wholly inside the range, then compacts the range.
  absl::Status DropDeleted(Cf cf, absl::string_view begin, absl::string_view end);
  // Flushes memtables of all column families to SST files.
  absl::Status FlushMemtables();
  // A consistent point-in-time copy of every column family in `dir` (RocksDB Checkpoint:
  // hard links to the SST files, a copy of the rest). `dir` must not exist; its parent must.
  // The copy opens as a RocksStore (and so as a Tally data dir) of its own.
  absl::Status CreateCheckpoint(const std::string& dir);

  // Whether writes currently succeed. After a write or background error (a full disk:
  // ENOSPC) RocksDB stops accepting writes and the store is read-only: Write() fails with
  // Unavailable, reads work. It recovers by itself once the cause is gone: RocksDB's
  // SstFileManager polls free space and resumes, and while unhealthy Write() also asks
  // RocksDB to resume (at most once per second). `reason` is RocksDB's error text.
  struct Health {
    bool writable = true;
    std::string reason;
  };
  Health health() const;

 private:
  friend class KvBatch;
  friend class HealthListener;
  RocksStore() = default;
  void SetUnhealthy(absl::string_view reason);
  void SetHealthy();
  rocksdb::ColumnFamilyHandle* handle(Cf cf) const { return handles_[static_cast<int>(cf)]; }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  std::atomic<bool> unhealthy_{false};  // fast path for Write() and health()
  mutable absl::Mutex health_mu_;
  std::string unhealthy_reason_ ABSL_GUARDED_BY(health_mu_);
  absl::Time last_resume_ ABSL_GUARDED_BY(health_mu_) = absl::InfinitePast();
};

// Maps a RocksDB status message/code to absl (exposed for tests).
absl::Status FromRocks(int code, absl::string_view msg, absl::string_view context);

}  // namespace tally::storage::kv
