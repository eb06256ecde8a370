// MD5 (RFC 1321), only for relabel's hashmod action, which Prometheus defines on md5.
// Not for security. Pure function; thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace tally::server::scrape {

std::array<uint8_t, 16> Md5(absl::string_view data);

}  // namespace tally::server::scrape
