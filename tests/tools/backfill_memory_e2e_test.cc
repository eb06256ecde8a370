// `tally backfill --max-memory`: a file several times larger than the bound imports exactly
// what an unbounded import stores, with a peak RSS (read from wait4() of the child) that
// does not grow with the file.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::tools {
namespace {

// The bounded import may use at most this much more than importing a 4-scrape file:
// the 8 MiB bound, chunk buffers and the DB's growth with 1.6M more samples.
constexpr int64_t kRssSlackKib = 64 * 1024;

struct Measured {
  int exit_code = -1;
  int64_t max_rss_kib = 0;
};

// Runs build/tally with args (output to /dev/null), waits at most 300 s, returns its exit
// code and peak RSS.
Measured RunMeasured(const std::vector<std::string>& args) {
  std::vector<std::string> argv_s = {TALLY_BINARY_DIR "/tally"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  Measured r;
  if (pid < 0) return r;
  const absl::Time deadline = absl::Now() + absl::Seconds(300);
  int status = 0;
  struct rusage ru {};
  while (true) {
    const pid_t w = ::wait4(pid, &status, WNOHANG, &ru);
    if (w == pid) break;
    if (absl::Now() > deadline) {
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &ru);
      ADD_FAILURE() << "tally " << args[0] << " timed out";
      return r;
    }
    ::usleep(20'000);
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.max_rss_kib = ru.ru_maxrss;
  return r;
}

// ~75 MB of Prometheus text: 2500 series x 640 points, in scrape order, with every 100th
// scrape written after the one following it (out of order within the file).
void WriteInput(const std::string& path, int series, int points) {
  std::ofstream f(path, std::ios::binary);
  std::string block;
  auto scrape = [&](int p) {
    block.clear();
    for (int s = 0; s < series; ++s) {
      absl::StrAppend(&block, "bf_mem_metric{job=\"j", s % 10, "\",instance=\"host-", s,
                      "\"} ", (p * 13 + s) % 1000, " ", int64_t{1'700'000'000'000} + p * 15'000,
                      "\n");
    }
    f << block;
  };
  for (int p = 0; p < points; ++p) {
    if (p % 100 == 1 && p + 1 < points) {
      scrape(p + 1);
      scrape(p);
      ++p;
      continue;
    }
    scrape(p);
  }
}

TEST(BackfillMemoryE2ETest, BoundedImportOfLargeFileMatchesUnboundedWithBoundedRss) {
  testutil::TempDir dir;
  const std::string in = dir.Sub("in.prom");
  WriteInput(in, 2500, 640);  // 1.6M samples
  const std::string small = dir.Sub("small.prom");
  WriteInput(small, 2500, 4);

  Measured base = RunMeasured({"backfill", "--storage.tsdb.max-future=0", "--storage.tsdb.retention.time=100000d",
                          "--storage.tsdb.path", dir.Sub("d0"), small});
  Measured whole = RunMeasured({"backfill", "--max-memory=0", "--storage.tsdb.max-future=0",
                           "--storage.tsdb.retention.time=100000d", "--storage.tsdb.path",
                           dir.Sub("d1"), in});
  Measured bounded = RunMeasured({"backfill", "--max-memory=8MiB", "--storage.tsdb.max-future=0",
                             "--storage.tsdb.retention.time=100000d", "--storage.tsdb.path",
                             dir.Sub("d2"), in});
  ASSERT_EQ(base.exit_code, 0);
  ASSERT_EQ(whole.exit_code, 0);
  ASSERT_EQ(bounded.exit_code, 0);
  std::printf("peak RSS: small file %lld KiB, unbounded %lld KiB, --max-memory=8MiB %lld KiB\n",
              static_cast<long long>(base.max_rss_kib), static_cast<long long>(whole.max_rss_kib),
              static_cast<long long>(bounded.max_rss_kib));
  EXPECT_LT(bounded.max_rss_kib, whole.max_rss_kib / 2);
  EXPECT_LT(bounded.max_rss_kib, base.max_rss_kib + kRssSlackKib);

  testutil::RunResult d1 = testutil::RunToCompletion(
      TALLY_BINARY_DIR "/tally", {"tsdb", "dump", "--storage.tsdb.path", dir.Sub("d1")},
      dir.Sub("dump1"));
  testutil::RunResult d2 = testutil::RunToCompletion(
      TALLY_BINARY_DIR "/tally", {"tsdb", "dump", "--storage.tsdb.path", dir.Sub("d2")},
      dir.Sub("dump2"));
  ASSERT_EQ(d1.exit_code, 0) << d1.err;
  ASSERT_EQ(d2.exit_code, 0) << d2.err;
  EXPECT_EQ(std::count(d1.out.begin(), d1.out.end(), '\n'), 2500 * 640);
  EXPECT_TRUE(d1.out == d2.out) << "dumps differ (" << d1.out.size() << " vs " << d2.out.size()
                                << " bytes)";
}

TEST(BackfillMemoryE2ETest, SyntaxErrorAtTheEndOfLargeFileStoresNothing) {
  testutil::TempDir dir;
  const std::string in = dir.Sub("in.prom");
  WriteInput(in, 1000, 200);
  { std::ofstream(in, std::ios::app) << "bf_mem_metric{job=\"x\" 1 2\n"; }
  testutil::RunResult r = testutil::RunToCompletion(
      TALLY_BINARY_DIR "/tally",
      {"backfill", "--max-memory=8MiB", "--storage.tsdb.max-future=0", "--storage.tsdb.path",
       dir.Sub("d"), in},
      dir.Sub("bf"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 200001:"), std::string::npos) << r.err;
  testutil::RunResult d = testutil::RunToCompletion(
      TALLY_BINARY_DIR "/tally", {"tsdb", "dump", "--storage.tsdb.path", dir.Sub("d")},
      dir.Sub("dump"));
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, "");
}

// stdin from a pipe is spooled (to an unlinked file in the data dir) and imported in
// windows like a file.
TEST(BackfillMemoryE2ETest, PipedStdinIsSpooledAndImportedInWindows) {
  testutil::TempDir dir;
  const std::string in = dir.Sub("in.prom");
  WriteInput(in, 500, 200);
  testutil::RunResult r = testutil::RunToCompletion(
      "/bin/sh",
      {"-c", absl::StrCat("cat ", in, " | " TALLY_BINARY_DIR "/tally backfill --max-memory=1MiB "
                          "--storage.tsdb.max-future=0 --storage.tsdb.retention.time=100000d "
                          "--storage.tsdb.path ",
                          dir.Sub("d"), " -")},
      dir.Sub("bf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("samples stored:    100000\n"), std::string::npos) << r.out;
  int leftovers = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.Sub("d"))) {
    if (e.path().filename().string().rfind(".backfill-spool", 0) == 0) ++leftovers;
  }
  EXPECT_EQ(leftovers, 0);
}

}  // namespace
}  // namespace tally::tools
