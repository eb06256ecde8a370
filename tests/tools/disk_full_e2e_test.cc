// End-to-end: `tally serve` (build/tally, a subprocess) on a small tmpfs that fills up.
// Writes must answer 503 while the disk is full, the process must stay up with /-/healthy
// 200 and queries working, /-/ready and /metrics must say the store is read-only and why,
// and writes must resume by themselves once space is back. Needs permission to mount a
// tmpfs (root in the build container); skips otherwise. Every wait is bounded.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/ingest/remote_write.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/temp_dir.h"

extern char** environ;

namespace tally::tools {
namespace {

using tally::testing::ClientResponse;
using tally::testing::HttpClient;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr int kMountMiB = 32;
constexpr int kFillerMiB = 20;  // freed later; larger than what the store writes meanwhile

// A tmpfs mounted at `path` for the object's life.
class TmpfsMount {
 public:
  explicit TmpfsMount(const std::string& path) : path_(path) {
    std::filesystem::create_directories(path);
    const std::string opts = absl::StrCat("size=", kMountMiB, "m");
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, opts.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// build/tally serve as a child process; SIGKILLed on destruction if still running.
class ServeProcess {
 public:
  ServeProcess(const std::string& data, int port, const std::string& log) {
    const std::string bin = TALLY_BINARY_DIR "/tally";
    std::vector<std::string> args = {bin, "serve", "--storage.tsdb.path=" + data,
                                     absl::StrCat("--web.listen-address=127.0.0.1:", port)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~ServeProcess() {
    if (pid_ > 0 && Running()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool Running() {
    if (pid_ <= 0 || exited_) return false;
    if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }
  // SIGTERM, then waits up to `limit`; returns the exit code (or 128+signal, -1 on timeout).
  int Stop(std::chrono::seconds limit) {
    if (!Running()) return exit_code();
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + limit;
    while (Running() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Running() ? -1 : exit_code();
  }
  int exit_code() const {
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

int FreePort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(0)});
  return a.local_endpoint().port();
}

// One remote-write body: `series` series of one sample each at t_ms.
std::string WriteBody(int round, int series, int64_t t_ms) {
  std::vector<storage::RemoteSeriesInput> in;
  for (int s = 0; s < series; ++s) {
    in.push_back({{{"__name__", "disk_fill"},
                   {"round", std::to_string(round % 50)},
                   {"s", std::to_string(s)}},
                  {{t_ms, static_cast<double>(round)}}});
  }
  std::string proto;
  storage::EncodeWriteRequest(in, {}, &proto);
  return storage::SnappyCompressBlock(proto);
}

ClientResponse PostWrite(HttpClient& c, const std::string& body) {
  return c.Do("POST", "/api/v1/write", body,
              {{"Content-Type", "application/x-protobuf"},
               {"Content-Encoding", "snappy"},
               {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
}

TEST(DiskFullE2ETest, FullDiskMakesStoreReadOnlyAndWritesResumeWhenSpaceIsBack) {
  if (access(TALLY_BINARY_DIR "/tally", X_OK) != 0) GTEST_SKIP() << "build/tally not built";
  testutil::TempDir dir;
  const std::string mnt = dir.Sub("mnt");
  TmpfsMount mount(mnt);
  if (!mount.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << mount.error()
                 << "); the disk-full test needs CAP_SYS_ADMIN";
  }
  // The filler is created first so that deleting it later gives the space back.
  {
    std::ofstream filler(mnt + "/filler", std::ios::binary);
    const std::string mib(1 << 20, 'x');
    for (int i = 0; i < kFillerMiB; ++i) filler << mib;
    ASSERT_TRUE(filler.good());
  }
  const int port = FreePort();
  ServeProcess serve(mnt + "/data", port, dir.Sub("serve.log"));
  auto log = [&] {
    std::ifstream f(dir.Sub("serve.log"));
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  HttpClient client(port);
  {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline && !client.Get("/-/ready").ok) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(client.Get("/-/ready").status, 200) << log();
  }

  // Write until the disk is full.
  std::set<int> codes_while_filling;
  const int64_t t0 = absl::ToUnixMillis(absl::Now()) - 3'600'000;
  int round = 0;
  int first_503_round = -1;
  {
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline) {
      ClientResponse r = PostWrite(client, WriteBody(round, 2000, t0 + round * 1000));
      ASSERT_TRUE(r.ok) << "server gone while filling the disk: " << r.error << "\n" << log();
      codes_while_filling.insert(r.status);
      ++round;
      if (r.status == 503) {
        first_503_round = round;
        EXPECT_THAT(r.body, HasSubstr("No space left on device"));
        break;
      }
      ASSERT_EQ(r.status, 204) << r.body;
    }
  }
  ASSERT_GT(first_503_round, 0) << "the disk never filled up";

  // Still up, read-only, and saying why; further writes keep answering 503.
  for (int i = 0; i < 5; ++i) {
    ClientResponse r = PostWrite(client, WriteBody(round, 2000, t0 + round * 1000));
    ASSERT_TRUE(r.ok) << "server died on a write to a full disk: " << r.error << "\n" << log();
    EXPECT_EQ(r.status, 503) << r.body;
    ++round;
  }
  ASSERT_TRUE(serve.Running()) << log();
  EXPECT_EQ(client.Get("/-/healthy").status, 200);
  ClientResponse ready = client.Get("/-/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_THAT(ready.body, HasSubstr("Storage is read-only: "));
  EXPECT_THAT(ready.body, HasSubstr("No space left on device"));
  ClientResponse metrics = client.Get("/metrics");
  EXPECT_THAT(metrics.body, HasSubstr("\ntally_storage_read_only 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("tally_storage_read_only_reason{reason=\""));
  ClientResponse q = client.Get("/api/v1/query?query=count(disk_fill)");
  EXPECT_EQ(q.status, 200) << q.body;
  EXPECT_THAT(q.body, HasSubstr("\"status\":\"success\""));

  // Space back: writes resume by themselves, within a bounded time.
  std::filesystem::remove(mnt + "/filler");
  const auto freed = Clock::now();
  std::set<int> codes_while_recovering;
  bool resumed = false;
  while (Clock::now() - freed < std::chrono::seconds(60)) {
    ClientResponse r = PostWrite(client, WriteBody(round, 100, t0 + round * 1000));
    ASSERT_TRUE(r.ok) << "server gone while recovering: " << r.error << "\n" << log();
    codes_while_recovering.insert(r.status);
    ++round;
    if (r.status == 204) {
      resumed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double recovery_s = std::chrono::duration<double>(Clock::now() - freed).count();
  ASSERT_TRUE(resumed) << "writes did not resume within 60 s of freeing space\n" << log();
  EXPECT_THAT(client.Get("/metrics").body, HasSubstr("\ntally_storage_read_only 0\n"));
  EXPECT_THAT(client.Get("/-/ready").body, ::testing::Not(HasSubstr("read-only")));

  std::string seen;
  for (int c : codes_while_filling) absl::StrAppend(&seen, c, " ");
  absl::StrAppend(&seen, "| after freeing: ");
  for (int c : codes_while_recovering) absl::StrAppend(&seen, c, " ");
  std::printf("disk-full sequence: first 503 after %d writes; codes %s; recovery %.2f s\n",
              first_503_round, seen.c_str(), recovery_s);
  RecordProperty("recovery_seconds", std::to_string(recovery_s));
  EXPECT_EQ(serve.Stop(std::chrono::seconds(60)), 0) << log();
}

}  // namespace
}  // namespace tally::tools
