#include "tools/cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_format.h"
#include "storage/util/log.h"

namespace tally::tools {

ProgressReporter::ProgressReporter(std::function<std::string()> render, absl::Duration log_every)
    : render_(std::move(render)), log_every_(log_every), tty_(isatty(STDERR_FILENO) == 1) {
  thread_ = std::thread([this] { Loop(); });
}

ProgressReporter::~ProgressReporter() { Stop(); }

void ProgressReporter::Stop() {
  if (!thread_.joinable()) return;
  done_.Notify();
  thread_.join();
  if (tty_) std::fputs("\r\033[K", stderr);
}

void ProgressReporter::Loop() {
  const absl::Duration tick = tty_ ? absl::Seconds(1) : log_every_;
  while (!done_.WaitForNotificationWithTimeout(tick)) {
    const std::string line = render_();
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    } else {
      TALLY_LOG(kInfo, "progress", {{"status", line}});
    }
  }
}

std::string FormatBytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return absl::StrFormat("%.2f GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return absl::StrFormat("%.1f MiB", b / (1024.0 * 1024));
  if (b >= 1024.0) return absl::StrFormat("%.1f KiB", b / 1024.0);
  return absl::StrFormat("%d B", bytes);
}

std::string FormatCount(int64_t n) {
  if (n >= 1'000'000'000) return absl::StrFormat("%.2fG", n / 1e9);
  if (n >= 1'000'000) return absl::StrFormat("%.2fM", n / 1e6);
  if (n >= 10'000) return absl::StrFormat("%.0fk", n / 1e3);
  return absl::StrFormat("%d", n);
}

std::string FormatTimeMs(int64_t t_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(t_ms),
                          absl::UTCTimeZone());
}

}  // namespace tally::tools
