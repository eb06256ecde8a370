// Many appenders and queriers at once: no sample lost, every read sees a consistent,
// strictly time-ordered prefix of each series.
#include <atomic>
#include <iostream>
#include <string>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

constexpr int kWriters = 4;
constexpr int kSeriesPerWriter = 100;
constexpr int kBatches = 150;          // per writer; > one chunk per series
constexpr int kSamplesPerSeriesPerBatch = 2;

double Value(int w, int s, int64_t t) { return w * 1e9 + s * 1e6 + static_cast<double>(t); }

// The first failure any thread reported; threads check failed() to stop early.
class FirstError {
 public:
  void Set(const std::string& msg) {
    absl::MutexLock l(&mu_);
    if (!failed_.load()) message_ = msg;
    failed_.store(true);
  }
  bool failed() const { return failed_.load(); }
  std::string message() const {
    absl::MutexLock l(&mu_);
    return message_;
  }

 private:
  mutable absl::Mutex mu_;
  std::atomic<bool> failed_{false};
  std::string message_ ABSL_GUARDED_BY(mu_);
};

TEST(ConcurrencyTest, ParallelAppendersAndQueriers) {
  testutil::TempDir dir;
  DBOptions o = testutil::TestOptions(dir.path());
  o.sync_commits = false;  // keeps the stress test quick; durability is tested elsewhere
  auto opened = DB::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  DB* db = opened->get();

  // Threads never ASSERT (a failed ASSERT returns from the thread only, and readers waiting
  // for it would spin until CTest's timeout): they record failures and stop; the main thread
  // asserts after join. Every loop is bounded by the writers' batch count or the deadline.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  FirstError write_error;
  std::atomic<int> writers_done{0};
  std::atomic<int64_t> read_errors{0}, reads{0}, samples_read{0}, reads_during_writes{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      absl::Cleanup done = [&] { writers_done.fetch_add(1); };
      std::vector<SeriesRef> refs(kSeriesPerWriter, kInvalidSeriesRef);
      for (int b = 0; b < kBatches && !write_error.failed(); ++b) {
        auto app = db->NewAppender();
        for (int s = 0; s < kSeriesPerWriter; ++s) {
          for (int k = 0; k < kSamplesPerSeriesPerBatch; ++k) {
            const int64_t t = (int64_t{b} * kSamplesPerSeriesPerBatch + k) * 1000;
            if (refs[s] == kInvalidSeriesRef) {
              auto r = app->Append(Labels{{"__name__", "stress"}, {"w", std::to_string(w)},
                                          {"s", std::to_string(s)}},
                                   t, Value(w, s, t));
              if (!r.ok()) return write_error.Set(r.status().ToString());
              refs[s] = *r;
            } else if (absl::Status st = app->Append(refs[s], t, Value(w, s, t)); !st.ok()) {
              return write_error.Set(st.ToString());
            }
          }
        }
        auto r = app->Commit();
        if (!r.ok()) return write_error.Set(r.status().ToString());
        if (r->rejected() != 0) return write_error.Set(r->first_error);
      }
    });
  }
  for (int q = 0; q < 2; ++q) {
    threads.emplace_back([&, q] {
      auto m = Matcher::Make(MatchType::kEqual, "__name__", "stress");
      auto wm = Matcher::Make(MatchType::kEqual, "w", std::to_string(q));
      std::vector<Sample> out;
      // At least one full pass, the last one after all writers finished.
      bool last = false;
      while (!last && absl::Now() < deadline) {
        last = writers_done.load() == kWriters;
        auto querier = db->NewQuerier(kMinTime, kMaxTime);
        auto set = querier->Select({*m, *wm});
        if (!set.ok()) {
          read_errors.fetch_add(1);
          continue;
        }
        for (const auto& series : *set) {
          out.clear();
          if (!series->Samples(kMinTime, kMaxTime, &out).ok()) read_errors.fetch_add(1);
          const int s = std::stoi(std::string(series->labels().Get("s")));
          for (size_t i = 0; i < out.size(); ++i) {
            // A prefix: sample i is at t = i*1000 with its exact value.
            if (out[i].t_ms != static_cast<int64_t>(i) * 1000 ||
                out[i].v != Value(q, s, out[i].t_ms)) {
              read_errors.fetch_add(1);
              break;
            }
          }
          reads.fetch_add(1);
          samples_read.fetch_add(static_cast<int64_t>(out.size()));
          if (!last) reads_during_writes.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_FALSE(write_error.failed()) << write_error.message();
  EXPECT_EQ(read_errors.load(), 0);
  // The final passes alone read 2 x kSeriesPerWriter series with all their samples.
  EXPECT_GE(reads.load(), 2 * kSeriesPerWriter);
  EXPECT_GE(samples_read.load(), 2 * kSeriesPerWriter * kBatches * kSamplesPerSeriesPerBatch);
  std::cout << "reads: " << reads.load() << " (" << reads_during_writes.load()
            << " while writers ran), samples read: " << samples_read.load() << "\n";

  auto querier = db->NewQuerier(kMinTime, kMaxTime);
  auto set = querier->Select({*Matcher::Make(MatchType::kEqual, "__name__", "stress")});
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->size(), static_cast<size_t>(kWriters * kSeriesPerWriter));
  std::vector<Sample> out;
  for (const auto& series : *set) {
    out.clear();
    ASSERT_TRUE(series->Samples(kMinTime, kMaxTime, &out).ok());
    ASSERT_EQ(out.size(), static_cast<size_t>(kBatches * kSamplesPerSeriesPerBatch));
  }
  auto st = db->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->num_samples, int64_t{kWriters} * kSeriesPerWriter * kBatches *
                                 kSamplesPerSeriesPerBatch);
}

// Retention deleting chunks and whole series while appends and queries run.
TEST(ConcurrencyTest, RetentionDuringAppendsAndQueries) {
  testutil::TempDir dir;
  DBOptions o = testutil::TestOptions(dir.path());
  o.sync_commits = false;
  o.retention_ms = 60'000;
  auto opened = DB::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  DB* db = opened->get();
  constexpr int kRounds = 300;
  std::atomic<int64_t> now{0};
  std::atomic<bool> done{false};
  std::atomic<int64_t> errors{0};

  std::thread writer([&] {
    for (int r = 0; r < kRounds; ++r) {
      const int64_t t = int64_t{r} * 1000;
      auto app = db->NewAppender();
      // "gen" rotates every 50 rounds, so older generations stop receiving samples and are
      // eventually removed by retention.
      for (int s = 0; s < 20; ++s) {
        auto ref = app->Append(Labels{{"__name__", "ret"}, {"gen", std::to_string(r / 50)},
                                      {"s", std::to_string(s)}},
                               t, t);
        if (!ref.ok()) errors.fetch_add(1);
      }
      auto c = app->Commit();
      if (!c.ok()) errors.fetch_add(1);
      now.store(t);
    }
    done.store(true);
  });
  std::atomic<int64_t> retention_passes{0}, series_read{0};
  std::thread cleaner([&] {
    while (!done.load()) {
      if (!db->ApplyRetention(now.load()).ok()) errors.fetch_add(1);
      retention_passes.fetch_add(1);
    }
  });
  std::thread reader([&] {
    std::vector<Sample> out;
    auto m = Matcher::Make(MatchType::kEqual, "__name__", "ret");
    // At least one pass, the last one after the writer finished (bounded by the writer).
    for (bool last = false; !last;) {
      last = done.load();
      auto q = db->NewQuerier(kMinTime, kMaxTime);
      auto set = q->Select({*m});
      if (!set.ok()) {
        errors.fetch_add(1);
        continue;
      }
      for (const auto& series : *set) {
        out.clear();
        if (!series->Samples(kMinTime, kMaxTime, &out).ok()) errors.fetch_add(1);
        for (size_t i = 1; i < out.size(); ++i) {
          if (out[i].t_ms <= out[i - 1].t_ms || out[i].v != out[i].t_ms) errors.fetch_add(1);
        }
        if (!out.empty()) series_read.fetch_add(1);
      }
      if (!q->LabelValues("gen", {}).ok()) errors.fetch_add(1);
    }
  });
  writer.join();
  cleaner.join();
  reader.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(series_read.load(), 0) << "the reader never read a series";
  EXPECT_GT(retention_passes.load(), 0);

  ASSERT_TRUE(db->ApplyRetention(now.load()).ok());
  auto q = db->NewQuerier(kMinTime, kMaxTime);
  auto gens = q->LabelValues("gen", {});
  ASSERT_TRUE(gens.ok());
  // Only generations with samples in the last minute [239 s, 299 s] survive: gen 4 ended
  // at 249 s, gen 3 at 199 s.
  EXPECT_EQ(*gens, (std::vector<std::string>{"4", "5"}));
}

}  // namespace
}  // namespace tally::storage
