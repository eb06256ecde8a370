#!/usr/bin/env bash
# Side-by-side: the seed's dashboard range queries (24 h at 60 s) on Tally's engine and on
# Prometheus 2.42, over the same data (>= 10k series), in one run on one machine.
# (bench/compare/run compares Tally, Prometheus and VictoriaMetrics over HTTP on every
# figure; this script adds Tally's in-process engine time from bench_promql.)
#
#   bench/compare/engine_vs_prometheus.sh [WORKDIR]
#   env: BUILD=<cmake build dir> (default build), SCALE=18 (tracker instances, ~580
#        series each), HOURS=25, RUNS=5, PORT=19091
#
# Steps: `tally generate` (seeded OpenMetrics) -> `tally backfill` into WORKDIR/tally and
# `promtool tsdb create-blocks-from openmetrics` into WORKDIR/prom (both reused when
# present) -> Prometheus on 127.0.0.1:$PORT -> each query RUNS times on each side.
# Figures: Tally in-process (bench_promql with TALLY_BENCH_DATA_DIR: median ms/query, peak
# RSS of the bench process) and end to end (`tally query`: process start, DB open, query,
# JSON; wall ms and max RSS from /usr/bin/time); Prometheus via HTTP (curl time_total,
# median; the server's VmHWM, which includes its own baseline). Results are also checked
# for equality with compare_json.py.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${1:-/tmp/tally-engine-compare}"
BUILD="${BUILD:-$HERE/../../build}"
SCALE="${SCALE:-18}"; HOURS="${HOURS:-25}"; RUNS="${RUNS:-5}"; PORT="${PORT:-19091}"
TALLY="$BUILD/tally"; BENCH="$BUILD/bench/bench_promql"
START_MS=1735689600000
mkdir -p "$WORK"; cd "$WORK"

[ -s data.om ] || "$TALLY" generate --hours "$HOURS" --step 60s --series-scale "$SCALE" \
  --seed 1 --start "$START_MS" --out data.om
[ -d tally ] || "$TALLY" backfill --storage.tsdb.path tally --storage.tsdb.retention.time 100y data.om
[ -d prom ] || promtool tsdb create-blocks-from openmetrics data.om prom > promtool.log

printf 'global:\n  scrape_interval: 15s\n' > prom.yml
prometheus --config.file=prom.yml --storage.tsdb.path=prom --storage.tsdb.retention.time=100y \
  --web.listen-address=127.0.0.1:$PORT > prom.log 2>&1 &
PROM_PID=$!
trap 'kill $PROM_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf 127.0.0.1:$PORT/-/ready > /dev/null && break; sleep 0.5; done

# The last 24 h of data, minute-aligned (as bench_promql picks it).
END_S=$(( (START_MS / 1000 + HOURS * 3600 - 60) / 60 * 60 ))
BEG_S=$(( END_S - 86400 ))
QUERIES=(
  'sum by (model) (increase(llm_cost_tracker_total_cost_usd[1h]))'
  'histogram_quantile(0.95, sum by (le) (rate(llm_cost_tracker_request_duration_seconds_bucket[5m])))'
  'topk(5, rate(llm_cost_tracker_requests_total[5m]))'
  'predict_linear(llm_cost_tracker_total_cost_usd[4h], 3600)'
  'sum(increase(llm_cost_tracker_total_cost_usd[24h]))'
  'max_over_time(llm_cost_tracker_memory_usage_bytes[24h])'
)
NAMES=(BM_SumIncrease1h BM_HistogramQuantileP95 BM_TopkRate BM_PredictLinear4h BM_SumIncrease24h
       BM_MaxOverTime24h)

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

TALLY_BENCH_DATA_DIR="$WORK/tally" "$BENCH" --benchmark_repetitions="$RUNS" \
  --benchmark_report_aggregates_only=true --benchmark_format=json 2> bench.err > bench.json || true
bench_field() {  # bench_field NAME FIELD: median real_time (ms) or a counter of NAME
  python3 -c 'import json,sys
d=json.load(open("bench.json"))
for b in d["benchmarks"]:
    if b["name"]==sys.argv[1]+"/real_time_median": print(b[sys.argv[2]])' "$1" "$2"
}

echo "machine: $(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo)"
echo "prometheus: $(prometheus --version 2>&1 | head -1)"
echo "data: $(grep engine_bench bench.err | head -1)"
echo "range: $BEG_S .. $END_S step 60s ($(( (END_S-BEG_S)/60 + 1 )) points)"
printf '%-100s %12s %12s %12s %12s %8s\n' query tally_ms tally_e2e_ms prom_ms tally_e2e_MiB same
for i in "${!QUERIES[@]}"; do
  q="${QUERIES[$i]}"
  in_ms=$(bench_field "${NAMES[$i]}" real_time)
  e2e=(); prom=()
  for _ in $(seq 1 "$RUNS"); do
    /usr/bin/time -f '%e %M' -o time.txt "$TALLY" query --storage.tsdb.path tally \
      --start "$BEG_S" --end "$END_S" --step 60 "$q" > ours.json
    e2e+=("$(awk '{print $1*1000}' time.txt)"); rss_kb=$(awk '{print $2}' time.txt)
    t=$(curl -s -o prom.json -w '%{time_total}' --data-urlencode "query=$q" \
      --data-urlencode "start=$BEG_S" --data-urlencode "end=$END_S" --data-urlencode "step=60" \
      127.0.0.1:$PORT/api/v1/query_range)
    prom+=("$(awk -v t="$t" 'BEGIN{print t*1000}')")
  done
  same=yes; python3 "$HERE/compare_json.py" ours.json prom.json > diff.txt || same=no
  printf '%-100s %12.1f %12.1f %12.1f %12.1f %8s\n' "$q" "${in_ms:-0}" \
    "$(printf '%s\n' "${e2e[@]}" | median)" "$(printf '%s\n' "${prom[@]}" | median)" \
    "$(awk -v k="$rss_kb" 'BEGIN{print k/1024}')" "$same"
  [ "$same" = yes ] || sed 's/^/    /' diff.txt | head -5
done
echo "tally bench peak RSS (whole bench process, all queries): $(bench_field BM_PredictLinear4h peak_rss_MiB) MiB"
echo "prometheus VmHWM: $(awk '/VmHWM/{print $2/1024 " MiB"}' /proc/$PROM_PID/status)"
