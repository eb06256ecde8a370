#include "tests/testutil/child_process.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "absl/time/clock.h"

namespace tally::testutil {

ChildResult RunInChild(const std::function<int()>& fn, int64_t extra_address_space_bytes,
                       int seconds) {
  long pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  const int64_t limit = static_cast<int64_t>(pages) * sysconf(_SC_PAGESIZE) +
                        extra_address_space_bytes;
  const absl::Time start = absl::Now();
  ChildResult out;
  const pid_t pid = fork();
  if (pid == 0) {
    rlimit lim{static_cast<rlim_t>(limit), static_cast<rlim_t>(limit)};
    setrlimit(RLIMIT_AS, &lim);
    alarm(static_cast<unsigned>(seconds));
    _exit(fn());
  }
  if (pid < 0) return out;
  int status = 0;
  rusage ru{};
  const absl::Time deadline = absl::Now() + absl::Seconds(seconds + 10);
  while (wait4(pid, &status, WNOHANG, &ru) == 0) {
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      wait4(pid, &status, 0, &ru);
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  out.elapsed = absl::Now() - start;
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  out.max_rss_bytes = static_cast<int64_t>(ru.ru_maxrss) * 1024;
  return out;
}

}  // namespace tally::testutil
