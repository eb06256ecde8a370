"""The differential test's query corpus.

Sources, each a list of (expression, kind) pairs:
  seed        every expression of examples/llm-cost-tracker/rules/*.yml and of the seed guide
              (/work/shared/seed/monitoring-guide.md, or a copy of its expressions below when
              the file is absent); recording-rule names (llm:...) are replaced by the rule's
              expression, since the rules do not run in this test.
  compliance  the PromQL compliance tester's 539 template expansions
              (/work/shared/compliance/promql-test-queries.yml, demo_* series), when present.
  handmade    the list below: every function, operator, aggregation, modifier, matching
              mode and the edge cases of the compat_* series (dataset.py).
kind is "full" (every instant time and range step) or "light" (fewer evaluations).
"""
import itertools
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("TALLY_SHARED_DIR", "/work/shared")

# --- seed --------------------------------------------------------------------------------

# The guide's PromQL (dashboard panels and alert expressions), as in
# /work/shared/seed/monitoring-guide.md; used when that file is not there (CI checkouts).
SEED_FALLBACK = [
    "sum(llm:cost_per_model_24h)",
    "sum(llm:cost_per_model_1h) by (model)",
    "llm:cost_per_model_1h",
    "sum(llm:request_rate_5m)",
    "sum(llm:error_rate_5m) * 100",
    "llm:latency_p95_5m",
    "topk(10, sum(llm:cost_per_model_1h) by (application))",
    "topk(10, sum(llm:request_rate_5m) by (user_id))",
    "llm:cost_per_1k_tokens",
    "llm_cost_tracker_memory_usage_bytes / 1024 / 1024 / 1024",
    "rate(llm_cost_tracker_cpu_usage_ratio[5m]) * 100",
    "llm_cost_tracker_database_connections",
    'up{job="llm-cost-tracker"}',
    'rate(llm_cost_tracker_health_checks_total{status="success"}[5m])',
    "llm_cost_tracker_cache_hit_ratio * 100",
]


def _yaml_exprs(path):
    """(record name or None, expr) of each rule in a Prometheus rule file: enough YAML for
    `record:`/`alert:` followed by `expr:` as a plain, quoted or block (|, >) scalar."""
    out, name = [], None
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^\s*-?\s*(record|alert):\s*(.*)$", line)
        if m:
            name = m.group(2).strip() if m.group(1) == "record" else None
        m = re.match(r"^(\s*)-?\s*expr:\s*(.*)$", line)
        if m:
            rest = m.group(2).strip()
            if rest in ("|", ">", "|-", ">-"):
                ind = None
                body = []
                i += 1
                while i < len(lines):
                    l2 = lines[i]
                    if l2.strip() == "":
                        body.append("")
                        i += 1
                        continue
                    cur = len(l2) - len(l2.lstrip())
                    if ind is None:
                        ind = cur
                    if cur < ind:
                        break
                    body.append(l2[ind:])
                    i += 1
                expr = " ".join(b.strip() for b in body if b.strip() and not b.strip().startswith("#"))
                out.append((name, expr))
                continue
            if rest[:1] in "'\"":
                rest = rest[1:-1]
            out.append((name, rest))
        i += 1
    return out


def _guide_exprs(path):
    exprs = []
    text = open(path).read()
    for block in re.findall(r"```promql\n(.*?)```", text, re.S):
        for line in block.split("\n"):
            line = line.strip()
            if line and not line.startswith("#"):
                exprs.append(line)
    # Alert expressions inside ```yaml blocks.
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        tmp = os.path.join("/tmp", "compat-guide-%d.yml" % os.getpid())
        open(tmp, "w").write(block)
        exprs += [e for _, e in _yaml_exprs(tmp)]
        os.unlink(tmp)
    return exprs


