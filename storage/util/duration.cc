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

}  // namespace

absl::StatusOr<int64_t> ParseDurationMs(absl::string_view s) {
  if (s == "0") return 0;
  if (s.empty()) return Invalid(s);
  int64_t total = 0;
  size_t pos = 0;
  int last_unit = -1;
  while (pos < s.size()) {
    size_t digits_end = pos;
    while (digits_end < s.size() && s[digits_end] >= '0' && s[digits_end] <= '9') ++digits_end;
    if (digits_end == pos) return Invalid(s);
    int64_t n = 0;
    for (size_t i = pos; i < digits_end; ++i) {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) return Invalid(s);
      n = n * 10 + (s[i] - '0');
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
    if (n > std::numeric_limits<int64_t>::max() / kUnits[idx].ms) return Invalid(s);
    const int64_t add = n * kUnits[idx].ms;
    if (total > std::numeric_limits<int64_t>::max() - add) return Invalid(s);
    total += add;
    pos = unit_end;
  }
  return total;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      const int64_t n = ms / u.ms;
      // Prometheus compat (model.Duration.String): years and weeks only when exact, as
      // "90d" reads better than "12w6d".
      if ((u.name == "y" || u.name == "w") && ms % u.ms != 0) continue;
      absl::StrAppend(&out, n, u.name);
      ms -= n * u.ms;
    }
  }
  return out;
}

}  // namespace tally::storage
