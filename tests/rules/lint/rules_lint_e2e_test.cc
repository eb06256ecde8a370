// End to end: build/tally generate + backfill sample data, then `tally rules lint` on the
// seed's original rules, checking the findings the seed is known to have, with file:line.
// Skips when build/tally has not been built.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testutil/temp_dir.h"

extern char** environ;

namespace tally::rules::lint {
namespace {

using ::testing::HasSubstr;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs build/tally with `args`; killed after 120 s.
RunResult Tally(const testutil::TempDir& dir, const std::vector<std::string>& args) {
  static int n = 0;
  const std::string out = dir.Sub(absl::StrCat("out.", n)),
                    err = dir.Sub(absl::StrCat("err.", n++));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::string bin = TALLY_BINARY_DIR "/tally";
  std::vector<char*> argv{const_cast<char*>(bin.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  RunResult r;
  pid_t pid;
  int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    ADD_FAILURE() << "spawn failed: " << rc;
    return r;
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "tally timed out";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

// The line of `needle` (1-based) in `path`.
int LineOf(const std::string& path, const std::string& needle) {
  std::ifstream f(path);
  std::string line;
  for (int i = 1; std::getline(f, line); ++i) {
    if (line.find(needle) != std::string::npos) return i;
  }
  return 0;
}

// A loopback port that was free a moment ago.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// `tally serve` in the background; killed (SIGTERM, then SIGKILL) on destruction.
class Server {
 public:
  Server(const testutil::TempDir& dir, const std::string& data, int port) {
    const std::string bin = TALLY_BINARY_DIR "/tally";
    const std::string log = dir.Sub("serve.log");
    std::vector<std::string> args = {bin,
                                     "serve",
                                     "--storage.tsdb.path",
                                     data,
                                     "--web.listen-address",
                                     absl::StrCat("127.0.0.1:", port)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    // Ready when the log says so (bounded: 30 s).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      if (Slurp(log).find("ready to receive web requests") != std::string::npos) {
        ready_ = true;
        break;
      }
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~Server() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  bool ready() const { return ready_; }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
};

class RulesLintE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(TALLY_BINARY_DIR "/tally")) {
      GTEST_SKIP() << "build/tally not built (cmake --build build --target tally)";
    }
  }
  testutil::TempDir dir_;
};

TEST_F(RulesLintE2ETest, SeedRulesReportBudgetProjectedToExceedManyToMany) {
  const std::string rules = TALLY_SOURCE_DIR "/examples/llm-cost-tracker/seed-rules.yml";
  const std::string data = dir_.Sub("data"), om = dir_.Sub("seed.om");
  RunResult g = Tally(dir_, {"generate", "--hours", "5", "--start", "1795910400000", "--out", om});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  RunResult b = Tally(dir_, {"backfill", "--storage.tsdb.path", data, om});
  ASSERT_EQ(b.exit_code, 0) << b.err;

  RunResult l = Tally(dir_, {"rules", "lint", "--storage.tsdb.path", data, rules});
  EXPECT_EQ(l.exit_code, 1) << l.err;  // errors found
  // The expression of BudgetProjectedToExceed starts on the line after its `expr: |`.
  const int line = LineOf(rules, "predict_linear(llm:cost_per_model_24h[4h], 24*3600)");
  ASSERT_GT(line, 0);
  const std::string prefix = absl::StrCat(rules, ":", line, ": error: BudgetProjectedToExceed: ");
  EXPECT_THAT(l.out, HasSubstr(prefix)) << l.out;
  const size_t at = l.out.find(prefix);
  ASSERT_NE(at, std::string::npos);
  const std::string finding = l.out.substr(at, l.out.find('\n', at) - at);
  EXPECT_THAT(finding, HasSubstr("multiple matches for labels"));
  EXPECT_THAT(finding, HasSubstr("series per match group on (application)"));

  // Other seed problems, each on its own rule.
  EXPECT_THAT(l.out, HasSubstr("error: HighCPULoadSustained: rate() is for counters but "
                               "llm_cost_tracker_cpu_usage_ratio has TYPE gauge"));
  EXPECT_THAT(l.out, HasSubstr("error: llm:tokens_per_request: always returns nothing"));
  // The generator has no slow-query counter (it does write the health-check ratio).
  EXPECT_THAT(l.out, HasSubstr("error: DatabaseSlowQueries: always returns nothing on this data: "
                               "llm_cost_tracker_database_slow_queries_total[5m] matches no "
                               "series"));
  EXPECT_THAT(l.out, ::testing::Not(HasSubstr("error: HealthCheckFailing")));
  // A sound rule has no finding but its name warning.
  EXPECT_THAT(l.out, ::testing::Not(HasSubstr("error: llm:latency_p95_5m")));
}

TEST_F(RulesLintE2ETest, UsageErrorsExitTwo) {
  EXPECT_EQ(Tally(dir_, {"rules", "lint"}).exit_code, 2);
  EXPECT_EQ(Tally(dir_, {"rules", "lint", "--bogus", "x.yml"}).exit_code, 2);
  EXPECT_EQ(Tally(dir_, {"rules", "lint", "--time", "yesterday-ish", "x.yml"}).exit_code, 2);
}

TEST_F(RulesLintE2ETest, CleanRulesExitZero) {
  const std::string data = dir_.Sub("data"), om = dir_.Sub("d.om"), rules = dir_.Sub("ok.yml");
  ASSERT_EQ(
      Tally(dir_, {"generate", "--hours", "1", "--start", "1795910400000", "--out", om}).exit_code,
      0);
  ASSERT_EQ(Tally(dir_, {"backfill", "--storage.tsdb.path", data, om}).exit_code, 0);
  std::ofstream(rules)
      << "groups:\n- name: ok\n  rules:\n"
         "  - record: application:llm_requests:rate5m\n"
         "    expr: sum by (application) (rate(llm_cost_tracker_requests_total[5m]))\n"
         "  - alert: ManyRequests\n"
         "    expr: application:llm_requests:rate5m > 1e9\n"
         "    annotations:\n"
         "      summary: \"{{ $labels.application }}\"\n";
  RunResult l = Tally(dir_, {"rules", "lint", "--storage.tsdb.path", data, rules});
  EXPECT_EQ(l.exit_code, 0) << l.out << l.err;
  EXPECT_EQ(l.out, "");
}

TEST_F(RulesLintE2ETest, UrlModeFindsWhatTheDataDirModeFinds) {
  const std::string rules = TALLY_SOURCE_DIR "/examples/llm-cost-tracker/seed-rules.yml";
  const std::string data = dir_.Sub("data"), om = dir_.Sub("seed.om");
  ASSERT_EQ(
      Tally(dir_, {"generate", "--hours", "3", "--start", "1795910400000", "--out", om}).exit_code,
      0);
  ASSERT_EQ(Tally(dir_, {"backfill", "--storage.tsdb.path", data, om}).exit_code, 0);
  // The newest generated sample: 3 h after the start, less one 15 s step and 1 ms jitter.
  const std::string at = "1795921184.999";
  RunResult local =
      Tally(dir_, {"rules", "lint", "--time", at, "--storage.tsdb.path", data, rules});
  ASSERT_EQ(local.exit_code, 1) << local.err;
  ASSERT_THAT(local.out, HasSubstr("BudgetProjectedToExceed"));

  const int port = FreePort();
  ASSERT_GT(port, 0);
  Server server(dir_, data, port);
  if (!server.ready()) GTEST_SKIP() << "tally serve did not start on port " << port;
  RunResult remote = Tally(dir_, {"rules", "lint", "--time", at, "--url",
                                  absl::StrCat("http://127.0.0.1:", port), rules});
  EXPECT_EQ(remote.exit_code, 1) << remote.err;
  EXPECT_EQ(remote.out, local.out);
  EXPECT_EQ(Tally(dir_, {"rules", "lint", "--url", "http://127.0.0.1:1", "--storage.tsdb.path",
                         data, rules})
                .exit_code,
            2);
}

}  // namespace
}  // namespace tally::rules::lint
