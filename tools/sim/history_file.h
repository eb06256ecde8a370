// The LLM Cost Tracker model's file output: a past window written as OpenMetrics (or the
// Prometheus text format) for `tally backfill`. One writer for `tally generate` and
// `tally simulate --backfill`, which are two front ends of the same model (the live
// simulator, llm_cost_live.h, is the third output: its state after N steps equals this
// file's N-th samples).
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "tools/sim/llm_cost_generator.h"

namespace tally::sim {

// Writes WriteLlmCostData(options) to `path` ("-": stdout). A file is written under
// path + ".tmp" and renamed when complete, so an interrupted run leaves no partial file.
// `cancelled` is polled between pieces (~1 MiB); when it returns true the write stops with
// Cancelled. Errors: Unavailable (I/O, with the path), InvalidArgument (options), Cancelled.
absl::Status WriteHistoryFile(const LlmCostOptions& options, const std::string& path,
                              const std::function<bool()>& cancelled);

}  // namespace tally::sim
