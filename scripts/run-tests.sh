#!/usr/bin/env bash
# Installs dependencies, builds Tally (Release, -O2) with tests and benchmarks, and runs
# every test with CTest, then the fuzz targets for a bounded time (scripts/run-fuzzers.sh).
# Exits non-zero on any failure. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-deps.sh

BUILD_DIR="${TALLY_BUILD_DIR:-build}"
JOBS="${TALLY_JOBS:-2}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTALLY_BUILD_TESTS=ON -DTALLY_BUILD_BENCH=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
# Each test case is its own CTest test; none may run longer than 10 minutes.
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600
# libFuzzer targets (fuzz/): clang build of just the fuzzers, ~20 s each on the checked-in
# seed corpus; skipped with a message when clang is absent.
bash scripts/run-fuzzers.sh
