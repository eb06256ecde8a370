#!/usr/bin/env bash
# Remote-write ingest rate and dashboard query latency, Tally vs Prometheus 2.42, in one run
# on one machine, with the same loopback load generator (bench/compare/rw_loadgen.cc).
#
#   bench/compare/remote_write_vs_prometheus.sh [WORKDIR]
#   env: BUILD=<cmake build dir> (default build), SERIES=100000, ROUNDS=20, BATCH=2000,
#        WORKERS=4, RUNS=20
#
# Each server starts on a fresh data dir on 127.0.0.1 (Prometheus with
# --web.enable-remote-write-receiver), receives SERIES x ROUNDS samples (one sample per
# series per round, 15 s apart, pre-encoded), then answers the seed's dashboard range
# queries RUNS times each over HTTP. Prints versions, machine, and both result blocks.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${1:-/tmp/tally-rw-compare}"
BUILD="${BUILD:-$HERE/../../build}"
SERIES="${SERIES:-100000}"; ROUNDS="${ROUNDS:-20}"; BATCH="${BATCH:-2000}"
WORKERS="${WORKERS:-4}"; RUNS="${RUNS:-20}"
GEN="$BUILD/bench/tally_rw_loadgen"; TALLY="$BUILD/tally"
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
T0=$(( ($(date +%s) - ROUNDS * 15 - 60) * 1000 ))

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$1/-/ready" >/dev/null && return 0; sleep 0.1; done; return 1; }
rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

echo "machine: $(nproc) cpus, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "prometheus: $(prometheus --version 2>&1 | head -1)"
echo "tally: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "load: series=$SERIES rounds=$ROUNDS batch=$BATCH workers=$WORKERS runs=$RUNS"

P=$(free_port)
printf 'global:\n  scrape_interval: 15s\n' > tally.yml
"$TALLY" serve --config.file tally.yml --storage.tsdb.path tally-data \
  --web.listen-address "127.0.0.1:$P" > tally.log 2>&1 &
TPID=$!
wait_ready "$P"
echo "== tally"
"$GEN" --port "$P" --series "$SERIES" --rounds "$ROUNDS" --batch "$BATCH" \
  --workers "$WORKERS" --query-runs "$RUNS" --t0-ms "$T0" | tee tally.out
echo "tally_peak_rss_mb $(rss_mb $TPID)"
kill -TERM "$TPID"; wait "$TPID" || true

P=$(free_port)
printf 'global:\n  scrape_interval: 15s\n' > prom.yml
prometheus --config.file prom.yml --storage.tsdb.path prom-data \
  --web.listen-address "127.0.0.1:$P" --web.enable-remote-write-receiver > prom.log 2>&1 &
PPID_=$!
wait_ready "$P"
echo "== prometheus 2.42"
"$GEN" --port "$P" --series "$SERIES" --rounds "$ROUNDS" --batch "$BATCH" \
  --workers "$WORKERS" --query-runs "$RUNS" --t0-ms "$T0" | tee prom.out
echo "prometheus_peak_rss_mb $(rss_mb $PPID_)"
kill -TERM "$PPID_"; wait "$PPID_" || true
