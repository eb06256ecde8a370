// A small structured logger in Prometheus's style (go-kit log): one line per event on
// stderr, either logfmt
//   ts=2026-11-27T03:20:00.123Z caller=backfill.cc:42 level=info msg="done" samples=10
// or JSON (one object per line, every value a string). Levels debug < info < warn < error;
// events below the configured level are dropped before any formatting.
//
//   TALLY_LOG(kInfo, "backfill finished", {{"samples", n}, {"file", path}});
//
// Configuration is process-wide (set once from --log.level / --log.format in main, or by
// tests); logging is thread-safe: each event is formatted into a local buffer and written
// with one locked write, so lines from different threads never interleave.
#pragma once

#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tally::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kLogfmt, kJson };

// "debug", "info", "warn", "error" (Prometheus's --log.level values).
absl::StatusOr<Level> ParseLevel(absl::string_view s);
// "logfmt", "json".
absl::StatusOr<Format> ParseFormat(absl::string_view s);
const char* LevelString(Level l);

void SetLevel(Level l);
void SetFormat(Format f);
Level GetLevel();
bool Enabled(Level l);

// Redirects output to *sink (nullptr: back to stderr). For tests only.
void SetSinkForTesting(std::string* sink);

// One key=value pair; the value is formatted with absl::StrCat rules (numbers, strings,
// string_views).
struct Field {
  Field(absl::string_view k, const absl::AlphaNum& v) : key(k), value(v.Piece()) {}
  absl::string_view key;
  std::string value;
};

// Writes one event. `file` may be a full path; only its base name is printed.
void Write(Level level, const char* file, int line, absl::string_view msg,
           std::initializer_list<Field> fields = {});

}  // namespace tally::log

#define TALLY_LOG(level, msg, ...)                                                      \
  do {                                                                                  \
    if (::tally::log::Enabled(::tally::log::Level::level)) {                            \
      ::tally::log::Write(::tally::log::Level::level, __FILE__, __LINE__, msg         \
                          __VA_OPT__(, ) __VA_ARGS__);                                  \
    }                                                                                   \
  } while (0)
