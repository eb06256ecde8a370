#include "storage/ingest/backfill.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/util/duration.h"
#include "storage/util/status_macros.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace tally::storage {
namespace {

constexpr size_t kMinSliceBytes = 1 << 20;

struct MetaEntry {
  TextEntry kind;
  absl::string_view family;
  MetricType type;
  std::string text;  // help or unit
};

// What one slice of the input parses to.
struct SliceResult {
  absl::string_view text;
  int64_t first_line = 1;
  bool last = false;
  absl::Status status;
  absl::flat_hash_map<absl::string_view, uint32_t> index;  // series_text -> local id
  std::vector<Labels> labels;                              // per local id
  std::vector<std::vector<Sample>> samples;                // per local id
  std::vector<MetaEntry> metadata;
  int64_t count = 0;
  int64_t min_t = kMaxTime;
  int64_t max_t = kMinTime;
};

// Cuts input into slices ending at line boundaries.
std::vector<SliceResult> Slice(absl::string_view input, int parallelism) {
  const size_t target =
      std::max(kMinSliceBytes, input.size() / (static_cast<size_t>(parallelism) * 4 + 1));
  std::vector<SliceResult> slices;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t end = std::min(input.size(), pos + target);
    if (end < input.size()) {
      const size_t nl = input.find('\n', end);
      end = nl == absl::string_view::npos ? input.size() : nl + 1;
    }
    SliceResult s;
    s.text = input.substr(pos, end - pos);
    slices.push_back(std::move(s));
    pos = end;
  }
  if (slices.empty()) slices.emplace_back();
  slices.back().last = true;
  return slices;
}

void ParseSlice(SliceResult& r, TextFormat format, const BackfillOptions& opt,
                int64_t max_valid_t) {
  TextParser p(r.text, TextParserOptions{
                           .format = format, .first_line = r.first_line, .require_eof = r.last});
  int64_t since_check = 0;
  while (true) {
    absl::StatusOr<TextEntry> e = p.Next();
    if (!e.ok()) {
      r.status = e.status();
      return;
    }
    if (*e == TextEntry::kEnd) return;
    if (*e != TextEntry::kSample) {
      MetaEntry m{*e, p.family(), p.type(), ""};
      if (*e == TextEntry::kHelp) m.text = std::string(p.help());
      if (*e == TextEntry::kUnit) m.text = std::string(p.unit());
      r.metadata.push_back(std::move(m));
      continue;
    }
    if (!p.has_timestamp()) {
      r.status = absl::InvalidArgumentError(
          absl::StrCat("line ", p.line(), ": sample of ", p.series_text(),
                       " has no timestamp (backfill needs one on every sample)"));
      return;
    }
    auto [it, inserted] = r.index.try_emplace(p.series_text(), r.labels.size());
    if (inserted) {
      r.labels.push_back(p.BuildLabels());
      r.samples.emplace_back();
      if (absl::Status ls = CheckSeriesLimits(r.labels.back(), opt.series_limits); !ls.ok()) {
        r.status = absl::InvalidArgumentError(absl::StrCat("line ", p.line(), ": ", ls.message()));
        return;
      }
    }
    const int64_t t = p.timestamp_ms();
    if (t > max_valid_t) {
      r.status = absl::InvalidArgumentError(
          absl::StrCat("line ", p.line(), ": sample of ", p.series_text(), " at timestamp ", t,
                       " is too far in the future (more than ", FormatDurationMs(opt.max_future_ms),
                       " after the current time; limit set by --storage.tsdb.max-future)"));
      return;
    }
    r.samples[it->second].push_back(Sample{t, p.value()});
    r.min_t = std::min(r.min_t, t);
    r.max_t = std::max(r.max_t, t);
    ++r.count;
    if (++since_check == 65536) {
      since_check = 0;
      if (opt.cancel != nullptr && opt.cancel->load(std::memory_order_relaxed)) {
        r.status = absl::CancelledError("backfill interrupted while parsing; nothing written");
        return;
      }
    }
  }
}

// One series across slices: (slice, local id) pieces in file order.
struct SeriesPieces {
  const Labels* labels;
  std::vector<std::pair<uint32_t, uint32_t>> pieces;
};

struct ShardTotals {
  CommitResult commit;
  int64_t exact_duplicates = 0;
  int64_t rejected_invalid = 0;
  std::string first_rejection;
};

