#!/usr/bin/env bash
# The main job: installs dependencies, builds the `tally` binary (Release, -O2), loads a
# seeded sample of LLM-cost monitoring data into ./data on first run (generate + backfill)
# and evaluates the example recording rules over it (rules backfill), prints `tally tsdb
# analyze`, then runs `tally serve` on 127.0.0.1:9090 with examples/tally.yml (which loads
# examples/llm-cost-tracker/rules/) until SIGTERM/Ctrl-C, fed live by `tally simulate
# --scenario errors` over remote write: HealthCheckFailing (for: 2m) fires about 4 minutes
# after start-up, HighErrorRate after about 5 (TALLY_SCENARIO picks another scenario:
# latency-spike, token-anomaly, budget-overrun or none).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-deps.sh

BUILD_DIR="${TALLY_BUILD_DIR:-build}"
JOBS="${TALLY_JOBS:-2}"
HOURS="${TALLY_SAMPLE_HOURS:-6}"
SCALE="${TALLY_SAMPLE_SCALE:-1}"
DATA_DIR="${TALLY_DATA_DIR:-./data}"
LISTEN="${TALLY_LISTEN_ADDRESS:-127.0.0.1:9090}"
SCENARIO="${TALLY_SCENARIO:-errors}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$JOBS" --target tally

# Backfill only into a fresh data dir: a second run would find every sample already there.
# The simulator continues this history (same seed, step and scale), so counters go on across
# the seam; the history's start is kept next to the data for later runs.
if [ ! -e "$DATA_DIR/CURRENT" ]; then
  SAMPLE="$BUILD_DIR/llm-cost-sample.om"
  START_MS=$(( $(date +%s) * 1000 - HOURS * 3600000 ))
  "$BUILD_DIR/tally" generate --hours "$HOURS" --series-scale "$SCALE" --format openmetrics \
    --start "$START_MS" --out "$SAMPLE"
  "$BUILD_DIR/tally" backfill --storage.tsdb.path "$DATA_DIR" "$SAMPLE"
  echo "$START_MS" > "$DATA_DIR/simulator-history-start"
  # Give the example recording rules the sample's past too (10 minutes in, so the 5m-10m
  # windows of the rules have data), so dashboards over llm:* series show history at once.
  NOW_S="$(date +%s)"
  "$BUILD_DIR/tally" rules backfill --storage.tsdb.path "$DATA_DIR" \
    --start "$((NOW_S - HOURS * 3600 + 600))" --end "$NOW_S" --eval-interval 60s \
    examples/llm-cost-tracker/rules/recording.yml
fi
HISTORY_START=$(cat "$DATA_DIR/simulator-history-start" 2>/dev/null || echo -1)
"$BUILD_DIR/tally" tsdb analyze --storage.tsdb.path "$DATA_DIR"

# The live simulator pushes every 15 s step to serve's remote-write receiver (it retries
# until serve listens). Both stop together: SIGTERM/Ctrl-C reaches serve, and the trap ends
# the simulator when serve exits for any reason.
"$BUILD_DIR/tally" serve --config.file examples/tally.yml \
  --storage.tsdb.path "$DATA_DIR" --web.listen-address "$LISTEN" &
SERVE_PID=$!
"$BUILD_DIR/tally" simulate --remote-write.url "http://$LISTEN/api/v1/write" \
  --series-scale "$SCALE" --history.start "$HISTORY_START" --scenario "$SCENARIO" &
SIM_PID=$!
stop() { kill -TERM "$SERVE_PID" 2>/dev/null || true; }
trap stop INT TERM
echo "tally serve: http://$LISTEN  (alerts: http://$LISTEN/api/v1/alerts; simulator scenario: $SCENARIO)"
rc=0
wait "$SERVE_PID" || rc=$?
# wait returns early when a trapped signal arrives: wait again for serve's own exit.
while kill -0 "$SERVE_PID" 2>/dev/null; do wait "$SERVE_PID" || rc=$?; done
kill -TERM "$SIM_PID" 2>/dev/null || true
wait "$SIM_PID" 2>/dev/null || true
exit "$rc"