def seed_queries():
    rules = {}
    exprs = []
    rule_dir = os.path.join(ROOT, "examples", "llm-cost-tracker", "rules")
    for fn in sorted(os.listdir(rule_dir)):
        if fn.endswith(".yml"):
            for name, e in _yaml_exprs(os.path.join(rule_dir, fn)):
                if name:
                    rules[name] = e
                exprs.append(e)
    guide = os.path.join(SHARED, "seed", "monitoring-guide.md")
    exprs += _guide_exprs(guide) if os.path.exists(guide) else SEED_FALLBACK

    def expand(e):
        for _ in range(4):  # rules may read other rules
            e2 = re.sub(r"\b(llm:[A-Za-z0-9_:]+)",
                        lambda m: "(" + rules[m.group(1)] + ")" if m.group(1) in rules else m.group(1), e)
            if e2 == e:
                break
            e = e2
        return e
    seen, out = set(), []
    for e in exprs:
        e = expand(e)
        if e not in seen:
            seen.add(e)
            out.append(e)
    return out


# --- compliance templates ------------------------------------------------------------------

VARIANTS = {
    "range": "1s 15s 1m 5m 15m 1h".split(), "offset": "1m 5m 10m".split(),
    "simpleAggrOp": "sum avg max min count stddev stdvar".split(),
    "simpleTimeAggrOp": "sum avg max min count stddev stdvar absent last".split(),
    "topBottomOp": "topk bottomk".split(),
    "quantile": "-0.5 0.1 0.5 0.75 0.95 0.90 0.99 1 1.5".split(),
    "arithBinOp": "+ - * / % ^".split(), "compBinOp": "== != < > <= >=".split(),
    "binOp": "+ - * / % ^ == != < > <= >=".split(),
    "simpleMathFunc": "abs ceil floor exp sqrt ln log2 log10 round".split(),
    "extrapolatedRateFunc": "delta rate increase".split(),
    "clampFunc": "clamp_min clamp_max".split(),
    "instantRateFunc": "idelta irate".split(),
    "dateFunc": "day_of_month day_of_week days_in_month hour minute month year".split(),
}


def compliance_queries():
    path = os.path.join(SHARED, "compliance", "promql-test-queries.yml")
    if not os.path.exists(path):
        return []
    cases, cur = [], None
    for line in open(path):
        m = re.match(r"^\s*-?\s*(?:#.*\n)?\s*query:\s*(.*)$", line)
        if m:
            q = m.group(1).strip()
            if q[:1] in "'\"":
                q = q[1:-1]
            cur = {"query": q, "args": []}
            cases.append(cur)
            continue
        m = re.match(r"^\s*variant_args:\s*\[(.*)\]", line)
        if m and cur is not None:
            cur["args"] = [a.strip().strip("'\"") for a in m.group(1).split(",")]
    out = []
    for c in cases:
        for combo in itertools.product(*[VARIANTS[a] for a in c["args"]]):
            q = c["query"]
            for a, v in zip(c["args"], combo):
                q = q.replace("{{." + a + "}}", v)
            out.append(q)
    return out


# --- hand-made -----------------------------------------------------------------------------

C = "llm_cost_tracker_total_cost_usd"
R = "llm_cost_tracker_requests_total"
B = "llm_cost_tracker_request_duration_seconds_bucket"
G = "llm_cost_tracker_memory_usage_bytes"
T = "llm_cost_tracker_prompt_tokens_total"


