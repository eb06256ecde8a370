// `tally tsdb analyze` and `tally tsdb dump`: read-only views of a data dir.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "storage/db.h"
#include "storage/ingest/go_float.h"
#include "storage/util/duration.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"
#include "tools/cli/progress.h"
#include "tools/cli/selector.h"

namespace tally::tools {
namespace {

absl::StatusOr<std::unique_ptr<storage::DB>> OpenForReading(const std::string& path) {
  // DB::Open creates a missing dir; a read-only command must not (a typo would look empty).
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return absl::NotFoundError("no such data dir");
  }
  storage::DBOptions opts;
  opts.path = path;
  // Read-only: no lock (works on a dir a running `tally serve` holds), nothing written.
  opts.read_only = true;
  return storage::DB::Open(opts);
}

int RunAnalyze(std::vector<std::string> args) {
  std::string path = "data/";
  int64_t limit = 20;
  FlagSet flags("tally tsdb analyze [<flags>]",
                "Print statistics of a data dir: series, samples, chunks, time range, bytes\n"
                "on disk and per sample, and the label names with the most values.");
  flags.String("storage.tsdb.path", &path, "Base path for metrics storage.");
  flags.Int("limit", &limit, "How many label names to show.");
  std::vector<std::string> pos;
  if (int rc = ParseFlagsOrExit(flags, args, &pos); rc >= 0) return rc;
  if (pos.size() == 1) path = pos[0];  // promtool-style positional path
  if (pos.size() > 1) {
    std::fprintf(stderr, "tally: error: unexpected argument \"%s\", try --help\n", pos[1].c_str());
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<storage::DB>> db = OpenForReading(path);
  if (!db.ok()) {
    std::fprintf(stderr, "tally: error: opening %s: %s\n", path.c_str(),
                 std::string(db.status().message()).c_str());
    return kExitFailure;
  }
  absl::StatusOr<storage::DBStats> st = (*db)->Stats(static_cast<int>(limit));
  if (!st.ok()) {
    std::fprintf(stderr, "tally: error: %s\n", std::string(st.status().message()).c_str());
    return kExitFailure;
  }
  const bool empty = st->num_samples == 0;
  std::printf("Storage path:      %s\n", path.c_str());
  std::printf("Series:            %lld\n", static_cast<long long>(st->num_series));
  std::printf("Head series:       %lld\n", static_cast<long long>(st->head_series));
  std::printf("Samples:           %lld\n", static_cast<long long>(st->num_samples));
  std::printf("Chunks:            %lld\n", static_cast<long long>(st->num_chunks));
  if (empty) {
    std::printf("Min time:          none\nMax time:          none\n");
  } else {
    std::printf("Min time:          %lld (%s)\n", static_cast<long long>(st->min_time_ms),
                FormatTimeMs(st->min_time_ms).c_str());
    std::printf("Max time:          %lld (%s)\n", static_cast<long long>(st->max_time_ms),
                FormatTimeMs(st->max_time_ms).c_str());
    std::printf("Duration:          %s\n",
                storage::FormatDurationMs(st->max_time_ms - st->min_time_ms).c_str());
  }
  std::printf("Bytes on disk:     %lld (%s)\n", static_cast<long long>(st->bytes_on_disk),
              FormatBytes(st->bytes_on_disk).c_str());
  if (!empty) {
    std::printf("Bytes per sample:  %.3f\n",
                static_cast<double>(st->bytes_on_disk) / static_cast<double>(st->num_samples));
  }
  std::printf("Head memory:       %s\n", FormatBytes(st->head_memory_bytes).c_str());
  absl::StatusOr<std::vector<std::pair<std::string, storage::MetricMetadata>>> md =
      (*db)->Metadata();
  if (md.ok()) std::printf("Metadata:          %zu metric families\n", md->size());
  std::printf("\nLabel names with the most values:\n");
  std::printf("  %-32s %10s %10s\n", "NAME", "VALUES", "SERIES");
  for (const storage::LabelCardinality& l : st->label_names) {
    std::printf("  %-32s %10lld %10lld\n", l.name.c_str(), static_cast<long long>(l.values),
                static_cast<long long>(l.series));
  }
  absl::StatusOr<storage::ChunkUsage> usage = (*db)->PersistedChunkUsage();
  if (!usage.ok()) {
    std::fprintf(stderr, "tally: error: %s\n", std::string(usage.status().message()).c_str());
    return kExitFailure;
  }
  auto print = [](const char* title, const std::vector<storage::ChunkGroupUsage>& rows,
                  size_t limit) {
    std::printf("\n%s\n", title);
    std::printf("  %-48s %10s %12s %12s %9s\n", "NAME", "CHUNKS", "SAMPLES", "BYTES",
                "BYTES/SMP");
    for (size_t i = 0; i < rows.size() && i < limit; ++i) {
      const storage::ChunkGroupUsage& r = rows[i];
      std::printf("  %-48s %10lld %12lld %12lld %9.3f\n", r.group.c_str(),
                  static_cast<long long>(r.chunks), static_cast<long long>(r.samples),
                  static_cast<long long>(r.bytes),
                  r.samples > 0 ? static_cast<double>(r.bytes) / static_cast<double>(r.samples)
                                : 0.0);
    }
  };
  print("Persisted chunks by encoding (chunk values only):", usage->by_encoding, SIZE_MAX);
  print("Persisted chunks by metric family (chunk values only):", usage->by_metric,
        static_cast<size_t>(std::max<int64_t>(limit, 0)));
  return kExitOk;
}

int RunDump(std::vector<std::string> args) {
  std::string path = "data/";
  std::string match = "{__name__=~\".+\"}";
  int64_t min_time = storage::kMinTime;
  int64_t max_time = storage::kMaxTime;
  FlagSet flags("tally tsdb dump [<flags>]",
                "Print raw samples as `{labels} value timestamp_ms`, one per line, series in\n"
                "label order, values in Go's shortest round-trip format (like promtool tsdb\n"
                "dump).");
  flags.String("storage.tsdb.path", &path, "Base path for metrics storage.");
  flags.String("match", &match, "Series selector.");
  flags.Int("min-time", &min_time, "Minimum timestamp to dump (ms).");
  flags.Int("max-time", &max_time, "Maximum timestamp to dump (ms).");
  std::vector<std::string> pos;
  if (int rc = ParseFlagsOrExit(flags, args, &pos); rc >= 0) return rc;
  if (pos.size() == 1) path = pos[0];
  if (pos.size() > 1) {
    std::fprintf(stderr, "tally: error: unexpected argument \"%s\", try --help\n", pos[1].c_str());
    return kExitUsage;
  }
  absl::StatusOr<storage::Matchers> matchers = ParseSelector(match);
  if (!matchers.ok()) {
    std::fprintf(stderr, "tally: error: --match: %s, try --help\n",
                 std::string(matchers.status().message()).c_str());
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<storage::DB>> db = OpenForReading(path);
  if (!db.ok()) {
    std::fprintf(stderr, "tally: error: opening %s: %s\n", path.c_str(),
                 std::string(db.status().message()).c_str());
    return kExitFailure;
  }
  std::unique_ptr<storage::Querier> q = (*db)->NewQuerier(min_time, max_time);
  auto set = q->Select(*matchers);
  if (!set.ok()) {
    std::fprintf(stderr, "tally: error: %s\n", std::string(set.status().message()).c_str());
    return kExitFailure;
  }
  static char out_buf[1 << 16];
  std::setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
  std::vector<storage::Sample> samples;
  std::string line;
  for (const auto& series : *set) {
    const std::string lbls = series->labels().ToString();
    samples.clear();
    if (absl::Status s = series->Samples(min_time, max_time, &samples); !s.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "tally: error: reading %s: %s\n", lbls.c_str(),
                   std::string(s.message()).c_str());
      return kExitFailure;
    }
    for (const storage::Sample& smp : samples) {
      char vbuf[storage::kGoFloatBufSize];
      const int vlen = storage::FormatGoFloat(smp.v, vbuf);
      std::fwrite(lbls.data(), 1, lbls.size(), stdout);
      std::fputc(' ', stdout);
      std::fwrite(vbuf, 1, vlen, stdout);
      std::fprintf(stdout, " %lld\n", static_cast<long long>(smp.t_ms));
    }
  }
  if (std::fflush(stdout) != 0) return kExitFailure;
  return kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("tsdb analyze", "Print statistics of a data dir.", RunAnalyze);
TALLY_REGISTER_COMMAND("tsdb dump", "Print raw samples of a data dir (like promtool tsdb dump).",
                       RunDump);

}  // namespace tally::tools
