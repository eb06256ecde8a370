// `tally backfill`: imports an OpenMetrics or Prometheus text file into a data dir (see
// storage/ingest/backfill.h for the all-or-nothing parse phase and the interruption rules).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "storage/db.h"
#include "storage/ingest/backfill.h"
#include "storage/util/byte_size.h"
#include "storage/util/log.h"
#include "storage/util/status_macros.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"
#include "tools/cli/progress.h"
#include "tools/cli/signals.h"

namespace tally::tools {
namespace {

// The input as a regular file read a chunk at a time (never mapped or loaded whole). stdin
// and pipes are first spooled to an unlinked temp file in the data dir, since the import
// reads its input more than once.
class Input {
 public:
  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  ~Input() {
    if (fd_ >= 0) ::close(fd_);
    if (in_fd_ >= 0 && in_fd_ != STDIN_FILENO && in_fd_ != fd_) ::close(in_fd_);
  }
  // Opens the input (before the data dir is touched, so a missing file changes nothing).
  absl::Status Open(const std::string& path) {
    path_ = path;
    const bool stdin_input = path == "-";
    in_fd_ = stdin_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in_fd_ < 0) {
      return absl::NotFoundError(absl::StrFormat("open %s: %s", path, std::strerror(errno)));
    }
    struct stat st;
    if (::fstat(in_fd_, &st) == 0 && S_ISREG(st.st_mode)) {
      fd_ = stdin_input ? ::dup(in_fd_) : in_fd_;
    }
    return absl::OkStatus();
  }
  // Spools a non-regular input (stdin, a pipe) into spool_dir, then sets up the source.
  absl::Status Prepare(const std::string& spool_dir) {
    if (fd_ < 0) {
      RETURN_IF_ERROR(Spool(in_fd_, path_ == "-" ? "stdin" : path_, spool_dir));
    }
    absl::StatusOr<std::unique_ptr<storage::BackfillSource>> src =
        storage::FileBackfillSource(fd_);
    if (!src.ok()) return src.status();
    source_ = std::move(*src);
    return absl::OkStatus();
  }
  storage::BackfillSource& source() { return *source_; }

 private:
  absl::Status Spool(int in, const std::string& name, const std::string& dir) {
    std::string tmpl = dir + "/.backfill-spool-XXXXXX";
    fd_ = ::mkstemp(tmpl.data());
    if (fd_ < 0) {
      return absl::UnavailableError(
          absl::StrFormat("creating spool file in %s: %s", dir, std::strerror(errno)));
    }
    ::unlink(tmpl.c_str());  // gone when closed, even on a crash
    std::string chunk(1 << 20, '\0');
    while (true) {
      const ssize_t n = ::read(in, chunk.data(), chunk.size());
      if (n == 0) return absl::OkStatus();
      if (n < 0) {
        if (errno == EINTR && !Interrupted()) continue;
        if (Interrupted()) return absl::CancelledError("interrupted while reading input");
        return absl::UnavailableError(absl::StrFormat("read %s: %s", name, std::strerror(errno)));
      }
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(fd_, chunk.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          return absl::UnavailableError(
              absl::StrFormat("writing spool file in %s: %s", dir, std::strerror(errno)));
        }
        done += w;
      }
    }
  }

  std::string path_;
  int in_fd_ = -1;
  int fd_ = -1;
  std::unique_ptr<storage::BackfillSource> source_;
};

