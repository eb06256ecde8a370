#!/usr/bin/env bash
# Backfill throughput and bytes per sample on disk: `tally backfill` vs
# `promtool tsdb create-blocks-from openmetrics`, on the same simulator history file
# (`tally simulate --backfill`, the LLM Cost Tracker model; the demo's 7-day history is
# HOURS=168 STEP=60s USERS=5).
#
#   bash bench/compare/backfill_vs_promtool.sh [TALLY_BINARY] [HOURS] [SERIES_SCALE] [STEP] [USERS]
#
# Defaults: build/tally, 6 hours, 2 instances, 15s step, no users (~1.9M samples, ~1300
# series). The 7-day run: bash bench/compare/backfill_vs_promtool.sh build/tally 168 1 60s 5
# Prints the versions, the machine, and for each tool: wall time, samples/s, bytes on disk
# (all files of the output dir, `du -sb`) and bytes per sample. Also checks that both dumps
# are identical. Uses a temporary directory that is removed at exit.
set -euo pipefail

TALLY="${1:-build/tally}"
HOURS="${2:-6}"
SCALE="${3:-2}"
STEP="${4:-15s}"
USERS="${5:-0}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

now_s() { date +%s.%N; }

echo "== versions and machine"
"$TALLY" --version | head -1
promtool --version 2>&1 | head -1
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"

"$TALLY" simulate --backfill "${HOURS}h" --interval "$STEP" --series-scale "$SCALE" \
  --users "$USERS" --seed 1 --out "$WORK/in.om" --log.level=warn
echo "input: $(du -h "$WORK/in.om" | cut -f1) OpenMetrics, ${HOURS}h at ${STEP} x ${SCALE} instance(s), ${USERS} users"

echo "== tally backfill"
# CPU seconds (user + sys) besides wall time: on a shared machine the wall time mostly
# measures the other tenants.
cpu() { /usr/bin/time -f "%U %S" -o "$1" "${@:2}"; }
t0=$(now_s)
cpu "$WORK/tally.cpu" "$TALLY" backfill --storage.tsdb.path "$WORK/tally" "$WORK/in.om" > "$WORK/tally.out"
t1=$(now_s)
cat "$WORK/tally.out"
samples=$(awk '/^samples read:/ {print $3}' "$WORK/tally.out")
tally_bytes=$(du -sb "$WORK/tally" | cut -f1)

echo "== promtool tsdb create-blocks-from openmetrics"
t2=$(now_s)
cpu "$WORK/prom.cpu" promtool tsdb create-blocks-from openmetrics "$WORK/in.om" "$WORK/prom" > /dev/null
t3=$(now_s)
prom_bytes=$(du -sb "$WORK/prom" | cut -f1)

echo "== dumps identical?"
"$TALLY" tsdb dump --storage.tsdb.path "$WORK/tally" > "$WORK/tally.dump"
mkdir -p "$WORK/prom/wal"
promtool tsdb dump "$WORK/prom" > "$WORK/prom.dump" 2>/dev/null
if cmp -s "$WORK/tally.dump" "$WORK/prom.dump"; then echo "yes ($(wc -l < "$WORK/tally.dump") samples)"; else echo "NO"; fi

echo "== summary"
tc=$(awk '{print $1 + $2}' "$WORK/tally.cpu")
pc=$(awk '{print $1 + $2}' "$WORK/prom.cpu")
awk -v s="$samples" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v tb="$tally_bytes" -v pb="$prom_bytes" \
    -v tc="$tc" -v pc="$pc" 'BEGIN {
  printf "%-10s %10s %14s %10s %16s %12s %14s\n", "tool", "wall s", "samples/s", "cpu s", "samples/cpu-s", "bytes", "bytes/sample";
  printf "%-10s %10.2f %14.0f %10.2f %16.0f %12d %14.3f\n", "tally", b-a, s/(b-a), tc, s/tc, tb, tb/s;
  printf "%-10s %10.2f %14.0f %10.2f %16.0f %12d %14.3f\n", "promtool", d-c, s/(d-c), pc, s/pc, pb, pb/s;
}'
