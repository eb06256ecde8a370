#include "storage/model/series_limits.h"

#include "absl/strings/str_cat.h"

namespace tally::storage::series_limits_internal {
namespace {

// Go's "%.50s": at most 50 characters (UTF-8 code points, not bytes).
absl::string_view Cut50(absl::string_view s) {
  int chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    // A byte that is not a continuation byte (10xxxxxx) starts a character.
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++chars > 50) return s.substr(0, i);
  }
  return s;
}

}  // namespace

absl::Status LabelLimitError(absl::string_view metric, uint64_t n, uint64_t limit) {
  return absl::InvalidArgumentError(absl::StrCat("label_limit exceeded (metric: ", Cut50(metric),
                                                 ", number of labels: ", n, ", limit: ", limit,
                                                 ")"));
}

absl::Status NameLengthError(absl::string_view metric, absl::string_view name, uint64_t limit) {
  return absl::InvalidArgumentError(absl::StrCat(
      "label_name_length_limit exceeded (metric: ", Cut50(metric), ", label name: ", Cut50(name),
      ", length: ", name.size(), ", limit: ", limit, ")"));
}

absl::Status ValueLengthError(absl::string_view metric, absl::string_view name,
                              absl::string_view value, uint64_t limit) {
  // Go's "%.50q": the first 50 characters, quoted.
  return absl::InvalidArgumentError(absl::StrCat(
      "label_value_length_limit exceeded (metric: ", Cut50(metric), ", label name: ", Cut50(name),
      ", value: ", GoQuote(Cut50(value)), ", length: ", value.size(), ", limit: ", limit, ")"));
}

}  // namespace tally::storage::series_limits_internal
