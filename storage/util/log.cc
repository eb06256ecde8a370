#include "storage/util/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tally::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kLogfmt)};

absl::Mutex g_mu;
std::string* g_sink ABSL_GUARDED_BY(g_mu) = nullptr;

// logfmt values are bare unless they are empty or contain a space, '=', '"', a control
// character or a non-ASCII byte; then they are double-quoted with Go-style escapes.
bool NeedsQuoting(absl::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '=' || c == '"' || c >= 0x7f) return true;
  }
  return false;
}

void AppendEscaped(std::string* out, absl::string_view v, bool json) {
  for (unsigned char c : v) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), json ? "\\u%04x" : "\\x%02x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));  // UTF-8 passes through unchanged
        }
    }
  }
}

void AppendLogfmtPair(std::string* out, absl::string_view k, absl::string_view v) {
  if (!out->empty()) out->push_back(' ');
  out->append(k.data(), k.size());
  out->push_back('=');
  if (NeedsQuoting(v)) {
    out->push_back('"');
    AppendEscaped(out, v, false);
    out->push_back('"');
  } else {
    out->append(v.data(), v.size());
  }
}

void AppendJsonPair(std::string* out, absl::string_view k, absl::string_view v) {
  if (out->size() > 1) out->push_back(',');  // out starts with '{'
  out->push_back('"');
  AppendEscaped(out, k, true);
  out->append("\":\"");
  AppendEscaped(out, v, true);
  out->push_back('"');
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view s) {
  if (s == "debug") return Level::kDebug;
  if (s == "info") return Level::kInfo;
  if (s == "warn") return Level::kWarn;
  if (s == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unrecognized log level \"", s, "\" (want debug, info, warn or error)"));
}

absl::StatusOr<Format> ParseFormat(absl::string_view s) {
  if (s == "logfmt") return Format::kLogfmt;
  if (s == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unrecognized log format \"", s, "\" (want logfmt or json)"));
}

const char* LevelString(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void SetLevel(Level l) { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
void SetFormat(Format f) { g_format.store(static_cast<int>(f), std::memory_order_relaxed); }
Level GetLevel() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }
bool Enabled(Level l) {
  return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed);
}

void SetSinkForTesting(std::string* sink) {
  absl::MutexLock lock(&g_mu);
  g_sink = sink;
}

void Write(Level level, const char* file, int line, absl::string_view msg,
           std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  const char* base = std::strrchr(file, '/');
  base = base == nullptr ? file : base + 1;
  const std::string ts =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  const std::string caller = absl::StrCat(base, ":", line);
  const bool json = static_cast<Format>(g_format.load(std::memory_order_relaxed)) ==
                    Format::kJson;
  std::string out;
  out.reserve(128);
  if (json) {
    out.push_back('{');
    AppendJsonPair(&out, "ts", ts);
    AppendJsonPair(&out, "caller", caller);
    AppendJsonPair(&out, "level", LevelString(level));
    AppendJsonPair(&out, "msg", msg);
    for (const Field& f : fields) AppendJsonPair(&out, f.key, f.value);
    out.append("}\n");
  } else {
    AppendLogfmtPair(&out, "ts", ts);
    AppendLogfmtPair(&out, "caller", caller);
    AppendLogfmtPair(&out, "level", LevelString(level));
    AppendLogfmtPair(&out, "msg", msg);
    for (const Field& f : fields) AppendLogfmtPair(&out, f.key, f.value);
    out.push_back('\n');
  }
  absl::MutexLock lock(&g_mu);
  if (g_sink != nullptr) {
    g_sink->append(out);
    return;
  }
  // One write(2) per line so concurrent processes sharing stderr do not interleave either.
  size_t off = 0;
  while (off < out.size()) {
    const ssize_t n = ::write(STDERR_FILENO, out.data() + off, out.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace tally::log