void AddCommit(ShardTotals* t, const CommitResult& r) {
  t->commit.appended += r.appended;
  t->commit.rejected_out_of_order += r.rejected_out_of_order;
  t->commit.rejected_duplicate += r.rejected_duplicate;
  t->commit.rejected_too_old += r.rejected_too_old;
  t->commit.rejected_too_far_in_future += r.rejected_too_far_in_future;
  if (t->first_rejection.empty() && !r.first_error.empty()) t->first_rejection = r.first_error;
}

}  // namespace

absl::StatusOr<BackfillResult> Backfill(DB& db, absl::string_view input,
                                        const BackfillOptions& options) {
  BackfillResult result;
  result.format = options.format.has_value() ? *options.format : DetectTextFormat(input);
  const int threads = options.max_threads > 0 ? options.max_threads
                                              : tbb::this_task_arena::max_concurrency();
  tbb::task_arena arena(threads);
  BackfillProgress* progress = options.progress;
  if (progress != nullptr) {
    progress->phase = BackfillProgress::kParsing;
    progress->bytes_total = static_cast<int64_t>(input.size());
  }

  // ---- Phase 1: parse and validate everything. ----
  const int64_t now_ms = options.now_ms != 0 ? options.now_ms : absl::ToUnixMillis(absl::Now());
  const int64_t max_valid_t =
      options.max_future_ms > 0 && now_ms <= kMaxTime - options.max_future_ms
          ? now_ms + options.max_future_ms
          : kMaxTime;
  std::vector<SliceResult> slices = Slice(input, threads);
  std::vector<int64_t> newlines(slices.size());
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, slices.size(), [&](size_t i) {
      newlines[i] = std::count(slices[i].text.begin(), slices[i].text.end(), '\n');
    });
  });
  for (size_t i = 1; i < slices.size(); ++i) {
    slices[i].first_line = slices[i - 1].first_line + newlines[i - 1];
  }
  arena.execute([&] {
    tbb::parallel_for(
        size_t{0}, slices.size(),
        [&](size_t i) {
          ParseSlice(slices[i], result.format, options, max_valid_t);
          if (progress != nullptr) progress->bytes_parsed += slices[i].text.size();
        },
        tbb::simple_partitioner());
  });
  // The first error in file order wins (slices stop at their own first error).
  for (const SliceResult& s : slices) {
    if (!s.status.ok()) return s.status;
  }

  // Merge: the same label set may be spelled differently in different places.
  absl::flat_hash_map<Labels, uint32_t> global;
  std::vector<SeriesPieces> series;
  for (uint32_t si = 0; si < slices.size(); ++si) {
    SliceResult& s = slices[si];
    for (uint32_t li = 0; li < s.labels.size(); ++li) {
      auto [it, inserted] = global.try_emplace(s.labels[li], series.size());
      if (inserted) series.push_back(SeriesPieces{&s.labels[li], {}});
      series[it->second].pieces.push_back({si, li});
    }
    result.samples_read += s.count;
    result.min_time_ms = std::min(result.min_time_ms, s.min_t);
    result.max_time_ms = std::max(result.max_time_ms, s.max_t);
  }
  result.series = static_cast<int64_t>(series.size());

  // Metadata: later lines override earlier ones, field by field.
  absl::flat_hash_map<absl::string_view, MetricMetadata> metadata;
  std::vector<absl::string_view> family_order;
  for (const SliceResult& s : slices) {
    for (const MetaEntry& m : s.metadata) {
      auto [it, inserted] = metadata.try_emplace(m.family);
      if (inserted) {
        family_order.push_back(m.family);
        it->second.type = MetricTypeString(MetricType::kUnknown);
      }
      if (m.kind == TextEntry::kType) it->second.type = MetricTypeString(m.type);
      if (m.kind == TextEntry::kHelp) it->second.help = m.text;
      if (m.kind == TextEntry::kUnit) it->second.unit = m.text;
    }
  }
  if (options.cancel != nullptr && options.cancel->load()) {
    return absl::CancelledError("backfill interrupted while parsing; nothing written");
  }

  // ---- Phase 2: write. ----
  for (absl::string_view family : family_order) {
    RETURN_IF_ERROR(db.SetMetadata(family, metadata[family]));
  }
  result.metadata_families = static_cast<int64_t>(family_order.size());
  if (progress != nullptr) {
    progress->samples_total = result.samples_read;
    progress->phase = BackfillProgress::kWriting;
  }

  absl::Mutex mu;
  ShardTotals totals;
  absl::Status write_error;
  std::atomic<bool> stop{false};
  const int64_t batch = std::max<int64_t>(1, options.commit_batch_samples);
  // Enough shards to keep every thread busy, few enough that batches stay large.
  const size_t grain = std::max<size_t>(1, series.size() / (static_cast<size_t>(threads) * 4));
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, series.size(), grain),
        [&](const tbb::blocked_range<size_t>& range) {
          ShardTotals local;
          absl::Status status;
          std::unique_ptr<Appender> app = db.NewAppender();
          int64_t pending = 0;
          std::vector<Sample> buf;
          auto commit = [&]() -> absl::Status {
            absl::StatusOr<CommitResult> r = app->Commit();
            if (!r.ok()) return r.status();
            AddCommit(&local, *r);
            app = db.NewAppender();
            pending = 0;
            return absl::OkStatus();
          };
          for (size_t i = range.begin(); i != range.end() && status.ok(); ++i) {
            if (stop.load(std::memory_order_relaxed) ||
                (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed))) {
              stop = true;
              break;
            }
            const SeriesPieces& sp = series[i];
            buf.clear();
            for (auto [si, li] : sp.pieces) {
              const std::vector<Sample>& v = slices[si].samples[li];
              buf.insert(buf.end(), v.begin(), v.end());
            }
            if (!std::is_sorted(buf.begin(), buf.end(), [](const Sample& a, const Sample& b) {
                  return a.t_ms < b.t_ms;
                })) {
              std::stable_sort(buf.begin(), buf.end(), [](const Sample& a, const Sample& b) {
                return a.t_ms < b.t_ms;
              });
            }
            SeriesRef ref = kInvalidSeriesRef;
            for (size_t k = 0; k < buf.size(); ++k) {
              if (k > 0 && buf[k].t_ms == buf[k - 1].t_ms &&
                  std::bit_cast<uint64_t>(buf[k].v) == std::bit_cast<uint64_t>(buf[k - 1].v)) {
                ++local.exact_duplicates;
                continue;
              }
              if (ref == kInvalidSeriesRef) {
                absl::StatusOr<SeriesRef> r = app->Append(*sp.labels, buf[k].t_ms, buf[k].v);
                if (absl::IsInvalidArgument(r.status())) {
                  local.rejected_invalid += static_cast<int64_t>(buf.size() - k);
                  if (local.first_rejection.empty()) {
                    local.first_rejection = std::string(r.status().message());
                  }
                  break;
                }
                if (!r.ok()) {
                  status = r.status();
                  break;
                }
                ref = *r;
              } else if (absl::Status s = app->Append(ref, buf[k].t_ms, buf[k].v); !s.ok()) {
                status = s;
                break;
              }
              if (++pending >= batch) {
                status = commit();
                if (!status.ok()) break;
                // A new appender: the ref stays valid (it names the series, not the batch).
              }
            }
            if (progress != nullptr) {
              progress->samples_written.fetch_add(static_cast<int64_t>(buf.size()),
                                                  std::memory_order_relaxed);
            }
          }
          if (status.ok() && !stop.load()) {
            if (pending > 0) status = commit();
          } else {
            app->Rollback();
          }
          absl::MutexLock lock(&mu);
          if (!status.ok()) {
            stop = true;
            if (write_error.ok()) write_error = status;
          }
          totals.commit.appended += local.commit.appended;
          totals.commit.rejected_out_of_order += local.commit.rejected_out_of_order;
          totals.commit.rejected_duplicate += local.commit.rejected_duplicate;
          totals.commit.rejected_too_old += local.commit.rejected_too_old;
          totals.commit.rejected_too_far_in_future += local.commit.rejected_too_far_in_future;
          totals.exact_duplicates += local.exact_duplicates;
          totals.rejected_invalid += local.rejected_invalid;
          if (totals.first_rejection.empty()) totals.first_rejection = local.first_rejection;
        });
  });
  if (progress != nullptr) progress->phase = BackfillProgress::kDone;
  if (!write_error.ok()) return write_error;
  result.appended = totals.commit.appended;
  result.rejected_out_of_order = totals.commit.rejected_out_of_order;
  result.rejected_duplicate = totals.commit.rejected_duplicate;
  result.rejected_too_old = totals.commit.rejected_too_old;
  result.rejected_too_far_in_future = totals.commit.rejected_too_far_in_future;
  result.rejected_invalid = totals.rejected_invalid;
  result.exact_duplicates = totals.exact_duplicates;
  result.first_rejection = totals.first_rejection;
  result.interrupted = stop.load();
  return result;
}

}  // namespace tally::storage
