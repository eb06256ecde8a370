// ProgressReporter: a background thread that shows a long job's progress on stderr. When
// stderr is a terminal it redraws one status line (`\r...`) every second; otherwise it
// logs an info line every `log_every` so piped runs leave a trace. `render` is called on
// the reporter thread and must be thread-safe (typically it reads atomics). Stop() (or the
// destructor) ends the thread promptly and clears the status line.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace tally::tools {

class ProgressReporter {
 public:
  ProgressReporter(std::function<std::string()> render, absl::Duration log_every);
  ~ProgressReporter();
  void Stop();

 private:
  void Loop();

  std::function<std::string()> render_;
  absl::Duration log_every_;
  bool tty_;
  absl::Notification done_;
  std::thread thread_;
};

// Human-readable helpers shared by the commands.
std::string FormatBytes(int64_t bytes);            // "11.8 MiB"
std::string FormatCount(int64_t n);                // "1.23M", "950k", "12"
std::string FormatTimeMs(int64_t t_ms);            // "2023-11-14T22:13:20.000Z"

}  // namespace tally::tools
