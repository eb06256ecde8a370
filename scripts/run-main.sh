#!/usr/bin/env bash
# The main job: the LLM Cost Tracker demo (examples/llm-cost-tracker/, docs/demo.md).
# Installs dependencies, builds the `tally` binary (Release, -O2), and on the first run
# backfills 7 days of simulated history into the data dir (generate at a 60s step +
# backfill, then `tally rules backfill` of the recording rules at a 5m step, so the budget
# and forecast rules and the dashboards have a week of data). Then it starts
#   tally simulate --web.listen-address 127.0.0.1:8000   (the application: /metrics, /health)
#   tally serve --config.file examples/llm-cost-tracker/tally.yml   (scrapes it every 15s)
# prints the URLs, and stops both on Ctrl-C/SIGTERM. The simulator continues the history
# (same seed, users and scale): its counters go on from the history's last values, no reset
# at the seam.
#
# Environment: TALLY_LISTEN_ADDRESS (127.0.0.1:9090), TALLY_SIMULATOR_ADDRESS
# (127.0.0.1:8000), TALLY_DATA_DIR (./data), TALLY_SCENARIO (none; errors, latency-spike,
# token-anomaly or budget-overrun provoke their alert a few minutes after start-up),
# TALLY_HISTORY_DAYS (7), TALLY_SAMPLE_SCALE (1 simulated instance), TALLY_BUILD_DIR,
# TALLY_JOBS, TALLY_SKIP_BUILD=1 (use an existing build).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"

BUILD_DIR="${TALLY_BUILD_DIR:-build}"
JOBS="${TALLY_JOBS:-2}"
DAYS="${TALLY_HISTORY_DAYS:-7}"
SCALE="${TALLY_SAMPLE_SCALE:-1}"
DATA_DIR="${TALLY_DATA_DIR:-./data}"
LISTEN="${TALLY_LISTEN_ADDRESS:-127.0.0.1:9090}"
SIM_LISTEN="${TALLY_SIMULATOR_ADDRESS:-127.0.0.1:8000}"
SCENARIO="${TALLY_SCENARIO:-none}"
USERS=5
SEED=1
HISTORY_STEP_MS=60000
TALLY="$BUILD_DIR/tally"

if [ "${TALLY_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/setup-deps.sh
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD_DIR" -j "$JOBS" --target tally
fi
mkdir -p "$DATA_DIR"

# First run only: a second backfill would find every sample already there. The history's
# start, end and step are kept next to the data; the simulator replays them to continue.
if [ ! -e "$DATA_DIR/simulator-history" ]; then
  SAMPLE="$BUILD_DIR/llm-cost-history.om"
  END_MS=$(( $(date +%s) * 1000 ))
  START_MS=$(( END_MS - DAYS * 86400000 ))
  echo "== generating ${DAYS}d of simulated history (60s step, $USERS users, $SCALE instance(s))"
  "$TALLY" generate --start "$START_MS" --hours "$(( DAYS * 24 ))" --step 60s --seed "$SEED" \
    --users "$USERS" --series-scale "$SCALE" --format openmetrics --out "$SAMPLE" --log.level=warn
  "$TALLY" backfill --storage.tsdb.path "$DATA_DIR" "$SAMPLE"
  rm -f "$SAMPLE"
  # The recording rules over the history (from 1 hour in, so the 1h windows have data) at a
  # 5m step: enough for the 4h/7d windows of the budget alerts, and quick.
  echo "== evaluating the recording rules over the history"
  "$TALLY" rules backfill --storage.tsdb.path "$DATA_DIR" \
    --start "$(( START_MS / 1000 + 3600 ))" --end "$(( END_MS / 1000 ))" --eval-interval 5m \
    examples/llm-cost-tracker/rules/recording.yml
  echo "$START_MS $END_MS $HISTORY_STEP_MS" > "$DATA_DIR/simulator-history"
fi
read -r HISTORY_START HISTORY_END HISTORY_STEP_MS < "$DATA_DIR/simulator-history"
"$TALLY" tsdb analyze --storage.tsdb.path "$DATA_DIR" | head -20

# The example config names 127.0.0.1:9090 and 127.0.0.1:8000; other ports get a copy with
# those targets replaced (and the rule files by absolute path) in the data dir.
CONFIG=examples/llm-cost-tracker/tally.yml
if [ "$LISTEN" != 127.0.0.1:9090 ] || [ "$SIM_LISTEN" != 127.0.0.1:8000 ]; then
  CONFIG="$DATA_DIR/tally.yml"
  sed -e "s|'127.0.0.1:9090'|'$LISTEN'|" -e "s|'127.0.0.1:8000'|'$SIM_LISTEN'|" \
    -e "s|^  - rules/\*.yml|  - $REPO/examples/llm-cost-tracker/rules/*.yml|" \
    examples/llm-cost-tracker/tally.yml > "$CONFIG"
fi

SIM_PID=""
SERVE_PID=""
stop() {
  [ -n "$SERVE_PID" ] && kill -TERM "$SERVE_PID" 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null || true
}
trap stop INT TERM

"$TALLY" simulate --web.listen-address "$SIM_LISTEN" --seed "$SEED" --users "$USERS" \
  --series-scale "$SCALE" --interval 15s --history.start "$HISTORY_START" \
  --history.end "$HISTORY_END" --history.interval "$(( HISTORY_STEP_MS / 1000 ))s" \
  --scenario "$SCENARIO" &
SIM_PID=$!
"$TALLY" serve --config.file "$CONFIG" --storage.tsdb.path "$DATA_DIR" \
  --web.listen-address "$LISTEN" &
SERVE_PID=$!

cat <<EOF

  Tally (API, UI):         http://$LISTEN/   e.g. http://$LISTEN/api/v1/query?query=up
  alerts:                  http://$LISTEN/api/v1/alerts
  simulator metrics:       http://$SIM_LISTEN/metrics
  simulator health:        http://$SIM_LISTEN/health  and  http://$SIM_LISTEN/health/detailed
  scenario: $SCENARIO; data: $DATA_DIR; config: $CONFIG.  Ctrl-C stops both.

EOF

# Wait until either exits (or a signal arrives), then stop the other and reap both.
rc=0
while kill -0 "$SERVE_PID" 2>/dev/null && kill -0 "$SIM_PID" 2>/dev/null; do
  wait -n "$SERVE_PID" "$SIM_PID" 2>/dev/null || true
done
stop
wait "$SERVE_PID" || rc=$?
wait "$SIM_PID" || true
exit "$rc"
