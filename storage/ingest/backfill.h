// Backfill: imports a whole text-format file (OpenMetrics or Prometheus text) into a DB, as
// `tally backfill` does. The input is read in chunks (cut at line boundaries) through a
// BackfillSource, never all at once:
//
//  1. Validate everything, in parallel (oneTBB): each chunk is cut into slices parsed by
//     independent TextParsers. Any syntax error (reported with its line number, the first
//     one in file order), a sample without a timestamp or one too far in the future
//     (options.max_future_ms) fails the import here, before anything is written, so a
//     malformed file stores nothing and leaves existing data untouched. A series over
//     options.series_limits fails the import the same way. This pass records metadata, a
//     hash per distinct series, per-chunk time bounds and shards and a histogram of sample
//     counts per (time bucket, series shard); it keeps the samples only while they fit the
//     memory bound (a file that fits is then written as one window without re-reading).
//  2. Write, window by window: from the histogram, windows (a time range x a range of series
//     shards) of at most options.max_memory_bytes worth of samples are planned and written
//     in time order (or, when that re-reads less, shard ranges over all time). For each window the chunks that may hold its samples are parsed again,
//     keeping only the window's samples; then, in parallel, series are sharded over several
//     Appenders; each series' samples are sorted by time (the file may list them in any
//     order, as promtool accepts), exact duplicates (same timestamp and value) are dropped,
//     and samples are committed in batches. Since windows partition time and all samples of
//     one series at one timestamp land in the same window, the stored result (and every
//     counter) is the same as sorting each whole series at once. Metadata (TYPE/HELP/UNIT)
//     is stored per family name with DB::SetMetadata before the samples. Samples the DB
//     rejects (out of order against data already stored, same timestamp with another value,
//     older than retention) are counted by reason; the rest land.
//
// Interruption (options.cancel set): during phase 1 nothing is written and Cancelled is
// returned; during phase 2 the batches already committed stay (each commit is atomic and
// durable), the rest is rolled back, and the result has interrupted = true. Re-running the
// same import then completes it: the samples stored the first time are rejected (counted as
// out of order, or as nothing at a series' newest timestamp) and the rest land.
//
// Memory: about options.max_memory_bytes for chunks and window samples (40 bytes per sample
// planned), plus 8 bytes per distinct series and the labels of one window's series; the DB's
// own memory comes on top. A single (time bucket, shard) cell holding more samples than the
// bound (e.g. millions of series all at one timestamp) is written as one window over it.
// max_memory_bytes = 0: no bound (one window, one pass). Otherwise passes over the input:
// 1 if it fits, else 1 + (per chunk, the windows whose time range and shards it may hold),
// so a time-ordered or series-grouped file is re-read about once, a shuffled one once per
// window.
// Thread-safety: Backfill may run concurrently with other users of the same DB.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/db.h"
#include "storage/ingest/text_parser.h"
#include "storage/model/series_limits.h"

namespace tally::storage {

// Live progress, polled by a reporter thread while Backfill runs.
struct BackfillProgress {
  enum Phase { kParsing = 0, kWriting = 1, kDone = 2 };
  std::atomic<int> phase{kParsing};
  std::atomic<int64_t> bytes_total{0};
  std::atomic<int64_t> bytes_parsed{0};
  std::atomic<int64_t> samples_total{0};    // known once writing starts
  std::atomic<int64_t> samples_written{0};  // attempted appends so far
};

struct BackfillOptions {
  std::optional<TextFormat> format;  // nullopt: DetectTextFormat()
  int max_threads = 0;               // 0: oneTBB's default (all cores)
  int64_t commit_batch_samples = 500'000;  // samples per Commit() in each appender
  const std::atomic<bool>* cancel = nullptr;
  BackfillProgress* progress = nullptr;
  // Per-series label limits, checked in phase 1: a series over them fails the import with
  // its line number ("line N: label_limit exceeded (...)") and nothing is written.
  SeriesLimits series_limits = kDefaultIngestSeriesLimits;
  // A sample more than this far ahead of now_ms fails the parse like a syntax error, with
  // its line number (--storage.tsdb.max-future; the DB applies the same rule). 0 disables.
  int64_t max_future_ms = 0;
  int64_t now_ms = 0;  // 0: the system clock at the start of the import
  // Memory bound for input chunks and buffered samples (see above); 0: unbounded.
  int64_t max_memory_bytes = 0;
};

// Random access to the input. Read is called from one thread at a time.
class BackfillSource {
 public:
  virtual ~BackfillSource() = default;
  virtual int64_t size() const = 0;
  // Bytes [offset, offset + len) clipped to size(); the view may point into *scratch and
  // stays valid until the next Read with the same scratch.
  virtual absl::StatusOr<absl::string_view> Read(int64_t offset, size_t len,
                                                 std::string* scratch) = 0;
};

// A source over memory the caller keeps alive.
std::unique_ptr<BackfillSource> StringBackfillSource(absl::string_view data);
// A source over a regular file read with pread (the fd is not owned and must stay open).
// FailedPrecondition if fd is not a regular file.
absl::StatusOr<std::unique_ptr<BackfillSource>> FileBackfillSource(int fd);

struct BackfillResult {
  TextFormat format = TextFormat::kPrometheus;
  int64_t samples_read = 0;    // sample lines in the file
  int64_t series = 0;          // distinct label sets
  int64_t min_time_ms = kMaxTime;
  int64_t max_time_ms = kMinTime;
  int64_t metadata_families = 0;
  int64_t appended = 0;        // stored
  int64_t exact_duplicates = 0;       // same series, timestamp and value twice in the file
  int64_t rejected_out_of_order = 0;  // by the DB (older than the series' newest sample)
  int64_t rejected_duplicate = 0;     // same timestamp, different value
  int64_t rejected_too_old = 0;       // outside retention
  int64_t rejected_too_far_in_future = 0;  // by the DB (only if its limit is tighter)
  int64_t rejected_invalid = 0;       // label sets the DB refused
  std::string first_rejection;        // the first rejection message, if any
  bool interrupted = false;
  int64_t windows = 0;                // write windows planned (see options.max_memory_bytes)
  int64_t rejected() const {
    return rejected_out_of_order + rejected_duplicate + rejected_too_old +
           rejected_too_far_in_future + rejected_invalid;
  }
};

// Imports `input`. InvalidArgument ("line N: ...") for malformed input, Cancelled when
// interrupted while parsing, other codes from the DB.
absl::StatusOr<BackfillResult> Backfill(DB& db, absl::string_view input,
                                        const BackfillOptions& options);
absl::StatusOr<BackfillResult> Backfill(DB& db, BackfillSource& input,
                                        const BackfillOptions& options);

}  // namespace tally::storage
