// Raises this process's open-file soft limit to its hard limit, as Go programs (and so
// Prometheus) do at start-up: a server holding hundreds of keep-alive connections needs more
// than the common default of 1024 descriptors. Process-wide; call once from main or a test.
#pragma once

#include <cstdint>

namespace tally::server::http {

// Returns the soft limit now in force (unchanged when raising was not possible).
int64_t RaiseOpenFileLimit();

}  // namespace tally::server::http
