#!/usr/bin/env python3
"""Formats bench/compare/run's figures (OUT/results.txt, OUT/*.bench.json) as one markdown table.

  report.py OUT          prints the markdown (machine, versions, the table, per-panel latencies)
  report.py --check OUT  exit 1 unless every engine answered every query with HTTP 200, every
                         remote write was accepted, and Tally's answers equal Prometheus's
"""
import json
import os
import sys

ENGINES = ("tally", "prom", "vm")


def pct(v, p):
    """Nearest-rank percentile, as tally_rw_loadgen computes it."""
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]


def load(out):
    res = {}
    for line in open(os.path.join(out, "results.txt")):
        k, _, v = line.strip().partition(" ")
        res[k] = v
    bench = {}
    for e in ENGINES:
        path = os.path.join(out, f"{e}.bench.json")
        if os.path.exists(path):
            bench[e] = json.load(open(path))
    panels = open(os.path.join(out, "panels.txt")).read().splitlines()
    return res, bench, panels


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def fmt(x, digits):
    if x != x:
        return "—"
    if abs(x) >= 1000 and digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def ratio(a, b):
    return "—" if a != a or b != b or b == 0 else f"{a / b:.2f}×"


def check(out):
    res, bench, panels = load(out)
    bad = []
    for e in ENGINES:
        if e not in bench:
            bad.append(f"{e}: no query results")
            continue
        bad += [f"{e}: {err}" for err in bench[e]["errors"]]
        if f"{e}.rw_failed" in res and res[f"{e}.rw_failed"] not in ("0", ""):
            bad.append(f"{e}: {res[e + '.rw_failed']} remote-write requests failed")
    for kind in ("range", "instant"):
        if res.get(f"tally.{kind}_different", "1") != "0":
            bad.append(f"tally: {res.get(f'tally.{kind}_different')} {kind} answers differ from "
                       f"Prometheus's (see {out}/tally.{kind}_*.diff)")
    for b in bad:
        print("check failed:", b, file=sys.stderr)
    print("check:", "ok" if not bad else f"{len(bad)} problem(s)")
    return 1 if bad else 0


def main(out):
    res, bench, panels = load(out)
    n = len(panels)
    g = lambda k: num(res.get(k))
    rows = []  # (figure, values per engine, digits, which is better)

    def row(name, key, digits, better):
        rows.append((name, [g(f"{e}.{key}") for e in ENGINES], digits, better))

    def lat_rows(kind, label):
        med = {e: [pct(l, 0.5) for l in bench[e][kind][:n]] for e in bench}
        pooled = {e: [x for l in bench[e][kind][:n] for x in l] for e in bench}
        get = lambda d, f: [f(d[e]) if e in d else float("nan") for e in ENGINES]
        rows.append((f"dashboard {label}: total, sum of {n} panel medians (ms)",
                     get(med, sum), 1, "lower"))
        rows.append((f"dashboard {label}: median of all panel runs (ms)",
                     get(pooled, lambda v: pct(v, 0.5)), 1, "lower"))
        rows.append((f"dashboard {label}: p99 of all panel runs (ms)",
                     get(pooled, lambda v: pct(v, 0.99)), 1, "lower"))
        rows.append((f"`sum(increase(llm_cost_tracker_total_cost_usd[24h]))` {label} median (ms)",
                     [pct(bench[e][kind][n], 0.5) if e in bench else float("nan")
                      for e in ENGINES], 1, "lower"))

    row("bytes/sample on disk", "bytes_per_sample", 3, "lower")
    row("import samples/s (backfill / promtool / VM import)", "import_sps", 0, "higher")
    row("remote-write ingest samples/s", "rw_sps", 0, "higher")
    row("RSS after remote-write ingest + 25 queries (MiB)", "rss_rw_mib", 0, "lower")
    row("RSS after the dashboard queries, loaded store (MiB)", "rss_queries_mib", 0, "lower")
    row("cold start to first answer, loaded store (s)", "cold_start_s", 2, "lower")
    if bench:
        lat_rows("range", "24 h range at 60 s")
        lat_rows("instant", "instant")

    lines = []
    lines.append("```")
    lines += open(os.path.join(out, "machine.txt")).read().splitlines()
    lines.append("```")
    lines.append("")
    lines.append("| figure | Tally | Prometheus 2.42 | VictoriaMetrics | Tally/Prom | Tally/VM | better |")
    lines.append("|---|--:|--:|--:|--:|--:|---|")
    for name, v, d, better in rows:
        lines.append(f"| {name} | {fmt(v[0], d)} | {fmt(v[1], d)} | {fmt(v[2], d)} | "
                     f"{ratio(v[0], v[1])} | {ratio(v[0], v[2])} | {better} |")
    for kind in ("range", "instant"):
        cells = []
        for e in ENGINES:
            if e == "prom":
                cells.append("(reference)")
            elif f"{e}.{kind}_equal" in res:
                cells.append(f"{res[e + '.' + kind + '_equal']} equal, "
                             f"{res[e + '.' + kind + '_different']} different")
            else:
                cells.append("—")
        lines.append(f"| {kind} answers vs Prometheus (compare_json.py) | {cells[0]} | {cells[1]} "
                     f"| {cells[2]} | | | |")
    lines.append("")
    lines.append(f"Samples: {res.get('samples')} ({res.get('series')} series). "
                 "Ratios are Tally's figure over the other's.")
    if bench:
        lines.append("")
        lines.append("Per panel, 24 h range at 60 s step, median / p99 ms:")
        lines.append("")
        lines.append("| # | panel query | Tally | Prometheus | VictoriaMetrics |")
        lines.append("|--:|---|--:|--:|--:|")
        for i, q in enumerate(panels):
            cells = []
            for e in ENGINES:
                if e in bench:
                    l = bench[e]["range"][i]
                    cells.append(f"{pct(l, 0.5):.1f} / {pct(l, 0.99):.1f}")
                else:
                    cells.append("—")
            lines.append(f"| {i + 1} | `{q.replace('|', '¦')}` | {' | '.join(cells)} |")
        errs = [f"{e}: {x}" for e in bench for x in bench[e]["errors"]]
        if errs:
            lines.append("")
            lines.append(f"Errors ({len(errs)}): " + "; ".join(errs[:5]))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) == 2:
        sys.exit(main(sys.argv[1]))
    sys.exit(__doc__)
