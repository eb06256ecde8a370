// Cooperative interruption for long-running commands: after InstallInterruptHandler(), the
// first SIGINT or SIGTERM sets a flag that jobs poll (InterruptFlag()) and stop cleanly at
// the next safe point; a second signal gets the default action (immediate exit).
// Async-signal-safe: the handler only stores to a lock-free atomic and resets the handler.
#pragma once

#include <atomic>

namespace tally::tools {

void InstallInterruptHandler();
const std::atomic<bool>* InterruptFlag();
inline bool Interrupted() { return InterruptFlag()->load(std::memory_order_relaxed); }

}  // namespace tally::tools
