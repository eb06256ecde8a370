// Byte sizes in Prometheus's flag syntax (--storage.tsdb.retention.size, alecthomas/units
// Base2Bytes): a number with a unit, optionally repeated ("512MB", "10GB", "1.5TB",
// "1GB512MB"); units B, KB, MB, GB, TB, PB, EB, each a power of 1024 (KiB, MiB, ... are
// accepted as the same). "0" alone is allowed and means 0. Pure functions, thread-safe.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tally::storage {

// InvalidArgument for an empty string, a missing or unknown unit, or an overflow.
absl::StatusOr<int64_t> ParseByteSize(absl::string_view s);

}  // namespace tally::storage
