#!/usr/bin/env bash
# The main job: installs dependencies, builds the `tally` binary (Release, -O2), generates a
# seeded sample of LLM-cost monitoring data (OpenMetrics), backfills it into ./data and
# prints `tally tsdb analyze`. Later issues turn this into running the server.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-deps.sh

BUILD_DIR="${TALLY_BUILD_DIR:-build}"
JOBS="${TALLY_JOBS:-2}"
HOURS="${TALLY_SAMPLE_HOURS:-6}"
SCALE="${TALLY_SAMPLE_SCALE:-1}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$JOBS" --target tally

SAMPLE="$BUILD_DIR/llm-cost-sample.om"
"$BUILD_DIR/tally" generate --hours "$HOURS" --series-scale "$SCALE" --format openmetrics \
  --out "$SAMPLE"
"$BUILD_DIR/tally" backfill --storage.tsdb.path ./data "$SAMPLE"
"$BUILD_DIR/tally" tsdb analyze --storage.tsdb.path ./data
