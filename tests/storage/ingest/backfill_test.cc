#include "storage/ingest/backfill.h"

#include <algorithm>
#include <bit>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::storage {
namespace {

using ::testing::HasSubstr;

// An in-memory DB with Prometheus's append rules (out of order and different-value
// duplicates rejected, identical duplicates ignored), so Backfill is tested on its own.
class FakeDB : public DB {
 public:
  struct Stored {
    Labels labels;
    std::vector<Sample> samples;
  };

  class FakeAppender : public Appender {
   public:
    FakeDB* db;
    explicit FakeAppender(FakeDB* d) : db(d) {}
    absl::StatusOr<SeriesRef> Append(const Labels& l, int64_t t, double v) override {
      if (l.empty()) return absl::InvalidArgumentError("empty label set");
      SeriesRef ref;
      {
        absl::MutexLock lock(&db->mu_);
        auto [it, inserted] = db->refs_.try_emplace(l, db->series_.size() + 1);
        if (inserted) db->series_.push_back(Stored{l, {}});
        ref = it->second;
      }
      pending_.push_back({ref, Sample{t, v}});
      return ref;
    }
    absl::Status Append(SeriesRef ref, int64_t t, double v) override {
      pending_.push_back({ref, Sample{t, v}});
      return absl::OkStatus();
    }
    absl::StatusOr<CommitResult> Commit() override {
      CommitResult r;
      absl::MutexLock lock(&db->mu_);
      ++db->commits_;
      for (auto& [ref, s] : pending_) {
        std::vector<Sample>& v = db->series_[ref - 1].samples;
        if (!v.empty() && s.t_ms < v.back().t_ms) {
          ++r.rejected_out_of_order;
          if (r.first_error.empty()) r.first_error = "out of order sample";
          continue;
        }
        if (!v.empty() && s.t_ms == v.back().t_ms) {
          if (std::bit_cast<uint64_t>(s.v) != std::bit_cast<uint64_t>(v.back().v)) {
            ++r.rejected_duplicate;
          }
          continue;
        }
        v.push_back(s);
        ++r.appended;
      }
      pending_.clear();
      return r;
    }
    void Rollback() override { pending_.clear(); }

   private:
    std::vector<std::pair<SeriesRef, Sample>> pending_;
  };

