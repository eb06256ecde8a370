"""The differential test's data set: LLM-cost data from `tally generate`, plus hand-made
series for the edge cases generated data rarely hits, plus the PromQL compliance tester's
demo_* series (so its query templates run unchanged). Everything is seeded: the same run
gives the same bytes.

Layout in time (S = START_S, H = HOURS):
  [S, S+H h]          generated llm_cost_tracker_* (15 s, with ms jitter, a restart ~ every 6 h)
                      + compat_* edge series + demo_* series (OpenMetrics, backfilled)
  [L, L+40 min]       compat_stale* series sent by remote write to both servers, because
                      only remote write can carry Prometheus's stale-marker NaN; L lies after
                      every backfilled block, as Prometheus's head requires.
"""
import random
import struct
import urllib.request

START_S = 1735689600          # 2025-01-01T00:00:00Z
HOURS = 7
END_S = START_S + HOURS * 3600
LIVE_S = END_S + 3600         # start of the remote-written window
STALE_NAN_BITS = 0x7FF0000000000002


def _fmt(v):
    if v != v:
        return "NaN"
    if v == float("inf"):
        return "+Inf"
    if v == float("-inf"):
        return "-Inf"
    return repr(float(v))


class _Families:
    def __init__(self):
        self.fams = {}  # name -> (type, [(labels, [(t_ms, v)])])

    def add(self, name, typ, labels, points):
        self.fams.setdefault(name, (typ, []))[1].append((labels, points))

    def text(self):
        out = []
        for name, (typ, series) in self.fams.items():
            out.append("# TYPE %s %s\n" % (name, typ))
            suffix = "_total" if typ == "counter" else ""
            for labels, pts in series:
                lab = ",".join('%s="%s"' % kv for kv in labels)
                for t_ms, v in pts:
                    out.append("%s%s{%s} %s %d.%03d\n" % (name, suffix, lab, _fmt(v),
                                                           t_ms // 1000, t_ms % 1000))
        return "".join(out)


def edge_openmetrics():
    """compat_* and demo_* families as OpenMetrics text (no '# EOF')."""
    rnd = random.Random(11)
    f = _Families()
    S = START_S * 1000
    step = 15000
    n = HOURS * 240

    # Counters with resets: to zero, to a small value, two resets within 5 minutes, a
    # reset on the very first sample after a gap, and a monotone one.
    def counter(case, resets, inc):
        c, pts = 0.0, []
        for k in range(n):
            if k in resets:
                c = resets[k]
            else:
                c += inc(k)
            pts.append((S + k * step, c))
        f.add("compat_requests", "counter", [("case", case)], pts)
    counter("reset_to_zero", {200: 0.0, 900: 0.0}, lambda k: float(k % 7))
    counter("reset_small", {300: 3.0, 1300: 1.5}, lambda k: 2.5)
    counter("double_reset", {500: 1.0, 510: 0.0, 1500: 4.0}, lambda k: rnd.randint(0, 9) / 4)
    counter("monotone", {}, lambda k: 1.0 + (k % 3) * 0.1)

    # Exact ties: groups of series with equal values and equal increments, so topk/bottomk
    # (instant and over rate()) must pick among equals the way 2.42's heap does.
    for i, sid in enumerate("abcdefgh"):
        grp = "x" if i < 4 else "y"
        pts = [(S + k * step, float((k // 40) % 3)) for k in range(n)]
        f.add("compat_tie_gauge", "gauge", [("grp", grp), ("id", sid)], pts)
        inc = 2.0 if i % 2 == 0 else 3.0
        pts = [(S + k * step, inc * k) for k in range(n)]
        f.add("compat_tie", "counter", [("grp", grp), ("id", sid)], pts)

    # Lookback and window boundaries: samples 5 min apart exactly, 5 min + 1 ms apart, and
    # at minute-aligned times (window edges of 60 s steps fall on samples).
    f.add("compat_sparse", "gauge", [("case", "gap_5m")],
          [(S + k * 300000, float(k)) for k in range(HOURS * 12)])
    f.add("compat_sparse", "gauge", [("case", "gap_5m_1ms")],
          [(S + k * 300001, float(k) * 1.5) for k in range(HOURS * 12 - 1)])
    f.add("compat_sparse", "gauge", [("case", "aligned_60s")],
          [(S + k * 60000, float(k % 11) - 5) for k in range(HOURS * 60)])

    # Special values: NaN, infinities, negative zero, huge and tiny magnitudes.
    specials = {"nan": float("nan"), "inf": float("inf"), "neg_inf": float("-inf"),
                "neg_zero": -0.0, "huge": 1.7e308, "tiny": 5e-324}
    for case, sv in specials.items():
        pts = []
        for k in range(n):
            v = sv if (k // 20) % 2 == 0 else float(k % 5) - 2
            pts.append((S + k * step, v))
        f.add("compat_special", "gauge", [("case", case)], pts)

    # Classic histograms with odd shapes: non-monotonic buckets, no +Inf bucket, only +Inf.
    shapes = {"normal": ["0.1", "0.5", "1", "+Inf"], "no_inf": ["0.1", "1"],
              "only_inf": ["+Inf"], "non_monotonic": ["0.1", "0.5", "1", "+Inf"]}
    for shape, les in shapes.items():
        counts = [0.0] * len(les)
        series = [[] for _ in les]
        for k in range(n):
            for j in range(len(les)):
                counts[j] += (j + 1) * (1 + k % 3)
            for j in range(len(les)):
                v = counts[j]
                if shape == "non_monotonic" and j == 1:
                    v = counts[j] * 3
                series[j].append((S + k * step, v))
        for j, le in enumerate(les):
            f.add("compat_latency_seconds_bucket", "unknown", [("le", le), ("shape", shape)],
                  series[j])

    _demo_series(f, rnd)
    return f.text()


def _demo_series(f, rnd):
    """The compliance tester's demo service shapes (as bench/compare/compliance_queries.py),
    5 s apart over the whole window."""
    S = START_S * 1000
    n = HOURS * 720
    insts = ["demo.promlabs.com:10000", "demo.promlabs.com:10001", "demo.promlabs.com:10002"]
    for ii, inst in enumerate(insts):
        base = [("instance", inst), ("job", "demo")]
        for typ in ["free", "used", "buffers", "cached"]:
            v, pts = 1e9 * (ii + 1), []
            for k in range(n):
                v += rnd.randint(-4096, 4096) * 1024
                pts.append((S + k * 5000, v))
            f.add("demo_memory_usage_bytes", "unknown", base + [("type", typ)], pts)
        f.add("demo_num_cpus", "unknown", base, [(S + k * 5000, 4.0 + ii) for k in range(n)])
        for mode in ["idle", "user", "system"]:
            c, pts = 0.0, []
            for k in range(n):
                if k == 400 and ii == 1:
                    c = 0.0
                c += rnd.random() * 5
                pts.append((S + k * 5000, c))
            f.add("demo_cpu_usage_seconds_total", "unknown", base + [("mode", mode)], pts)
        f.add("demo_batch_last_success_timestamp_seconds", "unknown", base,
              [(S + k * 5000, float(START_S + (k // 60) * 300)) for k in range(n)])
        f.add("demo_disk_usage_bytes", "unknown", base,
              [(S + k * 5000, 5e10 + k * 1000.0 * (ii + 1)) for k in range(n)])
        f.add("demo_intermittent_metric", "unknown", base,
              [(S + k * 5000, float(k)) for k in range(n) if (k // 50) % 2 == 0])
        for path in ["/api/foo", "/api/bar"]:
            les = ["0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf"]
            counts = [0.0] * len(les)
            hist = [[] for _ in les]
            cnt, sm, s, total = [], [], 0.0, 0
            for k in range(n):
                for _ in range(rnd.randint(0, 20)):
                    x = rnd.expovariate(10)
                    s += x
                    total += 1
                    for j, le in enumerate(les):
                        if le == "+Inf" or x <= float(le):
                            counts[j] += 1
                t = S + k * 5000
                for j in range(len(les)):
                    hist[j].append((t, counts[j]))
                cnt.append((t, float(total)))
                sm.append((t, s))
            lab = base + [("method", "GET"), ("path", path), ("status", "200")]
            for j, le in enumerate(les):
                f.add("demo_api_request_duration_seconds_bucket", "unknown",
                      lab + [("le", le)], hist[j])
            f.add("demo_api_request_duration_seconds_count", "unknown", lab, cnt)
            f.add("demo_api_request_duration_seconds_sum", "unknown", lab, sm)


def stale_series():
    """[(labels dict, [(t_ms, value or None for a stale marker)])] for the live window."""
    L = LIVE_S * 1000
    st = 15000
    out = []
    # A gauge that goes stale for 10 minutes and comes back, then goes stale for good.
    pts = [(L + k * st, float(k)) for k in range(40)]
    pts.append((L + 40 * st, None))
    pts += [(L + k * st, float(k)) for k in range(80, 120)]
    pts.append((L + 120 * st, None))
    out.append(({"__name__": "compat_stale", "case": "gap"}, pts))
    # A counter whose window contains a stale marker between two runs.
    pts = [(L + k * st, float(3 * k)) for k in range(60)]
    pts.append((L + 60 * st + 7, None))
    pts += [(L + k * st, float(3 * k)) for k in range(70, 150)]
    out.append(({"__name__": "compat_stale_total", "case": "counter"}, pts))
    # Stale marker right after a sample, then a sample 1 ms after the marker.
    pts = [(L + k * st, 1.0 + k % 4) for k in range(100)]
    pts += [(L + 100 * st, None), (L + 100 * st + 1, 42.0)]
    pts += [(L + k * st, 2.0) for k in range(101, 140)]
    out.append(({"__name__": "compat_stale", "case": "marker_then_sample"}, pts))
    # A series always present in the window, to aggregate with the stale ones.
    out.append(({"__name__": "compat_stale", "case": "steady"},
                [(L + k * st, 7.0) for k in range(160)]))
    return out


# --- remote write 1.0 (protobuf + snappy block format), stdlib only ---

def _varint(x):
    b = bytearray()
    while True:
        byte = x & 0x7F
        x >>= 7
        if x:
            b.append(byte | 0x80)
        else:
            b.append(byte)
            return bytes(b)


def _field(num, wire, payload):
    if wire == 2:
        return _varint(num << 3 | 2) + _varint(len(payload)) + payload
    if wire == 1:
        return _varint(num << 3 | 1) + payload
    return _varint(num << 3 | 0) + _varint(payload & ((1 << 64) - 1))


def write_request(series):
    body = bytearray()
    for labels, pts in series:
        ts = bytearray()
        for name in sorted(labels):
            lab = _field(1, 2, name.encode()) + _field(2, 2, labels[name].encode())
            ts += _field(1, 2, lab)
        for t, v in pts:
            bits = STALE_NAN_BITS if v is None else struct.unpack("<Q", struct.pack("<d", v))[0]
            sample = _field(1, 1, struct.pack("<Q", bits)) + _field(2, 0, t)
            ts += _field(2, 2, sample)
        body += _field(1, 2, bytes(ts))
    return bytes(body)


def snappy_literal(data):
    """A valid snappy block holding `data` as literals (no compression needed)."""
    out = bytearray(_varint(len(data)))
    pos = 0
    while pos < len(data):
        chunk = data[pos:pos + 65536]
        out.append(61 << 2)  # literal, length - 1 in the next two bytes
        out += struct.pack("<H", len(chunk) - 1)
        out += chunk
        pos += len(chunk)
    return bytes(out)


def remote_write(url, series, timeout=30):
    req = urllib.request.Request(url, data=snappy_literal(write_request(series)), method="POST")
    req.add_header("Content-Encoding", "snappy")
    req.add_header("Content-Type", "application/x-protobuf")
    req.add_header("X-Prometheus-Remote-Write-Version", "0.1.0")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        if r.status // 100 != 2:
            raise RuntimeError("remote write to %s: HTTP %d" % (url, r.status))
