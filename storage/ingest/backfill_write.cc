#include "storage/ingest/backfill_write.h"

#include <algorithm>
#include <bit>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace tally::storage::backfill_internal {

void AddCommit(ShardTotals* t, const CommitResult& r) {
  t->commit.appended += r.appended;
  t->commit.rejected_out_of_order += r.rejected_out_of_order;
  t->commit.rejected_duplicate += r.rejected_duplicate;
  t->commit.rejected_too_old += r.rejected_too_old;
  t->commit.rejected_too_far_in_future += r.rejected_too_far_in_future;
  if (t->first_rejection.empty() && !r.first_error.empty()) t->first_rejection = r.first_error;
}

void AddTotals(ShardTotals* t, const ShardTotals& o) {
  AddCommit(t, o.commit);
  t->exact_duplicates += o.exact_duplicates;
  t->rejected_invalid += o.rejected_invalid;
  if (t->first_rejection.empty()) t->first_rejection = o.first_rejection;
}

absl::Status WriteWindow(DB& db, tbb::task_arena& arena, int threads,
                         const BackfillOptions& options, WindowSeries& ws,
                         std::atomic<bool>& stop, ShardTotals& totals) {
  BackfillProgress* progress = options.progress;
  auto Cancelled = [&] {
    return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
  };
  absl::Mutex mu;
  absl::Status write_error;
  const int64_t batch = std::max<int64_t>(1, options.commit_batch_samples);
  const size_t n = ws.labels.size();
  // Enough shards to keep every thread busy, few enough that batches stay large.
  const size_t grain = std::max<size_t>(1, n / (static_cast<size_t>(threads) * 4));
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, n, grain),
        [&](const tbb::blocked_range<size_t>& range) {
          ShardTotals local;
          absl::Status status;
          std::unique_ptr<Appender> app = db.NewAppender();
          int64_t pending = 0;
          auto commit = [&]() -> absl::Status {
            absl::StatusOr<CommitResult> r = app->Commit();
            if (!r.ok()) return r.status();
            AddCommit(&local, *r);
            // The same appender takes the next batch: its buffer keeps its capacity, so the
            // batches after the first one grow no vector (db.h: reusable after Commit).
            pending = 0;
            return absl::OkStatus();
          };
          for (size_t i = range.begin(); i != range.end() && status.ok(); ++i) {
            if (stop.load(std::memory_order_relaxed) || Cancelled()) {
              stop = true;
              break;
            }
            std::vector<Sample>& buf = ws.samples[i];
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
                absl::StatusOr<SeriesRef> r = app->Append(ws.labels[i], buf[k].t_ms, buf[k].v);
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
                // The ref stays valid (it names the series, not the batch).
              }
            }
            if (progress != nullptr) {
              progress->samples_written.fetch_add(static_cast<int64_t>(buf.size()),
                                                   std::memory_order_relaxed);
            }
            buf = {};  // release as we go
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
          AddTotals(&totals, local);
        });
  });
  return write_error;
}

}  // namespace tally::storage::backfill_internal
