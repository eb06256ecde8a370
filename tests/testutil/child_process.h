// RunInChild: runs a function in a forked child under an address-space limit and a time
// limit, and reports its exit code, peak RSS and wall time. For tests that must show an
// operation stays within a memory bound: a regression then fails the test (the child dies
// on its limit) instead of exhausting the machine. Call it only when the child's work does
// not touch threads or locks the parent's other threads may hold (no oneTBB, no RocksDB).
#pragma once

#include <cstdint>
#include <functional>

#include "absl/time/time.h"

namespace tally::testutil {

struct ChildResult {
  int code = -1;              // exit code, or 128 + signal (SIGALRM: 142, SIGABRT: 134)
  int64_t max_rss_bytes = 0;  // the child's peak resident set (includes what it inherited)
  absl::Duration elapsed;
};

// fn's return value is the child's exit code. The child may grow its address space by at
// most `extra_address_space_bytes` and is killed by SIGALRM after `seconds`; the parent
// waits at most `seconds` + 10 s (then SIGKILL).
ChildResult RunInChild(const std::function<int()>& fn, int64_t extra_address_space_bytes,
                       int seconds);

}  // namespace tally::testutil
