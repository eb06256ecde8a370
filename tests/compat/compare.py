"""Compares one Tally answer with Prometheus 2.42's answer to the same API request.

Values are the API's strings (Go's shortest round-trip formatting on both sides), so equal
strings mean equal bits. `exact` demands that; otherwise two numbers pass when within
1e-12 relative (the differential test uses this only where Prometheus's own float operation
order is not fixed: it aggregates range-query steps in Go map order, see differential.py).
Returns a list of difference strings (empty when the answers agree).
"""
import json
import math

REL = 1e-12


def _num(s):
    return float(s.replace("+Inf", "inf").replace("-Inf", "-inf"))


def _same_value(a, b, exact):
    if a == b:
        return True
    if exact:
        return False
    x, y = _num(a), _num(b)
    if math.isnan(x) and math.isnan(y):
        return True
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= REL * max(abs(x), abs(y))


def _key(metric):
    return json.dumps(metric, sort_keys=True)


def compare(ours_status, ours, prom_status, prom, exact=True, ordered=True, ties=False):
    """ours/prom: parsed JSON bodies (or None when not JSON). ties: for topk/bottomk range
    queries, a step may keep a different one of exactly equal values (see differential.py)."""
    errs = []
    if ours is None or prom is None:
        if ours != prom:
            errs.append("body not JSON on one side (HTTP %s vs %s)" % (ours_status, prom_status))
        return errs
    if ours.get("status") != prom.get("status"):
        errs.append("status %s (%s) vs %s (%s)" % (ours.get("status"), ours.get("error", ""),
                                                   prom.get("status"), prom.get("error", "")))
        return errs
    if ours["status"] == "error":
        if ours.get("errorType") != prom.get("errorType"):
            errs.append("errorType %s vs %s" % (ours.get("errorType"), prom.get("errorType")))
        if ours.get("error") != prom.get("error"):
            errs.append("error %r vs %r" % (ours.get("error"), prom.get("error")))
        if ours_status != prom_status:
            errs.append("HTTP %s vs %s" % (ours_status, prom_status))
        return errs
    od, pd = ours.get("data"), prom.get("data")
    if not isinstance(od, dict) or "resultType" not in od:
        # /series, /labels, /label/<name>/values: plain lists, compared as they are.
        if od != pd:
            o = od if isinstance(od, list) else []
            p = pd if isinstance(pd, list) else []
            so = {_key(x) for x in o}
            sp = {_key(x) for x in p}
            extra = sorted(so - sp)[:3]
            missing = sorted(sp - so)[:3]
            errs.append("data differs: %d vs %d items; extra %s missing %s%s" % (
                len(o), len(p), extra, missing, "" if so != sp else " (order)"))
        return errs
    if od["resultType"] != pd["resultType"]:
        return ["resultType %s vs %s" % (od["resultType"], pd["resultType"])]
    rt = od["resultType"]
    if rt in ("scalar", "string"):
        a, b = od["result"], pd["result"]
        if a[0] != b[0]:
            errs.append("timestamp %s vs %s" % (a[0], b[0]))
        elif not (a[1] == b[1] if rt == "string" else _same_value(a[1], b[1], exact)):
            errs.append("value %s vs %s" % (a[1], b[1]))
        return errs
    o_res, p_res = od["result"], pd["result"]
    if rt == "vector":
        if ordered and [_key(s["metric"]) for s in o_res] != [_key(s["metric"]) for s in p_res]:
            so = {_key(s["metric"]) for s in o_res}
            sp = {_key(s["metric"]) for s in p_res}
            if so == sp:
                errs.append("same series, other order: %s vs %s" % (
                    [s["metric"] for s in o_res][:4], [s["metric"] for s in p_res][:4]))
            else:
                errs.append("series differ: extra %s missing %s" % (
                    sorted(so - sp)[:3], sorted(sp - so)[:3]))
            return errs
        p_by = {_key(s["metric"]): s for s in p_res}
        for s in o_res:
            k = _key(s["metric"])
            if k not in p_by:
                errs.append("extra %s" % k)
                continue
            a, b = s["value"], p_by[k]["value"]
            if a[0] != b[0] or not _same_value(a[1], b[1], exact):
                errs.append("%s: %s vs %s" % (k, a, b))
        if len(o_res) != len(p_res) and not errs:
            errs.append("%d series vs %d" % (len(o_res), len(p_res)))
        return errs[:10]
    # matrix
    if ties:
        return _compare_matrix_ties(o_res, p_res)
    o_by = {_key(s["metric"]): s["values"] for s in o_res}
    p_by = {_key(s["metric"]): s["values"] for s in p_res}
    for k in sorted(set(o_by) | set(p_by)):
        if k not in o_by:
            errs.append("missing %s" % k)
        elif k not in p_by:
            errs.append("extra %s" % k)
        else:
            a, b = o_by[k], p_by[k]
            if len(a) != len(b):
                ta = {x[0] for x in a}
                tb = {x[0] for x in b}
                errs.append("%s: %d points vs %d (only ours at %s, only theirs at %s)" % (
                    k, len(a), len(b), sorted(ta - tb)[:3], sorted(tb - ta)[:3]))
                continue
            for x, y in zip(a, b):
                if x[0] != y[0] or not _same_value(x[1], y[1], exact):
                    errs.append("%s: %s vs %s" % (k, x, y))
                    break
        if len(errs) >= 10:
            break
    return errs


def _compare_matrix_ties(o_res, p_res):
    """Per step: the same multiset of values, bit for bit. topk/bottomk keep the k largest
    (smallest) values, so equal multisets mean the kept series differ only among exactly
    equal values."""
    def by_step(res):
        steps = {}
        for s in res:
            for t, v in s["values"]:
                steps.setdefault(t, []).append((v, _key(s["metric"])))
        return steps
    so, sp = by_step(o_res), by_step(p_res)
    errs = []
    for t in sorted(set(so) | set(sp)):
        a, b = sorted(so.get(t, [])), sorted(sp.get(t, []))
        if sorted(v for v, _ in a) != sorted(v for v, _ in b):
            errs.append("step %s: values %s vs %s" % (t, a[:4], b[:4]))
        if len(errs) >= 5:
            break
    return errs
