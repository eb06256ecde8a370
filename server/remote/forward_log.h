// ForwardLog: the durable queue of remote-write-out. A storage::CommitListener that appends
// every stored sample to an on-disk segment log, and ForwardLog::Reader, one per remote-write
// endpoint, which reads it from a persisted position. Samples reach the log before the commit
// that stored them is acknowledged, so whatever Tally acknowledged is forwarded after the
// remote comes back, across Tally restarts, unless the log overflowed (below).
//
// Layout: <dir>/<seq:08d>.seg segment files, and <dir>/<reader id>.pos, the position of
// each reader (segment, byte offset), replaced atomically (write + rename).
// A segment is a sequence of records:
//   u32-LE payload length | u32-LE crc32(payload) | payload
//   payload 'S' varint(ref) varint(n) { varint(len) name varint(len) value }*n   series
//           'D' varint(n) { varint(ref) zigzag-varint(t_ms) fixed64-LE(value bits) }*n
// Each segment is self-contained: a series record precedes the first sample of that series
// in the segment, so a reader can start at any segment. The writer never appends to a
// segment of an earlier process (it opens a new one), so a torn tail after a crash is the end
// of that segment.
//
// Durability: each commit's records go to the file in one write() before the commit is
// acknowledged (a Tally crash loses nothing); fdatasync runs at most once per
// sync_interval from the commit path and when a segment is closed, so a power loss can lose
// the last sync_interval of forwarding. Samples committed to the DB just before a crash but
// not yet written here are the remaining window (microseconds).
//
// Bounds: a segment closes at segment_bytes. Segments every reader has passed are deleted.
// Overflow policy: when the segments exceed max_bytes, the oldest are deleted even if a
// reader has not sent them (the remote has been down too long); their samples are counted in
// dropped_samples() and the reader continues at the oldest remaining segment.
//
// Thread-safety: OnCommit is called by the DB's commit leader; Readers run on their own
// threads (one thread per Reader); everything else may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/commit_listener.h"

namespace tally::server::remote {

struct ForwardLogOptions {
  std::string dir;
  int64_t segment_bytes = 64 << 20;
  // Overflow bound of all segments together (see the header comment). A sample takes ~17
  // bytes, so 4 GiB hold ~250M samples: about 40 minutes of outage at 100k samples/s.
  int64_t max_bytes = int64_t{4} << 30;
  absl::Duration sync_interval = absl::Seconds(1);
};

struct LogPosition {
  uint64_t segment = 0;
  uint64_t offset = 0;
  friend bool operator==(const LogPosition&, const LogPosition&) = default;
  friend auto operator<=>(const LogPosition&, const LogPosition&) = default;
};

// Samples read from the log, in commit order; labels per ref.
struct ForwardBatch {
  std::vector<storage::CommittedSample> samples;
  absl::flat_hash_map<storage::SeriesRef, storage::Labels> labels;
  void Clear() {
    samples.clear();
    labels.clear();
  }
};

class ForwardLog : public storage::CommitListener {
 public:
  // Creates the dir if needed and starts a new segment after the existing ones. Errors:
  // Unavailable/PermissionDenied from the file system.
  static absl::StatusOr<std::unique_ptr<ForwardLog>> Open(ForwardLogOptions options);
  ~ForwardLog() override;

  void OnCommit(absl::Span<const storage::CommittedSample> samples,
                absl::FunctionRef<void(storage::SeriesRef, storage::Labels*)> labels_of) override;

  class Reader {
   public:
    ~Reader();
    // Reads up to max_samples after the current position into *out (cleared first). Waits
    // until at least min_samples are available or `deadline` passes, and returns what it has
    // then (possibly nothing). Unblocked early by ForwardLog::Wake().
    absl::Status Read(int64_t min_samples, int64_t max_samples, absl::Time deadline,
                      ForwardBatch* out);
    // Persists the position after the last Read: everything read so far was delivered.
    absl::Status Commit();
    // Samples not yet read, approximately: bytes between the position and the log's end
    // divided by the average encoded sample size.
    int64_t PendingSamples() const;
    const std::string& id() const { return id_; }
    // Samples this reader lost to the overflow policy (segments deleted before it read them).
    int64_t dropped_samples() const { return dropped_.load(std::memory_order_relaxed); }

   private:
    friend class ForwardLog;
    Reader(ForwardLog* log, std::string id, LogPosition pos) : log_(log), id_(std::move(id)),
                                                               pos_(pos), committed_(pos) {}
    // Reads records of one segment from pos_ into out; false when nothing more is there yet.
    absl::StatusOr<bool> ReadSome(int64_t max_samples, ForwardBatch* out);
    absl::Status LoadSeriesDefs(uint64_t segment, uint64_t upto);

    ForwardLog* log_;
    std::string id_;
    LogPosition pos_;        // after the last record read
    LogPosition committed_;  // persisted
    int fd_ = -1;
    uint64_t fd_segment_ = 0;
    std::string buf_;
    bool blocked_ = false;  // the last ReadSome stopped at a record that did not fit
    std::atomic<int64_t> dropped_{0};
    absl::flat_hash_map<storage::SeriesRef, storage::Labels> defs_;
  };

  // A reader with a persisted position under `id` resumes there; a new id starts at the
  // current end (it forwards what is committed from now on). Several readers with one id are
  // not allowed.
  absl::StatusOr<std::unique_ptr<Reader>> NewReader(const std::string& id);
  // Forgets the positions of readers not in `ids` (endpoints removed from the config), so
  // their backlog no longer keeps segments on disk.
  void RetainReaders(const absl::flat_hash_set<std::string>& ids);
  // Wakes every Reader::Read that is waiting (shutdown).
  void Wake();

  int64_t dropped_samples() const;   // lost to the overflow policy
  int64_t dropped_segments() const;
  int64_t bytes() const;             // segment bytes on disk
  int64_t written_samples() const;
  int64_t highest_timestamp_ms() const;  // of the samples written since Open; 0 before any

 private:
  explicit ForwardLog(ForwardLogOptions options) : options_(std::move(options)) {}
  absl::Status StartSegment() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DeleteSegments() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string SegmentPath(uint64_t seg) const;
  std::string PositionPath(const std::string& id) const;
  void SavePosition(const std::string& id, LogPosition pos);
  void ReaderGone(const std::string& id);

  const ForwardLogOptions options_;
  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  uint64_t segment_ ABSL_GUARDED_BY(mu_) = 0;   // being written
  uint64_t offset_ ABSL_GUARDED_BY(mu_) = 0;    // its size
  absl::flat_hash_set<storage::SeriesRef> defined_ ABSL_GUARDED_BY(mu_);  // in segment_
  // Every segment on disk -> (bytes, samples; -1 when written by an earlier process).
  std::map<uint64_t, std::pair<int64_t, int64_t>> segments_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, LogPosition> positions_ ABSL_GUARDED_BY(mu_);  // persisted, per reader
  absl::flat_hash_set<std::string> open_readers_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_samples_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_segments_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t written_samples_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t highest_t_ms_ ABSL_GUARDED_BY(mu_) = 0;
  // Segments deleted by the overflow policy -> their sample counts (readers that skip them
  // add them to their dropped_samples()).
  std::map<uint64_t, int64_t> overflowed_ ABSL_GUARDED_BY(mu_);
  uint64_t wake_gen_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_sync_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string scratch_;  // commit leader only
};

}  // namespace tally::server::remote