  std::unique_ptr<Appender> NewAppender() override {
    return std::make_unique<FakeAppender>(this);
  }
  std::unique_ptr<Querier> NewQuerier(int64_t, int64_t) override { return nullptr; }
  absl::Status SetMetadata(absl::string_view metric, const MetricMetadata& md) override {
    absl::MutexLock lock(&mu_);
    metadata_[std::string(metric)] = md;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::pair<std::string, MetricMetadata>>> Metadata() override {
    absl::MutexLock lock(&mu_);
    return std::vector<std::pair<std::string, MetricMetadata>>(metadata_.begin(),
                                                               metadata_.end());
  }
  absl::Status ApplyRetention(int64_t) override { return absl::OkStatus(); }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::StatusOr<DBStats> Stats(int) override { return DBStats{}; }

  // Rendered "labels t v" lines of everything stored, sorted by labels.
  std::vector<std::string> Dump() {
    absl::MutexLock lock(&mu_);
    std::map<Labels, const Stored*> sorted;
    for (const Stored& s : series_) sorted[s.labels] = &s;
    std::vector<std::string> out;
    for (const auto& [l, s] : sorted) {
      for (const Sample& x : s->samples) out.push_back(absl::StrCat(l.ToString(), " ", x.t_ms, " ", x.v));
    }
    return out;
  }
  int64_t commits() {
    absl::MutexLock lock(&mu_);
    return commits_;
  }
  std::map<std::string, MetricMetadata> metadata() {
    absl::MutexLock lock(&mu_);
    return metadata_;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<Labels, SeriesRef> refs_ ABSL_GUARDED_BY(mu_);
  std::vector<Stored> series_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, MetricMetadata> metadata_ ABSL_GUARDED_BY(mu_);
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(BackfillTest, ImportsOpenMetricsWithMetadataAndSortsSamples) {
  FakeDB db;
  const std::string in =
      "# TYPE req counter\n"
      "# HELP req Requests.\n"
      "req_total{b=\"2\",a=\"1\"} 3 30\n"
      "req_total{a=\"1\",b=\"2\"} 1 10\n"  // same series, other label order, earlier
      "req_total{a=\"1\",b=\"2\"} 2 20\n"
      "req_total{a=\"1\",b=\"2\"} 2 20\n"  // exact duplicate: ignored
      "# TYPE lat_seconds histogram\n"
      "# UNIT lat_seconds seconds\n"
      "lat_seconds_bucket{le=\"+Inf\"} 1 10\n"
      "# EOF\n";
  absl::StatusOr<BackfillResult> r = Backfill(db, in, BackfillOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->format, TextFormat::kOpenMetrics);
  EXPECT_EQ(r->samples_read, 5);
  EXPECT_EQ(r->series, 2);
  EXPECT_EQ(r->appended, 4);
  EXPECT_EQ(r->exact_duplicates, 1);
  EXPECT_EQ(r->rejected(), 0);
  EXPECT_EQ(r->min_time_ms, 10'000);
  EXPECT_EQ(r->max_time_ms, 30'000);
  EXPECT_THAT(db.Dump(), ::testing::ElementsAre(
                             "{__name__=\"lat_seconds_bucket\", le=\"+Inf\"} 10000 1",
                             "{__name__=\"req_total\", a=\"1\", b=\"2\"} 10000 1",
                             "{__name__=\"req_total\", a=\"1\", b=\"2\"} 20000 2",
                             "{__name__=\"req_total\", a=\"1\", b=\"2\"} 30000 3"));
  auto md = db.metadata();
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md["req"], (MetricMetadata{"counter", "Requests.", ""}));
  EXPECT_EQ(md["lat_seconds"], (MetricMetadata{"histogram", "", "seconds"}));
}

// A file larger than one parse slice (1 MiB), so slicing and line offsets are exercised.
std::string BigPrometheusText(int lines, int bad_line) {
  std::string s;
  for (int i = 1; i <= lines; ++i) {
    if (i == bad_line) {
      absl::StrAppend(&s, "m{series=\"", i % 97, "\" 1 ", i, "\n");  // missing '}'
    } else {
      absl::StrAppend(&s, "some_long_metric_name_for_padding{series=\"", i % 97,
                      "\",job=\"backfill-test\"} ", i * 0.5, " ", i * 1000, "\n");
    }
  }
  return s;
}

TEST(BackfillTest, ParallelImportOfLargeFile) {
  FakeDB db;
  const std::string in = BigPrometheusText(40'000, -1);
  ASSERT_GT(in.size(), 2u << 20);
  BackfillOptions opts;
  opts.commit_batch_samples = 1000;
  opts.max_threads = 2;
  absl::StatusOr<BackfillResult> r = Backfill(db, in, opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->format, TextFormat::kPrometheus);
  EXPECT_EQ(r->samples_read, 40'000);
  EXPECT_EQ(r->series, 97);
  EXPECT_EQ(r->appended, 40'000);
  EXPECT_EQ(db.Dump().size(), 40'000u);
  EXPECT_GE(db.commits(), 40);  // batches of 1000
}

TEST(BackfillTest, MalformedLineInLaterSliceStoresNothing) {
  FakeDB db;
  // Existing data must survive a failed import untouched.
  ASSERT_TRUE(Backfill(db, "old_metric 1 5\n", BackfillOptions{}).ok());
  ASSERT_TRUE(db.SetMetadata("keep", MetricMetadata{"gauge", "kept", ""}).ok());
  const std::vector<std::string> before = db.Dump();

  const std::string in = BigPrometheusText(40'000, 33'333);
  absl::StatusOr<BackfillResult> r = Backfill(db, in, BackfillOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("line 33333: expected comma or right brace"));
  EXPECT_EQ(db.Dump(), before);
  EXPECT_EQ(db.metadata().size(), 1u);
}

TEST(BackfillTest, FirstErrorInFileOrderWins) {
  FakeDB db;
  std::string in = BigPrometheusText(40'000, 39'000);
  // A second error earlier in the file.
  const std::string needle = "\"} 5000 10000000\n";
  const size_t at = in.find(needle);
  ASSERT_NE(at, std::string::npos);
  in.replace(at, needle.size(), "\"} x5000 10000000\n");
  absl::StatusOr<BackfillResult> r = Backfill(db, in, BackfillOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("line 10000: invalid sample value \"x5000\""));
}

TEST(BackfillTest, RejectsSampleWithoutTimestamp) {
  FakeDB db;
  absl::StatusOr<BackfillResult> r = Backfill(db, "a 1 10\nb{x=\"y\"} 2\n", BackfillOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("line 2: sample of b{x=\"y\"} has no timestamp"));
  EXPECT_TRUE(db.Dump().empty());
}

// Before: any label set was imported (there were no limits).
TEST(BackfillTest, SeriesOverLabelLimitsFailsWithItsLineAndStoresNothing) {
  FakeDB db;
  std::string wide = "wide{";
  for (int i = 0; i < 200; ++i) absl::StrAppend(&wide, i ? "," : "", "l", i, "=\"v\"");
  wide += "} 1 10\n";
  const std::string in = "a 1 10\n" + wide + "b 2 10\n";
  absl::StatusOr<BackfillResult> r = Backfill(db, in, BackfillOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_EQ(r.status().message(),
            "line 2: label_limit exceeded (metric: wide, number of labels: 201, limit: 128)");
  EXPECT_TRUE(db.Dump().empty());
  // A long value, with the limit from the options.
  BackfillOptions opts;
  opts.series_limits.label_value_length_limit = 8;
  r = Backfill(db, "a{x=\"0123456789\"} 1 10\n", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "line 1: label_value_length_limit exceeded (metric: a, label name: x, value: "
            "\"0123456789\", length: 10, limit: 8)");
  // Limits off: the wide series is imported.
  opts.series_limits = SeriesLimits{};
  r = Backfill(db, in, opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->appended, 3);
}

TEST(BackfillTest, SampleTooFarInFutureFailsTheParseWithItsLine) {
  FakeDB db;
  BackfillOptions opts;
  opts.now_ms = 1'700'000'000'000;
  opts.max_future_ms = 2 * 3'600'000;
  // 7,200,000 ms ahead is at the limit (accepted); the year-3000 sample on line 3 is not.
  const std::string in =
      "a 1 1700000000000\na 2 1700007200000\nb{x=\"y\"} 3 32503680000000\nc 4 1700000000000\n";
  absl::StatusOr<BackfillResult> r = Backfill(db, in, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("line 3: sample of b{x=\"y\"} at timestamp 32503680000000 is too far in "
                        "the future (more than 2h after the current time; limit set by "
                        "--storage.tsdb.max-future)"));
  EXPECT_TRUE(db.Dump().empty());
  // 0 disables the check.
  opts.max_future_ms = 0;
  ASSERT_TRUE(Backfill(db, in, opts).ok());
}

TEST(BackfillTest, CountsRejectionsFromTheDB) {
  FakeDB db;
  ASSERT_TRUE(Backfill(db, "a 1 100\n", BackfillOptions{}).ok());
  // 50 is older than the stored 100 (out of order); 100 with another value is a duplicate.
  absl::StatusOr<BackfillResult> r =
      Backfill(db, "a 9 50\na 2 100\na 3 200\n", BackfillOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->appended, 1);
  EXPECT_EQ(r->rejected_out_of_order, 1);
  EXPECT_EQ(r->rejected_duplicate, 1);
  EXPECT_EQ(r->first_rejection, "out of order sample");
}

TEST(BackfillTest, ExplicitFormatOverridesDetection) {
  FakeDB db;
  // Seconds in OpenMetrics: 1.5 s -> 1500 ms; the same line as text would be invalid.
  BackfillOptions om;
  om.format = TextFormat::kOpenMetrics;
  absl::StatusOr<BackfillResult> r = Backfill(db, "a 1 1.5\n# EOF\n", om);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->min_time_ms, 1500);
  BackfillOptions prom;
  prom.format = TextFormat::kPrometheus;
  EXPECT_FALSE(Backfill(db, "a 1 1.5\n", prom).ok());
}

TEST(BackfillTest, CancelledBeforeWritingStoresNothing) {
  FakeDB db;
  std::atomic<bool> cancel{true};
  BackfillOptions opts;
  opts.cancel = &cancel;
  absl::StatusOr<BackfillResult> r = Backfill(db, BigPrometheusText(40'000, -1), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsCancelled(r.status()));
  EXPECT_TRUE(db.Dump().empty());
  EXPECT_TRUE(db.metadata().empty());
}

// A shuffled file (samples of a series in any order, label sets spelled two ways, exact
// duplicates, same-timestamp conflicts, a series that exists only late in the file) imported
// in many small windows must store exactly what one unbounded window stores, with the same
// counters.
std::string ShuffledInput(int series, int points) {
  std::vector<std::string> lines;
  for (int p = 0; p < points; ++p) {
    for (int s = 0; s < series; ++s) {
      const int64_t t = 1'000'000 + int64_t{p} * 15'000 + (s % 7) * 1000;
      if (s % 2 == 0) {
        lines.push_back(absl::StrCat("m{a=\"", s, "\",b=\"x\"} ", (p * 31 + s) % 97, " ", t, "\n"));
      } else {
        lines.push_back(absl::StrCat("m{b=\"x\",a=\"", s, "\"} ", (p * 31 + s) % 97, " ", t, "\n"));
      }
      if (p % 50 == 0) lines.push_back(lines.back());  // exact duplicate
      if (p % 77 == 0 && s % 3 == 0) {                   // same timestamp, other value
        lines.push_back(absl::StrCat("m{a=\"", s, "\",b=\"x\"} 1e9 ", t, "\n"));
      }
    }
  }
  // Deterministic shuffle.
  uint64_t x = 88172645463325252ull;
  for (size_t i = lines.size() - 1; i > 0; --i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::swap(lines[i], lines[x % (i + 1)]);
  }
  std::string in = "# TYPE m gauge\n";
  for (const std::string& l : lines) in += l;
  return in;
}

TEST(BackfillTest, BoundedMemoryImportStoresTheSameAsUnbounded) {
  const std::string in = ShuffledInput(300, 400);  // ~125k samples, ~4.5 MB
  FakeDB whole, windowed;
  auto a = Backfill(whole, in, BackfillOptions{.max_threads = 2});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->windows, 1);
  auto b = Backfill(windowed, in,
                    BackfillOptions{.max_threads = 2, .commit_batch_samples = 1000,
                                    .max_memory_bytes = 1 << 20});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_GT(b->windows, 3);
  EXPECT_GT(a->exact_duplicates, 0);
  EXPECT_GT(a->rejected_duplicate, 0);
  EXPECT_EQ(a->rejected_out_of_order, 0);
  EXPECT_EQ(b->samples_read, a->samples_read);
  EXPECT_EQ(b->series, a->series);
  EXPECT_EQ(b->series, 300);
  EXPECT_EQ(b->appended, a->appended);
  EXPECT_EQ(b->exact_duplicates, a->exact_duplicates);
  EXPECT_EQ(b->rejected_duplicate, a->rejected_duplicate);
  EXPECT_EQ(b->rejected_out_of_order, 0);
  EXPECT_EQ(b->min_time_ms, a->min_time_ms);
  EXPECT_EQ(b->max_time_ms, a->max_time_ms);
  EXPECT_EQ(windowed.metadata().size(), 1u);
  const std::vector<std::string> wd = windowed.Dump(), ad = whole.Dump();
  ASSERT_EQ(wd.size(), ad.size());
  for (size_t i = 0; i < wd.size(); ++i) ASSERT_EQ(wd[i], ad[i]) << "sample " << i;
}

// Many series at a single timestamp: a window cannot be narrowed in time, so it is split
// by series shard.
TEST(BackfillTest, BoundedMemoryImportSplitsOneTimestampBySeries) {
  std::string in;
  for (int s = 0; s < 60000; ++s) absl::StrAppend(&in, "one{s=\"", s, "\"} ", s, " 5000\n");
  FakeDB whole, windowed;
  auto a = Backfill(whole, in, BackfillOptions{});
  auto b = Backfill(windowed, in, BackfillOptions{.max_memory_bytes = 1 << 20});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT(b->windows, 1);
  EXPECT_EQ(b->appended, 60000);
  EXPECT_EQ(windowed.Dump(), whole.Dump());
}

TEST(BackfillTest, BoundedMemorySyntaxErrorAtTheEndStoresNothing) {
  std::string in = ShuffledInput(200, 200);
  const int64_t lines = std::count(in.begin(), in.end(), '\n');
  in += "m{a=\"1\" 2 3\n";
  FakeDB db;
  auto r = Backfill(db, in, BackfillOptions{.max_memory_bytes = 1 << 20});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(absl::StrCat("line ", lines + 1, ":")));
  EXPECT_TRUE(db.Dump().empty());
  EXPECT_TRUE(db.metadata().empty());
}

}  // namespace
}  // namespace tally::storage
