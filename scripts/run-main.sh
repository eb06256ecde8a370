#!/usr/bin/env bash
# The main job: installs dependencies, builds the `tally` binary (Release, -O2), loads a
# seeded sample of LLM-cost monitoring data into ./data on first run (generate + backfill),
# evaluates the example recording rules over it (rules backfill), prints `tally tsdb
# analyze`, then runs `tally serve` on 127.0.0.1:9090 with examples/tally.yml (which loads
# examples/llm-cost-tracker/rules/) until SIGTERM/Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-deps.sh

BUILD_DIR="${TALLY_BUILD_DIR:-build}"
JOBS="${TALLY_JOBS:-2}"
HOURS="${TALLY_SAMPLE_HOURS:-6}"
SCALE="${TALLY_SAMPLE_SCALE:-1}"
DATA_DIR="${TALLY_DATA_DIR:-./data}"
LISTEN="${TALLY_LISTEN_ADDRESS:-127.0.0.1:9090}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$JOBS" --target tally

# Backfill only into a fresh data dir: a second run would find every sample already there.
if [ ! -e "$DATA_DIR/CURRENT" ]; then
  SAMPLE="$BUILD_DIR/llm-cost-sample.om"
  "$BUILD_DIR/tally" generate --hours "$HOURS" --series-scale "$SCALE" --format openmetrics \
    --out "$SAMPLE"
  "$BUILD_DIR/tally" backfill --storage.tsdb.path "$DATA_DIR" "$SAMPLE"
  # Give the example recording rules the sample's past too (10 minutes in, so the 5m-10m
  # windows of the rules have data), so dashboards over llm:* series show history at once.
  NOW_S="$(date +%s)"
  "$BUILD_DIR/tally" rules backfill --storage.tsdb.path "$DATA_DIR" \
    --start "$((NOW_S - HOURS * 3600 + 600))" --end "$NOW_S" --eval-interval 60s \
    examples/llm-cost-tracker/rules/recording.yml
fi
"$BUILD_DIR/tally" tsdb analyze --storage.tsdb.path "$DATA_DIR"

exec "$BUILD_DIR/tally" serve --config.file examples/tally.yml \
  --storage.tsdb.path "$DATA_DIR" --web.listen-address "$LISTEN"
