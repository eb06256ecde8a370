#include "storage/util/duration.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace tally::storage {
namespace {

struct Unit {
  absl::string_view name;
  int64_t ms;
};
// Descending order; Prometheus requires units in this order, each once.
constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
                           {"d", 24LL * 3600 * 1000},       {"h", 3600LL * 1000},
                           {"m", 60LL * 1000},              {"s", 1000},
                           {"ms", 1}};

absl::Status Invalid(absl::string_view s) {
  return absl::InvalidArgumentError(absl::StrCat("not a valid duration string: \"", s, "\""));
}

// Prometheus compat: durations must fit a Go time.Duration (int64 nanoseconds, ~292y).
constexpr int64_t kMaxDurationMs = std::numeric_limits<int64_t>::max() / 1'000'000;

absl::Status OutOfRange() { return absl::InvalidArgumentError("duration out of range"); }

}  // namespace

absl::StatusOr<int64_t> ParseDurationMs(absl::string_view s) {
  // Prometheus compat (model.ParseDuration): "0" needs no unit; "" has its own message.
  if (s == "0") return 0;
  if (s.empty()) return absl::InvalidArgumentError("empty duration string");
  int64_t total = 0;
  size_t pos = 0;
  int last_unit = -1;
  bool overflow = false;
  while (pos < s.size()) {
    size_t digits_end = pos;
    while (digits_end < s.size() && s[digits_end] >= '0' && s[digits_end] <= '9') ++digits_end;
    if (digits_end == pos) return Invalid(s);
    int64_t n = 0;
    bool too_big = false;
    for (size_t i = pos; i < digits_end; ++i) {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) too_big = true;
      if (!too_big) n = n * 10 + (s[i] - '0');
    }
    size_t unit_end = digits_end;
    while (unit_end < s.size() && (s[unit_end] < '0' || s[unit_end] > '9')) ++unit_end;
    absl::string_view unit = s.substr(digits_end, unit_end - digits_end);
    int idx = -1;
    for (int i = 0; i < static_cast<int>(std::size(kUnits)); ++i) {
      if (kUnits[i].name == unit) idx = i;
    }
    if (idx < 0 || idx <= last_unit) return Invalid(s);
    last_unit = idx;
    // The syntax is checked first (as Prometheus's regex does), then the range.
    if (too_big || n > kMaxDurationMs / kUnits[idx].ms) {
      overflow = true;
    } else {
      total += n * kUnits[idx].ms;  // each term <= kMaxDurationMs: no int64 overflow
      if (total > kMaxDurationMs) overflow = true;
    }
    pos = unit_end;
  }
  if (overflow) return OutOfRange();
  return total;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  // Magnitude as unsigned so that kMinTime-sized inputs do not overflow on negation.
  uint64_t rest = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out = "-";
    rest = ~rest + 1;
  }
  for (const Unit& u : kUnits) {
    const uint64_t unit = static_cast<uint64_t>(u.ms);
    if (rest >= unit) {
      const uint64_t n = rest / unit;
      // Prometheus compat (model.Duration.String): years and weeks only when exact, as
      // "90d" reads better than "12w6d".
      if ((u.name == "y" || u.name == "w") && rest % unit != 0) continue;
      absl::StrAppend(&out, n, u.name);
      rest -= n * unit;
    }
  }
  return out;
}

}  // namespace tally::storage
