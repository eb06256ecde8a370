#include "storage/util/byte_size.h"

#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tally::storage {
namespace {

int64_t Multiplier(absl::string_view unit) {
  static constexpr absl::string_view kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  static constexpr absl::string_view kIecUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB",
                                                    "EiB"};
  for (int i = 0; i < 7; ++i) {
    if (unit == kUnits[i] || unit == kIecUnits[i]) return int64_t{1} << (10 * i);
  }
  return 0;
}

}  // namespace

absl::StatusOr<int64_t> ParseByteSize(absl::string_view s) {
  const std::string orig(s);
  if (s == "0") return 0;
  if (s.empty()) return absl::InvalidArgumentError("units: invalid empty size");
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (i == 0) return absl::InvalidArgumentError(absl::StrCat("units: invalid size ", orig));
    double number;
    if (!absl::SimpleAtod(s.substr(0, i), &number)) {
      return absl::InvalidArgumentError(absl::StrCat("units: invalid size ", orig));
    }
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
    if (j == 0) return absl::InvalidArgumentError(absl::StrCat("units: missing unit in ", orig));
    const int64_t mult = Multiplier(s.substr(0, j));
    if (mult == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("units: unknown unit ", s.substr(0, j), " in ", orig));
    }
    s.remove_prefix(j);
    total += number * static_cast<double>(mult);
  }
  if (!(total < 9.2e18)) return absl::InvalidArgumentError(absl::StrCat("units: overflow in ", orig));
  return static_cast<int64_t>(std::llround(total));
}

}  // namespace tally::storage