int RunBackfill(std::vector<std::string> args) {
  std::string path = "data/";
  std::string format = "auto";
  absl::Duration ooo_window = absl::ZeroDuration();
  absl::Duration retention = absl::Hours(24 * 15);
  absl::Duration max_future = absl::Hours(2);
  int64_t threads = 0;
  FlagSet flags("tally backfill [<flags>] FILE|-",
                "Import an OpenMetrics or Prometheus text file (or stdin) into a data dir.\n"
                "Every sample needs a timestamp. The whole input is parsed and validated\n"
                "first: a malformed file stores nothing; then it is written in windows of\n"
                "at most --max-memory worth of samples (stdin is spooled to the data dir). Ctrl-C while writing keeps the\n"
                "batches already committed (re-running the import completes it) and exits 130.");
  flags.String("storage.tsdb.path", &path, "Base path for metrics storage.");
  flags.String("format", &format, "Input format: auto, openmetrics or prometheus.");
  flags.Duration("storage.tsdb.out-of-order-time-window", &ooo_window,
                 "Accept samples up to this much older than a series' newest sample.");
  flags.Duration("storage.tsdb.retention.time", &retention,
                 "How long to retain samples in storage.");
  flags.Duration("storage.tsdb.max-future", &max_future,
                 "Fail the import on a sample more than this far ahead of the current time "
                 "(0 disables).");
  flags.Int("threads", &threads, "Parser and writer threads (0: all cores).");
  std::string max_memory = "512MiB";
  flags.String("max-memory", &max_memory,
               "Memory for input chunks and buffered samples, e.g. 512MiB or 1GB (0: no "
               "bound; the DB's own memory comes on top).");
  const storage::SeriesLimits dl = storage::kDefaultIngestSeriesLimits;
  int64_t label_limit = static_cast<int64_t>(dl.label_limit);
  int64_t name_limit = static_cast<int64_t>(dl.label_name_length_limit);
  int64_t value_limit = static_cast<int64_t>(dl.label_value_length_limit);
  flags.Int("label-limit", &label_limit,
            "Most labels a series may have, __name__ included (0: no limit).");
  flags.Int("label-name-length-limit", &name_limit, "Longest label name in bytes (0: no limit).");
  flags.Int("label-value-length-limit", &value_limit,
            "Longest label value in bytes (0: no limit).");
  std::vector<std::string> pos;
  if (int rc = ParseFlagsOrExit(flags, args, &pos); rc >= 0) return rc;
  if (pos.size() != 1) {
    std::fprintf(stderr, "tally: error: expected exactly one input FILE or -, try --help\n");
    return kExitUsage;
  }
  storage::BackfillOptions opts;
  if (label_limit < 0 || name_limit < 0 || value_limit < 0) {
    std::fprintf(stderr, "tally: error: label limits must be >= 0, try --help\n");
    return kExitUsage;
  }
  opts.series_limits = {.label_limit = static_cast<uint64_t>(label_limit),
                        .label_name_length_limit = static_cast<uint64_t>(name_limit),
                        .label_value_length_limit = static_cast<uint64_t>(value_limit)};
  if (format == "openmetrics") {
    opts.format = storage::TextFormat::kOpenMetrics;
  } else if (format == "prometheus") {
    opts.format = storage::TextFormat::kPrometheus;
  } else if (format != "auto") {
    std::fprintf(stderr,
                 "tally: error: invalid --format \"%s\" (want auto, openmetrics or "
                 "prometheus), try --help\n",
                 format.c_str());
    return kExitUsage;
  }
  absl::StatusOr<int64_t> max_mem = storage::ParseByteSize(max_memory);
  if (!max_mem.ok()) {
    std::fprintf(stderr, "tally: error: invalid --max-memory \"%s\": %s, try --help\n",
                 max_memory.c_str(), std::string(max_mem.status().message()).c_str());
    return kExitUsage;
  }
  opts.max_memory_bytes = *max_mem;
  InstallInterruptHandler();
  const absl::Time start = absl::Now();
  const std::string& input_path = pos[0];
  Input input;
  if (absl::Status s = input.Open(input_path); !s.ok()) {
    std::fprintf(stderr, "tally: error: %s\n", std::string(s.message()).c_str());
    return kExitFailure;
  }

  storage::DBOptions db_opts;
  db_opts.path = path;
  db_opts.out_of_order_window_ms = absl::ToInt64Milliseconds(ooo_window);
  db_opts.retention_ms = absl::ToInt64Milliseconds(retention);
  db_opts.max_future_ms = absl::ToInt64Milliseconds(max_future);
  opts.max_future_ms = db_opts.max_future_ms;
  absl::StatusOr<std::unique_ptr<storage::DB>> db = storage::DB::Open(db_opts);
  if (!db.ok()) {
    std::fprintf(stderr, "tally: error: opening %s: %s\n", path.c_str(),
                 std::string(db.status().message()).c_str());
    return kExitFailure;
  }
  if (absl::Status s = input.Prepare(path); !s.ok()) {
    std::fprintf(stderr, "tally: error: %s\n", std::string(s.message()).c_str());
    return absl::IsCancelled(s) ? kExitInterrupted : kExitFailure;
  }

  storage::BackfillProgress progress;
  opts.progress = &progress;
  opts.cancel = InterruptFlag();
  opts.max_threads = static_cast<int>(threads);
  ProgressReporter reporter(
      [&progress]() -> std::string {
        if (progress.phase.load() == storage::BackfillProgress::kParsing) {
          const int64_t total = std::max<int64_t>(1, progress.bytes_total.load());
          return absl::StrFormat("backfill: parsing %s of %s (%d%%)",
                                 FormatBytes(progress.bytes_parsed.load()), FormatBytes(total),
                                 progress.bytes_parsed.load() * 100 / total);
        }
        const int64_t total = std::max<int64_t>(1, progress.samples_total.load());
        return absl::StrFormat("backfill: writing %s of %s samples (%d%%)",
                               FormatCount(progress.samples_written.load()), FormatCount(total),
                               progress.samples_written.load() * 100 / total);
      },
      absl::Seconds(10));
  absl::StatusOr<storage::BackfillResult> r = storage::Backfill(**db, input.source(), opts);
  reporter.Stop();
  if (!r.ok()) {
    std::fprintf(stderr, "tally: error: %s: %s\n", input_path == "-" ? "stdin" : input_path.c_str(),
                 std::string(r.status().message()).c_str());
    if (absl::IsCancelled(r.status())) return kExitInterrupted;
    return kExitFailure;
  }
  if (absl::Status s = (*db)->Flush(); !s.ok()) {
    std::fprintf(stderr, "tally: error: flushing %s: %s\n", path.c_str(),
                 std::string(s.message()).c_str());
    return kExitFailure;
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  std::string range = "none";
  if (r->samples_read > 0) {
    range = absl::StrFormat("%s .. %s (%d .. %d)", FormatTimeMs(r->min_time_ms),
                            FormatTimeMs(r->max_time_ms), r->min_time_ms, r->max_time_ms);
  }
  std::printf(
      "format:            %s\n"
      "samples read:      %lld\n"
      "series:            %lld\n"
      "time range:        %s\n"
      "metadata families: %lld\n"
      "samples stored:    %lld\n"
      "exact duplicates:  %lld (ignored)\n"
      "rejected:          %lld (out of order %lld, duplicate %lld, too old %lld, too far in "
      "future %lld, invalid %lld)\n"
      "elapsed:           %.2fs (%s samples/s)\n",
      storage::TextFormatName(r->format), static_cast<long long>(r->samples_read),
      static_cast<long long>(r->series), range.c_str(),
      static_cast<long long>(r->metadata_families), static_cast<long long>(r->appended),
      static_cast<long long>(r->exact_duplicates), static_cast<long long>(r->rejected()),
      static_cast<long long>(r->rejected_out_of_order),
      static_cast<long long>(r->rejected_duplicate), static_cast<long long>(r->rejected_too_old),
      static_cast<long long>(r->rejected_too_far_in_future),
      static_cast<long long>(r->rejected_invalid), secs,
      FormatCount(static_cast<int64_t>(r->samples_read / std::max(secs, 1e-3))).c_str());
  if (!r->first_rejection.empty()) {
    TALLY_LOG(kWarn, "some samples were rejected",
              {{"rejected", r->rejected()}, {"first", r->first_rejection}});
  }
  if (r->interrupted) {
    std::fprintf(stderr,
                 "tally: interrupted: %lld samples were committed before the signal; re-run "
                 "the same import to complete it (the committed samples will then be "
                 "reported as out of order)\n",
                 static_cast<long long>(r->appended));
    return kExitInterrupted;
  }
  return kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("backfill", "Import OpenMetrics or Prometheus text into a data dir.",
                       RunBackfill);

}  // namespace tally::tools