def handmade_queries():
    q = []
    # Selectors and matchers.
    q += [R, '%s{status="error"}' % R, '%s{status!="error",model=~"gpt.*"}' % R,
          '%s{model!~"gpt.*|claude.*"}' % R, '{__name__=~"llm_cost_tracker_(requests|errors)_total"}',
          '{__name__=~"compat_.*"}', '{job="llm-cost-tracker",__name__=~".*_ratio"}',
          '%s{model=""}' % R, '%s{nonexistent=""}' % R, '%s{application=~""}' % R,
          "compat_sparse", "compat_special", "compat_stale", "compat_stale_total",
          '{__name__="compat_requests_total"}']
    # Range functions over every window length class.
    for f in ["rate", "increase", "delta", "irate", "idelta", "resets", "changes", "deriv"]:
        for rng in ["1m", "5m", "1h", "6h"]:
            q.append("%s(%s[%s])" % (f, R, rng))
        q.append("%s(compat_requests_total[10m])" % f)
        q.append("%s(compat_stale_total[5m])" % f)
    for f in ["avg", "min", "max", "sum", "count", "stddev", "stdvar", "last", "present"]:
        for rng in ["2m", "1h", "6h"]:
            q.append("%s_over_time(%s[%s])" % (f, G, rng))
        q.append("%s_over_time(compat_special[10m])" % f)
        q.append("%s_over_time(compat_stale[3m])" % f)
        q.append("%s_over_time(compat_sparse[5m])" % f)
    q += ["quantile_over_time(0.9, %s[1h])" % G, "quantile_over_time(0, compat_special[10m])",
          "quantile_over_time(2, %s[5m])" % G, "quantile_over_time(NaN, %s[5m])" % G,
          "absent_over_time(%s[5m])" % G, "absent_over_time(nonexistent[5m])",
          "absent_over_time(compat_stale[1m])", "absent_over_time(compat_sparse[1m])",
          "predict_linear(%s[1h], 3600)" % C, "predict_linear(compat_sparse[30m], 600)",
          "deriv(compat_special[10m])", "holt_winters(%s[30m], 0.5, 0.5)" % G,
          "holt_winters(compat_sparse[1h], 0.1, 0.9)", "holt_winters(%s[5m], 1, 0.5)" % G,
          "rate(%s[24h])" % C, "increase(%s[24h])" % C, "sum(increase(%s[24h]))" % C,
          "increase(compat_requests_total[1h])", "rate(compat_tie_total[5m])",
          "irate(compat_requests_total[1m])", "resets(compat_requests_total[1h])",
          "changes(compat_special[10m])", "changes(compat_tie_gauge[1h])",
          "rate(compat_special[5m])", "delta(compat_special[5m])", "idelta(compat_special[1m])",
          "rate(compat_latency_seconds_bucket[5m])"]
    # Instant-vector functions.
    for f in ["abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "round", "sgn",
              "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh",
              "tan", "tanh", "deg", "rad", "timestamp", "sort", "sort_desc"]:
        q.append("%s(compat_special)" % f)
    q += ["round(%s, 0.1)" % G, "round(compat_special, 3)", "round(compat_sparse, -2)",
          "clamp(compat_special, -1, 1)", "clamp(compat_special, 1, -1)",
          "clamp_min(compat_special, 0)", "clamp_max(compat_special, 0)",
          "scalar(%s)" % G, "scalar(sum(%s))" % G, "scalar(nonexistent)",
          "vector(1)", "vector(time())", "time()", "pi()", "pi() * 2", "sort(%s)" % R,
          "sort_desc(rate(%s[5m]))" % R, "sort(compat_tie_gauge)", "sort_desc(compat_tie_gauge)",
          "timestamp(%s)" % G, "timestamp(compat_stale)", "timestamp(compat_sparse offset 1m)",
          "absent(%s)" % G, 'absent(nonexistent{job="x"})', 'absent(nonexistent{job=~"x"})',
          "absent(compat_stale)", 'absent(sum(nonexistent{a="b"}))',
          'label_replace(%s, "m2", "$1-x", "model", "(gpt)-(.*)")' % R,
          'label_replace(%s, "model", "", "model", ".*")' % R,
          'label_replace(%s, "__name__", "renamed", "", "")' % G,
          'label_join(%s, "key", ":", "model", "application", "status")' % R,
          'label_join(%s, "model", "", "nonexistent")' % R]
    for f in ["year", "month", "day_of_month", "day_of_week", "days_in_month", "hour", "minute",
              "day_of_year"]:
        q.append("%s()" % f)
        q.append("%s(compat_sparse * 3600)" % f)
    q += ["histogram_quantile(0.95, sum by (le) (rate(%s[5m])))" % B,
          "histogram_quantile(0.5, sum by (le, model) (rate(%s[1h])))" % B,
          "histogram_quantile(0.99, rate(%s[5m]))" % B,
          "histogram_quantile(0.9, rate(compat_latency_seconds_bucket[5m]))",
          "histogram_quantile(0.5, compat_latency_seconds_bucket)",
          "histogram_quantile(-1, compat_latency_seconds_bucket)",
          "histogram_quantile(2, compat_latency_seconds_bucket)",
          "histogram_quantile(NaN, compat_latency_seconds_bucket)"]
    # Aggregations.
    for op in ["sum", "avg", "min", "max", "count", "group", "stddev", "stdvar"]:
        q.append("%s(%s)" % (op, G))
        q.append("%s by (model) (rate(%s[5m]))" % (op, R))
        q.append("%s without (instance, status) (%s)" % (op, R))
        q.append("%s(compat_special)" % op)
    q += ["topk(3, %s)" % R, "bottomk(3, %s)" % R, "topk(2, compat_tie_gauge)",
          "bottomk(2, compat_tie_gauge)", "topk by (grp) (1, compat_tie_gauge)",
          "bottomk by (grp) (3, compat_tie_gauge)", "topk(5, compat_tie_gauge)",
          "topk(3, rate(compat_tie_total[5m]))", "bottomk(3, rate(compat_tie_total[5m]))",
          "topk(1, rate(compat_tie_total[5m]))", "topk(13, compat_tie_gauge)",
          "topk(3, compat_special)", "bottomk(3, compat_special)",
          # Ties whose input order 2.42 takes from a Go map in range queries (the tie rule).
          "topk(2, sum by (id) (rate(compat_tie_total[5m])))",
          "topk by (grp) (1, compat_tie_gauge * 1)", "bottomk(3, compat_tie_gauge + 0)",
          "topk(10, sum(rate(compat_tie_total[5m])) by (id))",
          "topk(0, %s)" % R, "topk(-1, %s)" % R, "topk(1e100, %s)" % R, "topk(2.7, %s)" % R,
          "topk(scalar(compat_sparse), %s)" % R,
          "topk(10, sum by (model) (rate(%s[5m])))" % R,
          "topk(10, sum(rate(%s[5m])) by (application, status))" % R,
          "quantile(0.5, %s)" % G, "quantile(0.9, rate(%s[5m]))" % R,
          "quantile by (model) (0.25, rate(%s[5m]))" % R, "quantile(-1, %s)" % G,
          "quantile(NaN, compat_special)",
          'count_values("v", compat_tie_gauge)', 'count_values by (grp) ("v", compat_tie_gauge)',
          'count_values("model", %s)' % G, 'count_values("__name__", compat_sparse)',
          'count_values("bad-name", %s)' % G,
          "sum by (le) (rate(%s[5m]))" % B, "sum by (__name__) (%s)" % R,
          "sum without (__name__) (%s)" % R, "avg by (case) (compat_special)",
          "max by (case) (compat_special)", "min(compat_special)", "stddev(compat_special)",
          "sum(compat_stale)", "count(compat_stale)", "avg(compat_stale_total)"]
    # Binary operators and matching.
    for op in ["+", "-", "*", "/", "%", "^", "atan2", "==", "!=", "<", ">", "<=", ">="]:
        q.append("%s %s 2" % (G, op))
        q.append("compat_special %s compat_special" % op)
    for op in ["==", "!=", "<", ">", "<=", ">="]:
        q.append("%s %s bool 1e9" % (G, op))
        q.append("1 %s bool 2" % op)
        q.append("rate(%s[5m]) %s on (model, application, instance, job, provider, status) "
                 "rate(%s[10m])" % (R, op, R))
    q += ["%s / ignoring (status) group_left sum without (status) (%s)" % (R, R),
          "sum without (status) (%s) / ignoring (status) group_right %s" % (R, R),
          '%s{status="error"} / ignoring (status) %s{status="success"}' % (R, R),
          "%s / on (model) group_left (provider) sum by (model, provider) (%s)" % (C, C),
          "%s * on (instance) group_left llm_cost_tracker_memory_limit_bytes" % R,
          "%s and %s{status=\"error\"}" % (R, R), "%s or compat_sparse" % R,
          "%s unless %s{status=\"error\"}" % (R, R),
          "%s and on (model) %s" % (C, R), "%s unless ignoring (status) %s" % (R, C),
          "compat_stale or compat_sparse", "compat_sparse and compat_stale",
          "(compat_sparse > 3) or vector(-1)",
          "%s / on () group_left sum(%s)" % (C, C),
          "%s + %s" % (R, C),  # no match: empty
          "%s * on (model) %s" % (R, C),  # many-to-many: error
          "sum by (model) (%s) + on (model) group_left %s" % (C, R),  # many on the one side
          "%s > on (model) group_left sum by (model) (%s)" % (C, C),
          "-%s" % G, "+%s" % G, "--compat_special", "-(compat_tie_gauge) * -1",
          "2 ^ 3 ^ 2", "(2 ^ 3) ^ 2", "-2 ^ 2", "1 / 0", "-1 / 0", "0 / 0", "5 % -3", "-5 % 3",
          "2 atan2 3", "%s atan2 on (instance) group_left llm_cost_tracker_memory_limit_bytes" % G,
          "compat_special % 2", "compat_special ^ 0.5", "time() - timestamp(%s)" % G,
          "%s offset 5m - %s" % (G, G), "rate(%s[5m]) / ignoring (le) group_left "
          "rate(llm_cost_tracker_request_duration_seconds_count[5m])" % B]
    # Modifiers: offset, @, subqueries.
    q += ["%s offset 10m" % G, "%s offset -10m" % G, "rate(%s[5m] offset 1h)" % R,
          "%s @ %d" % (G, 1735689600 + 3 * 3600), "%s @ start()" % G, "%s @ end()" % G,
          "rate(%s[5m] @ end())" % R, "rate(%s[5m] @ start() offset 10m)" % R,
          "sum(%s @ %d.5)" % (G, 1735689600 + 2 * 3600), "compat_stale @ %d" % (1735689600 + 8 * 3600 + 600),
          "rate(%s[5m:1m])" % R, "max_over_time(rate(%s[5m])[30m:5m])" % R,
          "avg_over_time(%s[10m:])" % G, "sum_over_time(compat_tie_gauge[1h:7m])",
          "min_over_time(sum by (model) (rate(%s[5m]))[1h:2m] offset 30m)" % R,
          "max_over_time(deriv(%s[10m])[20m:1m] @ end())" % G,
          "rate(sum(%s)[10m:30s])" % R, "max_over_time(max_over_time(%s[5m:1m])[15m:3m])" % G,
          "count_over_time(compat_stale[5m:15s])", "last_over_time(compat_sparse[10m:1m])",
          "absent_over_time(compat_stale[2m:30s])", "changes(compat_stale[10m:])",
          "timestamp(%s offset 2m)" % G, "timestamp(%s @ end())" % G,
          "%s @ 100" % G, "rate(%s[1h] @ %d)" % (R, 1735689600 + 4 * 3600)]
    # Edge cases: lookback boundary, stale markers, counter resets.
    q += ["compat_sparse offset 1ms", "compat_sparse offset -1ms", "compat_sparse offset 5m",
          "last_over_time(compat_sparse[5m])", "count_over_time(compat_sparse[5m])",
          "count_over_time(compat_sparse[10m])", "rate(compat_sparse[10m])",
          "rate(compat_requests_total[1m])", "increase(compat_requests_total[2m])",
          "delta(compat_requests_total[2m])", "resets(compat_requests_total[5m])",
          "compat_stale_total", "rate(compat_stale_total[2m])", "increase(compat_stale_total[10m])",
          "count_over_time(compat_stale_total[10m])", "compat_stale offset 30s",
          "last_over_time(compat_stale[1m])", "sum by (case) (compat_stale)"]
    # Errors of each kind.
    q += ["rate(%s)" % G, "sum(", "%s[5m]" % R, 'label_replace(%s, "x", "y", "z", "(")' % G,
          "topk(a, %s)" % G, "nonexistent_fn(1)", "%s[5m:1m][5m:1m]" % G, "1 and 2",
          "histogram_quantile(0.9)", "rate(%s[0s])" % R, "%s offset 5" % G,
          "holt_winters(%s[5m], 0, 0.5)" % G]
    seen, out = set(), []
    for x in q:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def all_queries():
    """[(expr, kind)] in a fixed order."""
    out = [(e, "full") for e in seed_queries()]
    out += [(e, "full") for e in handmade_queries()]
    out += [(e, "light") for e in compliance_queries()]
    seen, dedup = set(), []
    for e, k in out:
        if e not in seen:
            seen.add(e)
            dedup.append((e, k))
    return dedup


if __name__ == "__main__":
    qs = all_queries()
    for e, k in qs:
        print(k, e)
    print(len(qs), "queries")
