#include "tools/sim/history_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tally::sim {

absl::Status WriteHistoryFile(const LlmCostOptions& options, const std::string& path,
                              const std::function<bool()>& cancelled) {
  const bool to_stdout = path == "-";
  const std::string tmp = to_stdout ? "" : path + ".tmp";
  FILE* f = to_stdout ? stdout : std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return absl::UnavailableError(absl::StrCat("creating ", tmp, ": ", std::strerror(errno)));
  }
  absl::Status s = WriteLlmCostData(options, [&](absl::string_view piece) {
    if (cancelled()) return absl::CancelledError("interrupted");
    if (std::fwrite(piece.data(), 1, piece.size(), f) != piece.size()) {
      return absl::UnavailableError(absl::StrCat("write ", path, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  });
  const bool close_ok = to_stdout ? std::fflush(f) == 0 : std::fclose(f) == 0;
  if (s.ok() && !close_ok) s = absl::UnavailableError(absl::StrCat("write ", path, " failed"));
  if (!to_stdout) {
    if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
      s = absl::UnavailableError(absl::StrCat("rename ", tmp, ": ", std::strerror(errno)));
    }
    if (!s.ok()) std::remove(tmp.c_str());
  }
  return s;
}

}  // namespace tally::sim
