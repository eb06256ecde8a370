// Kills a writer process with SIGKILL mid-append and checks that every acknowledged batch
// is present after reopening (the durability contract of docs/storage.md).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "gtest/gtest.h"
#include "storage/db.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

constexpr int kSeries = 50;

Labels SeriesLabels(int s) { return Labels{{"__name__", "crash"}, {"s", std::to_string(s)}}; }
double Value(int batch, int s) { return batch * 1000.0 + s + 0.25; }

// Child: appends batch after batch (each batch one sample per series at t = batch*1000) and
// reports each acknowledged batch number on `fd`. Never returns.
[[noreturn]] void RunWriter(const std::string& dir, int first_batch, int fd) {
  DBOptions o = testutil::TestOptions(dir);
  o.max_chunk_span_ms = 50'000;  // seal often so chunk writes and WAL truncation interleave
  auto db = DB::Open(o);
  if (!db.ok()) _exit(3);
  for (int b = first_batch;; ++b) {
    auto app = (*db)->NewAppender();
    for (int s = 0; s < kSeries; ++s) {
      if (!app->Append(SeriesLabels(s), int64_t{b} * 1000, Value(b, s)).ok()) _exit(4);
    }
    auto r = app->Commit();
    if (!r.ok() || r->rejected() != 0) _exit(5);
    if (write(fd, &b, sizeof(b)) != sizeof(b)) _exit(6);
  }
}

// Runs a writer child until it acknowledged `want` batches (or 20 s passed), kills it and
// returns the last acknowledged batch.
int WriteAndKill(const std::string& dir, int first_batch, int want) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    RunWriter(dir, first_batch, fds[1]);
  }
  close(fds[1]);
  int last = first_batch - 1, got = 0, b;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got < want && std::chrono::steady_clock::now() < deadline &&
         read(fds[0], &b, sizeof(b)) == sizeof(b)) {
    EXPECT_EQ(b, last + 1);
    last = b;
    ++got;
  }
  kill(pid, SIGKILL);
  // Drain acknowledgements written before the kill landed.
  while (read(fds[0], &b, sizeof(b)) == sizeof(b)) last = b;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "writer exited early with status " << WEXITSTATUS(status);
  return last;
}

void ExpectBatchesPresent(DB* db, int last_acked) {
  auto q = db->NewQuerier(kMinTime, kMaxTime);
  auto m = Matcher::Make(MatchType::kEqual, "__name__", "crash");
  auto set = q->Select({*m});
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), static_cast<size_t>(kSeries));
  for (const auto& series : *set) {
    const int s = std::stoi(std::string(series->labels().Get("s")));
    std::vector<Sample> out;
    ASSERT_TRUE(series->Samples(kMinTime, kMaxTime, &out).ok());
    // Every acknowledged batch, plus possibly the one in flight when the kill hit.
    ASSERT_GE(out.size(), static_cast<size_t>(last_acked + 1)) << "series " << s;
    ASSERT_LE(out.size(), static_cast<size_t>(last_acked + 2)) << "series " << s;
    for (size_t b = 0; b < out.size(); ++b) {
      ASSERT_EQ(out[b].t_ms, static_cast<int64_t>(b) * 1000) << "series " << s;
      ASSERT_EQ(out[b].v, Value(static_cast<int>(b), s)) << "series " << s;
    }
  }
}

TEST(CrashRecoveryTest, EveryAcknowledgedSampleSurvivesSigkill) {
  testutil::TempDir dir;
  const int last1 = WriteAndKill(dir.path(), 0, 300);
  ASSERT_GT(last1, 10) << "writer made too little progress";
  RecordProperty("acked_first_run", last1);
  int resume;
  {
    auto db = DB::Open(testutil::TestOptions(dir.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    ExpectBatchesPresent(db->get(), last1);
    std::vector<Sample> probe;
    auto q = (*db)->NewQuerier(kMinTime, kMaxTime);
    auto set = q->Select({*Matcher::Make(MatchType::kEqual, "s", "0")});
    ASSERT_TRUE(set.ok());
    ASSERT_TRUE((*set)[0]->Samples(kMinTime, kMaxTime, &probe).ok());
    resume = static_cast<int>(probe.size());
  }
  // A second crash on top of a replayed head.
  const int last2 = WriteAndKill(dir.path(), resume, 150);
  ASSERT_GT(last2, resume);
  auto db = DB::Open(testutil::TestOptions(dir.path()));
  ASSERT_TRUE(db.ok()) << db.status();
  ExpectBatchesPresent(db->get(), last2);
}

}  // namespace
}  // namespace tally::storage
