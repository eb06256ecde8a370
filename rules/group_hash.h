// The hash Prometheus uses to spread rule groups over their interval: labels.Hash of
// {file="<file>", name="<name>"}, i.e. XXH64 (seed 0) over "file\xff<file>\xffname\xff<name>\xff".
// Group.EvalTimestamp offsets each group's evaluations by hash % interval, so the same
// group evaluates at the same phase in Tally and in Prometheus. Pure functions.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace tally::rules {

// XXH64 with seed 0 (the xxHash specification; Go's cespare/xxhash Sum64).
uint64_t XxHash64(absl::string_view data);

uint64_t GroupHash(absl::string_view file, absl::string_view name);

}  // namespace tally::rules
