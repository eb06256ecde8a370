#!/usr/bin/env python3
"""Differential test: Tally against the real Prometheus 2.42 on the same data and queries.

  differential.py --tally BUILD/tally [--workdir DIR] [--jobs N] [--filter REGEX] [--keep]

Steps: `tally generate` (seeded LLM-cost data) plus the compat_* and demo_* series of
dataset.py -> `tally backfill` and `promtool tsdb create-blocks-from openmetrics` -> both
servers on free 127.0.0.1 ports -> the stale-marker series by remote write to both -> every
corpus.py expression as instant queries at INSTANTS and range queries at RANGES, plus
/api/v1/series, /labels and /label/<name>/values with match[], start and end -> one line
per failing request, then `N passed, M failed`. Exit 0 when nothing failed, 1 otherwise,
77 (CTest's skip code here) when /usr/bin/prometheus or promtool is absent.

What "equal" means (compare.py): same status, errorType and error text, resultType, label
sets, timestamps; vectors of instant queries in the same order; values bit for bit, except
range queries of expressions that aggregate (sum, avg, stddev, stdvar) over anything: 2.42
evaluates each step of such a query from a Go map of the argument's series, so its own
float summation order (and last bits) varies from run to run; there 1e-12 relative. For the
same reason topk/bottomk in range queries may keep a different one of exactly equal values
(checked: same multiset of values per step). Known differences: ALLOWLIST below, each
explained in docs/compatibility.md.

Stdlib only. Every wait is bounded; both servers are stopped on exit.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import corpus  # noqa: E402
import dataset  # noqa: E402

PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")
PROMTOOL = os.environ.get("PROMTOOL", "/usr/bin/promtool")
S, E, L = dataset.START_S, dataset.END_S, dataset.LIVE_S

# Instant query times: aligned to samples (lookback boundary 5 m after compat_sparse's
# samples), an odd millisecond, the last generated sample, the stale-marker window.
INSTANTS = [S + 3 * 3600, S + 5 * 3600 + 37.123, E - 0.001, L + 10 * 60 + 15, L + 32 * 60]
# Range queries: a dashboard-like 6 h at 60 s, an odd step, the stale window at 15 s.
RANGES = [(S + 3600, E, 60), (S + 2 * 3600 + 17, S + 5 * 3600 + 17, 433),
          (L, L + 45 * 60, 15)]
# The compliance templates run as the tester runs them (10 min at 10 s) and at one instant.
LIGHT_INSTANTS = [S + 5 * 3600 + 37.123]
LIGHT_RANGES = [(S + 6 * 3600 - 600, S + 6 * 3600, 10)]

# Known, documented differences: expression -> why (docs/compatibility.md, "Differential
# test"). Keep it short; every entry needs its explanation there.
ALLOWLIST = {}

# Go's math library (amd64) and glibc's libm round some results differently in the last
# bit (sin(2): ...817 vs ...816; x ^ 1.2345); both are within an ulp or two of the true value.
LIBM = re.compile(r"\b(exp|ln|log2|log10|sin|cos|tan|asin|acos|atan|sinh|cosh|tanh|asinh|"
                  r"acosh|atanh|atan2)\b|\^")
# Functions whose instant-query output order 2.42 takes from a Go map (random per run):
# histogram_quantile's buckets, and every range function over a subquery (the subquery's
# series come out of rangeEval's map).
UNORDERED = re.compile(r"\bhistogram_quantile\b|\[[^\]]*:[^\]]*\]")
ORDER_SENSITIVE_AGG = re.compile(r"\b(sum|avg|stddev|stdvar)\b\s*(by|without)?\s*(\(|\s)")
TOPK = re.compile(r"\b(topk|bottomk)\b")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, proc, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return True
        except Exception:
            time.sleep(0.2)
    return False


def request(base, path, params):
    data = urllib.parse.urlencode(params, doseq=True).encode()
    req = urllib.request.Request(base + path, data=data, method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            code, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, body = e.code, e.read()
    except Exception as e:  # connection refused, timeout: a failure, not a crash
        return 0, {"status": "transport", "error": str(e)}
    try:
        return code, json.loads(body)
    except ValueError:
        return code, None


def build_data(tally, work):
    om = os.path.join(work, "data.om")
    gen = os.path.join(work, "llm.om")
    subprocess.run([tally, "generate", "--hours", str(dataset.HOURS), "--seed", "7",
                    "--start", str(S * 1000), "--out", gen], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text = open(gen).read()
    assert text.endswith("# EOF\n"), "generate output does not end with # EOF"
    with open(om, "w") as f:
        f.write(text[:-len("# EOF\n")])
        f.write(dataset.edge_openmetrics())
        f.write("# EOF\n")
    os.unlink(gen)
    t0 = time.time()
    subprocess.run([tally, "backfill", "--storage.tsdb.path", os.path.join(work, "tally"),
                    "--storage.tsdb.retention.time", "100y", om], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = time.time()
    subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", om,
                    os.path.join(work, "prom")], check=True, stdout=subprocess.DEVNULL)
    t2 = time.time()
    n = sum(1 for line in open(om) if line[:1] not in ("#", ""))
    print("data: %d samples (%s); backfill %.1fs, promtool %.1fs" % (n, om, t1 - t0, t2 - t1),
          flush=True)


def start_servers(tally, work):
    cfg = os.path.join(work, "prom.yml")
    open(cfg, "w").write("global:\n  scrape_interval: 15s\n")
    pp, tp = free_port(), free_port()
    prom = subprocess.Popen(
        [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(work, "prom"),
         "--storage.tsdb.retention.time=100y", "--web.listen-address=127.0.0.1:%d" % pp,
         "--web.enable-remote-write-receiver"],
        stdout=open(os.path.join(work, "prom.log"), "w"), stderr=subprocess.STDOUT)
    tal = subprocess.Popen(
        [tally, "serve", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(work, "tally"),
         "--storage.tsdb.retention.time=100y", "--web.listen-address=127.0.0.1:%d" % tp],
        stdout=open(os.path.join(work, "tally.log"), "w"), stderr=subprocess.STDOUT)
    return prom, tal, "http://127.0.0.1:%d" % pp, "http://127.0.0.1:%d" % tp


def fmt_t(t):
    return ("%.3f" % t).rstrip("0").rstrip(".")


def build_requests(queries):
    """[(name, path, params, exact, ordered, ties)]"""
    reqs = []
    for expr, kind in queries:
        inst = INSTANTS if kind == "full" else LIGHT_INSTANTS
        rngs = RANGES if kind == "full" else LIGHT_RANGES
        agg = bool(ORDER_SENSITIVE_AGG.search(expr))
        libm = bool(LIBM.search(expr))
        ordered = not UNORDERED.search(expr) or re.match(r"\s*(sort|sort_desc|topk|bottomk)\b", expr)
        topk = bool(TOPK.search(expr))
        for t in inst:
            reqs.append(("query t=%s %s" % (fmt_t(t), expr), "/api/v1/query",
                         {"query": expr, "time": fmt_t(t)}, not libm, bool(ordered), False))
        for a, b, st in rngs:
            reqs.append(("query_range %s..%s/%ss %s" % (fmt_t(a), fmt_t(b), st, expr),
                         "/api/v1/query_range",
                         {"query": expr, "start": fmt_t(a), "end": fmt_t(b), "step": str(st)},
                         not (agg or libm), True, topk))
    # Metadata endpoints, with and without matchers and time bounds.
    matchers = [None, ['llm_cost_tracker_requests_total{status="error"}'], ['{__name__=~"compat_.*"}'],
                ["compat_stale", "compat_sparse"], ['{job="demo",instance=~".*0"}'],
                ['{__name__="nonexistent"}']]
    windows = [None, (S, E), (S + 3600, S + 7200), (L, L + 600), (L + 20 * 60, L + 30 * 60)]
    for m in matchers:
        for w in windows:
            params = {}
            if m:
                params["match[]"] = m
            if w:
                params["start"], params["end"] = fmt_t(w[0]), fmt_t(w[1])
            desc = "%s %s" % (m, w)
            if m:
                reqs.append(("series " + desc, "/api/v1/series", params, True, True, False))
            reqs.append(("labels " + desc, "/api/v1/labels", params, True, True, False))
            for name in ["__name__", "case", "model", "instance"]:
                reqs.append(("label/%s/values %s" % (name, desc), "/api/v1/label/%s/values" % name,
                             params, True, True, False))
    return reqs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tally", required=True)
    ap.add_argument("--workdir")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--filter")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--max-print", type=int, default=60)
    ap.add_argument("--show-loose", action="store_true",
                    help="list the requests that passed only within tolerance or by the tie rule")
    args = ap.parse_args()
    for b in (PROMETHEUS, PROMTOOL):
        if not os.access(b, os.X_OK):
            print("SKIPPED: %s is not installed (apt-get install prometheus); the differential "
                  "test needs Prometheus 2.42 as the oracle" % b)
            return 77
    tally = os.path.abspath(args.tally)
    work = args.workdir or tempfile.mkdtemp(prefix="tally-compat-")
    os.makedirs(work, exist_ok=True)
    started = time.time()
    prom = tal = None
    try:
        if not (os.path.isdir(os.path.join(work, "tally")) and os.path.isdir(os.path.join(work, "prom"))):
            shutil.rmtree(os.path.join(work, "tally"), ignore_errors=True)
            shutil.rmtree(os.path.join(work, "prom"), ignore_errors=True)
            build_data(tally, work)
        prom, tal, pbase, tbase = start_servers(tally, work)
        for base, proc, name in ((pbase, prom, "prometheus"), (tbase, tal, "tally")):
            if not wait_ready(base + "/-/ready", proc, 60):
                print("FAILED: %s did not become ready; log: %s" % (name, os.path.join(work, name[:4] + ".log")))
                return 1
        marker = os.path.join(work, "remote-written")
        if not os.path.exists(marker):  # a reused work dir has them already
            for base in (pbase, tbase):
                dataset.remote_write(base + "/api/v1/write", dataset.stale_series())
            open(marker, "w").close()
        queries = corpus.all_queries()
        if args.filter:
            queries = [(e, k) for e, k in queries if re.search(args.filter, e)]
        reqs = build_requests(queries)
        print("corpus: %d expressions, %d requests per server" % (len(queries), len(reqs)), flush=True)

        def run(r):
            name, path, params, exact, ordered, ties = r
            oc, ob = request(tbase, path, params)
            pc, pb = request(pbase, path, params)
            for body, who in ((ob, "tally"), (pb, "prometheus")):
                if isinstance(body, dict) and body.get("status") == "transport":
                    return name, ["%s: %s" % (who, body["error"])], False
            errs = compare.compare(oc, ob, pc, pb, exact=exact, ordered=ordered, ties=ties)
            # Passed only thanks to the tolerance (or the tie rule)?
            loose = not errs and (not exact or ties) and bool(
                compare.compare(oc, ob, pc, pb, exact=True, ordered=ordered, ties=False))
            return name, errs, loose

        passed = failed = allowed = loose_passes = 0
        printed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for name, errs, loose in pool.map(run, reqs):
                expr = name.split(" ", 2)[-1] if name.startswith("query") else None
                if not errs:
                    passed += 1
                    loose_passes += loose
                    if loose and args.show_loose:
                        print("LOOSE %s" % name)
                elif expr in ALLOWLIST:
                    allowed += 1
                else:
                    failed += 1
                    if printed < args.max_print:
                        printed += 1
                        print("FAIL %s" % name)
                        for e in errs[:3]:
                            print("    " + e[:400])
        print("(%d of the passes needed the 1e-12 tolerance or the tie rule, not bit equality)"
              % loose_passes)
        print("%d passed, %d failed%s (%.0fs)" % (
            passed, failed, ", %d allowed (docs/compatibility.md)" % allowed if allowed else "",
            time.time() - started))
        return 1 if failed else 0
    finally:
        for p in (prom, tal):
            if p is not None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
