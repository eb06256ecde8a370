#!/usr/bin/env python3
"""Runs the PromQL compliance tester's 539 queries (shared/compliance/promql-test-queries.yml,
expanded with the tester's variant lists) as range queries on `tally query` and on the real
Prometheus 2.42, over the same synthetic demo-service-shaped data (demo_* metrics, 3
instances, 1 h at 5 s, a counter reset, an intermittent series, classic histograms), and
compares the JSON with compare_json.py.

Usage: compliance_queries.py TALLY_BINARY [WORKDIR]   (needs prometheus and promtool)
Last run: 539 queries, 0 differences (3 queries starting with '-' need `--` before EXPR
on the tally command line; the script passes it).
"""
import os, shutil, subprocess, sys, time
TALLY = os.path.abspath(sys.argv[1])
WORK = sys.argv[2] if len(sys.argv) > 2 else "/tmp/tally-compliance"
HERE = os.path.dirname(os.path.abspath(__file__))
os.makedirs(WORK, exist_ok=True)
os.chdir(WORK)
import math, random
random.seed(3)
start = 1735686000  # seconds
n = 720  # 1h at 5s
insts = ["demo.promlabs.com:10000", "demo.promlabs.com:10001", "demo.promlabs.com:10002"]
out = []
def fam(name, typ):
    out.append("# TYPE %s %s" % (name, typ))
series = {}
def add(name, labels, vals):
    series.setdefault(name, []).append((labels, vals))
for ii, inst in enumerate(insts):
    base = 'instance="%s",job="demo"' % inst
    for t in ["free", "used", "buffers", "cached"]:
        v = 1e9 * (ii + 1); vals = []
        for k in range(n):
            v += random.randint(-4096, 4096) * 1024; vals.append(v)
        add("demo_memory_usage_bytes", base + ',type="%s"' % t, vals)
    add("demo_num_cpus", base, [4.0 + ii] * n)
    for mode in ["idle", "user", "system"]:
        c = 0.0; vals = []
        for k in range(n):
            if k == 400 and ii == 1: c = 0.0
            c += random.random() * 5; vals.append(c)
        add("demo_cpu_usage_seconds_total", base + ',mode="%s"' % mode, vals)
    add("demo_batch_last_success_timestamp_seconds", base, [float(start + (k // 60) * 300) for k in range(n)])
    add("demo_disk_usage_bytes", base, [5e10 + k * 1000.0 * (ii + 1) for k in range(n)])
    vals = [float(k) if (k // 50) % 2 == 0 else None for k in range(n)]
    add("demo_intermittent_metric", base, vals)
    for path in ["/api/foo", "/api/bar"]:
        counts = [0.0] * 7; les = ["0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf"]
        hist = [[] for _ in les]; cnt = []; sm = []; s = 0.0; total = 0
        for k in range(n):
            obs = random.randint(0, 20)
            for _ in range(obs):
                x = random.expovariate(10)
                s += x; total += 1
                for j, le in enumerate(les):
                    if le == "+Inf" or x <= float(le): counts[j] += 1
            for j in range(len(les)): hist[j].append(counts[j])
            cnt.append(float(total)); sm.append(s)
        for j, le in enumerate(les):
            add("demo_api_request_duration_seconds_bucket", base + ',method="GET",path="%s",status="200",le="%s"' % (path, le), hist[j])
        add("demo_api_request_duration_seconds_count", base + ',method="GET",path="%s",status="200"' % path, cnt)
        add("demo_api_request_duration_seconds_sum", base + ',method="GET",path="%s",status="200"' % path, sm)
with open("data.om", "w") as f:
    for name, lst in series.items():
        f.write("# TYPE %s unknown\n" % name)
        for labels, vals in lst:
            for k, v in enumerate(vals):
                if v is None: continue
                f.write("%s{%s} %r %d\n" % (name, labels, v, start + 5 * k))
    f.write("# EOF\n")

shutil.rmtree("tally", ignore_errors=True)
shutil.rmtree("prom", ignore_errors=True)
subprocess.run([TALLY, "backfill", "--storage.tsdb.path", "tally", "data.om"], check=True,
               stdout=subprocess.DEVNULL)
subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "data.om", "prom"],
               check=True, stdout=subprocess.DEVNULL)
open("prom.yml", "w").write("global:\n  scrape_interval: 15s\n")
prom = subprocess.Popen(["prometheus", "--config.file=prom.yml", "--storage.tsdb.path=prom",
                         "--storage.tsdb.retention.time=100y",
                         "--web.listen-address=127.0.0.1:19093"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
import urllib.request
for _ in range(120):
    try:
        urllib.request.urlopen("http://127.0.0.1:19093/-/ready", timeout=1)
        break
    except Exception:
        time.sleep(0.5)
try:
    import itertools, json, re, subprocess, sys, urllib.parse, urllib.request, yaml
    V = {"range": "1s 15s 1m 5m 15m 1h".split(), "offset": "1m 5m 10m".split(),
         "simpleAggrOp": "sum avg max min count stddev stdvar".split(),
         "simpleTimeAggrOp": "sum avg max min count stddev stdvar absent last".split(),
         "topBottomOp": "topk bottomk".split(), "quantile": "-0.5 0.1 0.5 0.75 0.95 0.90 0.99 1 1.5".split(),
         "arithBinOp": "+ - * / % ^".split(), "compBinOp": "== != < > <= >=".split(),
         "binOp": "+ - * / % ^ == != < > <= >=".split(),
         "simpleMathFunc": "abs ceil floor exp sqrt ln log2 log10 round".split(),
         "extrapolatedRateFunc": "delta rate increase".split(), "clampFunc": "clamp_min clamp_max".split(),
         "instantRateFunc": "idelta irate".split(),
         "dateFunc": "day_of_month day_of_week days_in_month hour minute month year".split()}
    tc = yaml.safe_load(open(os.path.join(HERE, "../../../shared/compliance/promql-test-queries.yml")))["test_cases"]
    queries = []
    for t in tc:
        args = t.get("variant_args") or []
        for combo in itertools.product(*[V[a] for a in args]):
            q = t["query"]
            for a, v in zip(args, combo):
                q = q.replace("{{." + a + "}}", v)
            queries.append((q, t.get("should_fail", False)))
    print(len(queries), "queries")
    END = 1735689600 - 720; START = END - 600
    diff = fail = crash = 0
    for q, sf in queries:
        p = subprocess.run([TALLY, "query", "--storage.tsdb.path", "tally", "--start", str(START), "--end", str(END), "--step", "10", "--", q], capture_output=True, text=True)
        if p.returncode not in (0, 1):
            crash += 1; print("CRASH", p.returncode, q); continue
        open("o.json", "w").write(p.stdout)
        data = urllib.parse.urlencode({"query": q, "start": START, "end": END, "step": 10}).encode()
        try:
            body = urllib.request.urlopen("http://127.0.0.1:19093/api/v1/query_range", data=data).read()
        except urllib.error.HTTPError as e:
            body = e.read()
        open("p.json", "wb").write(body)
        r = subprocess.run(["python3", os.path.join(HERE, "compare_json.py"), "o.json", "p.json"], capture_output=True, text=True)
        if r.returncode != 0:
            diff += 1; print("DIFF", q); print(r.stdout[:600])
    print("diffs", diff, "crashes", crash, "of", len(queries))

finally:
    prom.terminate()
    prom.wait()
