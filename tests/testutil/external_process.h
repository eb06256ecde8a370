// Helpers for end-to-end tests that drive real external binaries (Prometheus, promtool,
// Alertmanager) on loopback: presence checks, a free port, a child process that is always
// reaped, and a bounded poll loop. Test-only.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace tally::testutil {

// True when `path` exists and is executable.
bool HaveBinary(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int FreePort();

// A child process with stdout and stderr redirected to `log_path`. The destructor sends
// SIGTERM, waits up to 10 s, then SIGKILLs, so no test leaves a process behind.
class ChildProcess {
 public:
  // argv[0] is `binary`; `args` follow. nullptr when fork fails.
  static std::unique_ptr<ChildProcess> Start(const std::string& binary,
                                             const std::vector<std::string>& args,
                                             const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // False once the child has exited (reaps it).
  bool Running();
  // The log so far (for failure messages).
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
};

// The outcome of RunToCompletion: exit code (128 + signal when killed; -1 when it could not
// start), and what the process wrote to stdout and stderr.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `binary` with `args` to completion, stdin from `stdin_path`, stdout and stderr
// captured through files named `<capture_prefix>.stdout.N` / `.stderr.N`. Killed (and the
// test failed) after `timeout`; a spawn failure fails the test too.
RunResult RunToCompletion(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& capture_prefix,
                          const std::string& stdin_path = "/dev/null",
                          absl::Duration timeout = absl::Seconds(120));

// Polls `done` every `every` until it returns true or `timeout` passes; returns its last
// result. External processes have no completion signal to wait on, hence polling.
bool PollUntil(const std::function<bool()>& done, absl::Duration timeout,
               absl::Duration every = absl::Milliseconds(100));

// A blocking HTTP/1.0 GET on 127.0.0.1:port (the server closes the connection after the
// answer): the body of a 200, "" otherwise (refused, timeout, other status). Bounded by
// 5 s socket timeouts and a 64 MiB body.
std::string HttpGet(int port, const std::string& target);

}  // namespace tally::testutil
