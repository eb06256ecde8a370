// glibc malloc settings for the long-running server. glibc gives every thread that contends
// for an arena a new one, up to 8 per core; the query engine's worker threads (oneTBB) and
// the HTTP threads each end up with their own, and memory freed after a query stays cached
// in all of them. Measured with bench/compare/rw_loadgen.cc (100k series, 20 rounds, then
// the dashboard queries; docs/performance.md, "Ingest"): RSS 429 MB with glibc's default,
// 355 MB with 4 arenas, 278 MB with 2, ingest and query times unchanged within noise.
#pragma once

namespace tally::tools {

// Limits malloc to 2 arenas, unless the environment already tunes malloc (MALLOC_ARENA_MAX
// or GLIBC_TUNABLES set: the operator's choice wins). Call once, early, before threads
// start. No-op on other C libraries.
void TuneMallocForServer();

}  // namespace tally::tools
