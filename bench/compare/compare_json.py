#!/usr/bin/env python3
"""Compares two Prometheus query-API JSON bodies (ours vs Prometheus 2.42).

Usage: compare_json.py OURS.json PROM.json
Exit 0 when they agree: same status, resultType, label sets (in order for vectors, as
sets for matrices), timestamps exactly, values within a relative 1e-9 (NaN == NaN).
Prints the first differences otherwise.
"""
import json
import math
import sys


def num(s):
    return float(s.replace("+Inf", "inf").replace("-Inf", "-inf"))


def close(a, b):
    x, y = num(a), num(b)
    if math.isnan(x) and math.isnan(y):
        return True
    if x == y:
        return True
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))


ORDERED = False


def main():
    global ORDERED
    ORDERED = len(sys.argv) > 3 and sys.argv[3] == "--ordered"
    errs = compare_files(sys.argv[1], sys.argv[2])
    for e in errs[:10]:
        print("  " + e)
    return 1 if errs else 0


def compare_files(ours_path, prom_path):
    """The differences between two query-API bodies (empty when they agree)."""
    try:
        ours = json.load(open(ours_path))
        prom = json.load(open(prom_path))
    except (OSError, ValueError) as e:
        return [f"unreadable answer: {e}"]
    errs = []
    if ours.get("status") != prom.get("status"):
        errs.append(f"status {ours.get('status')} vs {prom.get('status')}: {ours} / {prom}")
    elif ours["status"] == "error":
        if ours.get("errorType") != prom.get("errorType"):
            errs.append(f"errorType {ours.get('errorType')} vs {prom.get('errorType')}")
        if ours.get("error") != prom.get("error"):
            errs.append(f"error text {ours.get('error')!r} vs {prom.get('error')!r}")
    else:
        od, pd = ours["data"], prom["data"]
        if od["resultType"] != pd["resultType"]:
            errs.append(f"resultType {od['resultType']} vs {pd['resultType']}")
        elif od["resultType"] in ("scalar", "string"):
            if od["result"][0] != pd["result"][0] or not close(od["result"][1], pd["result"][1]):
                errs.append(f"{od['result']} vs {pd['result']}")
        else:
            key = lambda s: json.dumps(s["metric"], sort_keys=True)
            o = {key(s): s for s in od["result"]}
            p = {key(s): s for s in pd["result"]}
            for k in sorted(set(o) | set(p)):
                if k not in o:
                    errs.append(f"missing {k}")
                    continue
                if k not in p:
                    errs.append(f"extra {k}")
                    continue
                if od["resultType"] == "vector":
                    a, b = o[k]["value"], p[k]["value"]
                    if a[0] != b[0] or not close(a[1], b[1]):
                        errs.append(f"{k}: {a} vs {b}")
                else:
                    a, b = o[k]["values"], p[k]["values"]
                    if len(a) != len(b):
                        errs.append(f"{k}: {len(a)} points vs {len(b)}")
                    for x, y in zip(a, b):
                        if x[0] != y[0] or not close(x[1], y[1]):
                            errs.append(f"{k}: {x} vs {y}")
                            break
            if od["resultType"] == "vector" and not errs and ORDERED:
                if [key(s) for s in od["result"]] != [key(s) for s in pd["result"]]:
                    errs.append("vector order differs")
    return errs


if __name__ == "__main__":
    sys.exit(main())
