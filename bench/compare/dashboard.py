#!/usr/bin/env python3
"""The seed dashboard's panel queries, and a loopback HTTP latency probe for them.

  dashboard.py panels
      Prints one query per line: every panel target of examples/llm-cost-tracker/
      dashboard.json with the recording rules of rules/recording.yml inlined (the loaded
      stores hold raw samples only, no rule output), so the same panels run on any engine.
  dashboard.py bench --port P --end S --span S --step S --runs N --out DIR QUERY...
      Runs each QUERY as a range query (end-span .. end at step) and as an instant query
      (at end), N times each, over one keep-alive HTTP connection to 127.0.0.1:P. Writes the
      last range answer of query i to DIR/range_i.json and prints a JSON object:
      {"range": [[ms...] per query], "instant": [[ms...] per query], "errors": [...]}.

Stdlib only (no PyYAML: the rules file is read with the small subset parser below).
"""
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "llm-cost-tracker")


def recording_rules(path):
    """name -> expr of `- record:` rules (inline `expr: X` or block `expr: |`)."""
    rules, name, lines = {}, None, open(path).read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*- record:\s*(\S+)", line)
        if m:
            name = m.group(1)
        m = re.match(r"(\s*)expr:\s*(.*)$", line)
        if m and name:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in ("|", ">", "|-", ">-"):
                body = []
                while i + 1 < len(lines) and (not lines[i + 1].strip() or
                                              len(lines[i + 1]) - len(lines[i + 1].lstrip()) > indent):
                    i += 1
                    body.append(lines[i].strip())
                rest = " ".join(b for b in body if b)
            rules[name] = rest
            name = None
        i += 1
    return rules


def inline(expr, rules):
    """Replaces recording-rule names (as whole metric names) with their parenthesised expr."""
    for _ in range(5):  # rules refer to rules (budget:* uses llm:cost_per_model_24h)
        changed = False
        for name, body in rules.items():
            pat = r"(?<![\w:])" + re.escape(name) + r"(?![\w:])"
            if re.search(pat, expr):
                expr = re.sub(pat, lambda _m, b=body: "(" + b + ")", expr)
                changed = True
        if not changed:
            break
    return expr


def panels():
    rules = recording_rules(os.path.join(EXAMPLE, "rules", "recording.yml"))
    dash = json.load(open(os.path.join(EXAMPLE, "dashboard.json")))
    out = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            out.append(inline(t["expr"], rules))
    return out


def bench(argv):
    args, queries = {}, []
    i = 0
    while i < len(argv):
        if argv[i].startswith("--"):
            args[argv[i][2:]] = argv[i + 1]
            i += 2
        else:
            queries.append(argv[i])
            i += 1
    port, end, span = int(args["port"]), float(args["end"]), float(args["span"])
    step, runs, out = args["step"], int(args["runs"]), args["out"]
    os.makedirs(out, exist_ok=True)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    hdr = {"Content-Type": "application/x-www-form-urlencoded"}
    res = {"range": [], "instant": [], "errors": []}

    def call(path, form):
        body = urllib.parse.urlencode(form)
        t0 = time.perf_counter()
        conn.request("POST", path, body, hdr)
        r = conn.getresponse()
        data = r.read()
        ms = (time.perf_counter() - t0) * 1000
        if r.status != 200:
            res["errors"].append(f"{r.status} {path} {form['query'][:80]}: {data[:200]!r}")
        return ms, data

    for qi, q in enumerate(queries):
        lat, data = [], b""
        for _ in range(runs):
            ms, data = call("/api/v1/query_range",
                            {"query": q, "start": f"{end - span:.3f}", "end": f"{end:.3f}", "step": step})
            lat.append(ms)
        with open(os.path.join(out, f"range_{qi}.json"), "wb") as f:
            f.write(data)
        res["range"].append(lat)
        lat = []
        for _ in range(runs):
            ms, data = call("/api/v1/query", {"query": q, "time": f"{end:.3f}"})
            lat.append(ms)
        with open(os.path.join(out, f"instant_{qi}.json"), "wb") as f:
            f.write(data)
        res["instant"].append(lat)
    json.dump(res, sys.stdout)
    print()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "panels":
        print("\n".join(panels()))
    elif len(sys.argv) > 1 and sys.argv[1] == "bench":
        bench(sys.argv[2:])
    else:
        sys.exit(__doc__)
