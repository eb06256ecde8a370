#!/usr/bin/env python3
"""Fills the eval bodies of a PromQL test-script template with the answers of the real
Prometheus 2.42 binary, so our own scripts' expected values are independently verified.

Usage: fill_expectations.py TEMPLATE.test.in OUT.test [--prometheus /usr/bin/prometheus]

For each segment between `clear` commands a fresh Prometheus (127.0.0.1, temp data dir,
--web.enable-remote-write-receiver) is started; every `load` block is pushed through remote
write (stale markers keep their 0x7ff0000000000002 bits, which OpenMetrics cannot carry),
then every eval is run through /api/v1/query at its time and its result written back in
the test-script format. eval_fail evals must fail on Prometheus too.
No third-party Python modules: protobuf and snappy (literal-only blocks) are encoded here.
"""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

STALE = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
UNITS = [("ms", 1), ("y", 365 * 86400000), ("w", 7 * 86400000), ("d", 86400000),
         ("h", 3600000), ("m", 60000), ("s", 1000)]


def parse_duration(s):
    if s == "0":
        return 0
    total = 0
    for num, unit in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", s):
        total += int(num) * dict(UNITS)[unit]
    return total


def parse_series(line):
    m = re.match(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(\{[^}]*\})?\s*(.*)$", line)
    name, braces, rest = m.group(1), m.group(2), m.group(3)
    labels = {}
    if name:
        labels["__name__"] = name
    if braces:
        for k, v in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"', braces):
            labels[k] = bytes(v, "utf-8").decode("unicode_escape")
    values = []
    for item in rest.split():
        if item == "_":
            values.append(None)
        elif item == "stale":
            values.append(STALE)
        elif re.match(r"^_x\d+$", item):
            values.extend([None] * int(item[2:]))
        elif "x" in item and re.match(r"^[-+]?[\d.eE]+([-+][\d.eE]+)?x\d+$", item):
            head, count = item.rsplit("x", 1)
            mm = re.match(r"^([-+]?[\d.]+(?:[eE][-+]?\d+)?)(?:([-+])([\d.]+(?:[eE][-+]?\d+)?))?$", head)
            a = float(mm.group(1))
            b = float(mm.group(3)) if mm.group(3) else 0.0
            if mm.group(2) == "-":
                b = -b
            cur = a
            for _ in range(int(count) + 1):
                values.append(cur)
                cur += b
        else:
            values.append(float(item))
    return labels, values


def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def encode_request(series):
    out = b""
    for labels, samples in series:
        ts = b""
        for k in sorted(labels):
            ts += field(1, 2, field(1, 2, k.encode()) + field(2, 2, labels[k].encode()))
        for t, v in samples:
            ts += field(2, 2, field(1, 1, struct.pack("<d", v)) + field(2, 0, varint(t)))
        out += field(1, 2, ts)
    return out


def snappy_literal(data):
    out = bytearray(varint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        else:
            out.append(62 << 2)
            out += struct.pack("<I", n)[:3]
        out += chunk
    return bytes(out)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="promfill")
        self.port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        open(cfg, "w").write("global:\n  scrape_interval: 15s\n")
        self.proc = subprocess.Popen(
            [binary, "--config.file=" + cfg, "--storage.tsdb.path=" + self.dir + "/data",
             "--web.listen-address=127.0.0.1:%d" % self.port, "--web.enable-remote-write-receiver",
             "--storage.tsdb.retention.time=100y"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port, timeout=1)
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError("prometheus did not become ready")

    def write(self, series):
        body = snappy_literal(encode_request(series))
        req = urllib.request.Request(
            "http://127.0.0.1:%d/api/v1/write" % self.port, data=body,
            headers={"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
                     "X-Prometheus-Remote-Write-Version": "0.1.0"})
        urllib.request.urlopen(req, timeout=30).read()

    def query(self, expr, t_ms):
        q = urllib.parse.urlencode({"query": expr, "time": "%.3f" % (t_ms / 1000.0)})
        try:
            return json.load(urllib.request.urlopen(
                "http://127.0.0.1:%d/api/v1/query?%s" % (self.port, q), timeout=60))
        except urllib.error.HTTPError as e:
            return json.load(e)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def fmt_labels(metric):
    name = metric.get("__name__", "")
    rest = ", ".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"'))
                     for k, v in sorted(metric.items()) if k != "__name__")
    return name + "{" + rest + "}"


def main():
    src, dst = sys.argv[1], sys.argv[2]
    binary = "/usr/bin/prometheus"
    if "--prometheus" in sys.argv:
        binary = sys.argv[sys.argv.index("--prometheus") + 1]
    lines = [l.rstrip("\n") for l in open(src)]
    out = []
    server = Server(binary)
    i = 0
    try:
        while i < len(lines):
            raw = lines[i]
            line = raw.strip()
            word = line.split()[0].lower() if line and not line.startswith("#") else ""
            if word == "clear":
                server.stop()
                server = Server(binary)
                out.append(raw)
                i += 1
            elif word == "load":
                interval = parse_duration(line.split()[1])
                out.append(raw)
                i += 1
                block = {}
                while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith("#"):
                    labels, values = parse_series(lines[i])
                    block[tuple(sorted(labels.items()))] = values
                    out.append(lines[i])
                    i += 1
                series = []
                for key, values in block.items():
                    samples = [(k * interval, v) for k, v in enumerate(values) if v is not None]
                    series.append((dict(key), samples))
                server.write(series)
            elif word.startswith("eval"):
                m = re.match(r"^(eval(?:_ordered|_fail)?)\s+instant\s+at\s+(\S+)\s+(.*)$", line)
                kind, t, expr = m.group(1), parse_duration(m.group(2)), m.group(3)
                out.append(raw)
                i += 1
                while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith("#"):
                    i += 1  # drop old expectations
                res = server.query(expr, t)
                if kind == "eval_fail":
                    if res["status"] != "error":
                        raise SystemExit("eval_fail succeeded on Prometheus: " + expr)
                    continue
                if res["status"] != "success":
                    raise SystemExit("Prometheus failed %s: %s" % (expr, res.get("error")))
                data = res["data"]
                if data["resultType"] == "scalar":
                    out.append("\t" + data["result"][1])
                elif data["resultType"] == "vector":
                    for s in data["result"]:
                        out.append("\t%s %s" % (fmt_labels(s["metric"]), s["value"][1]))
                else:
                    raise SystemExit("unsupported result type %s for %s" % (data["resultType"], expr))
            else:
                out.append(raw)
                i += 1
    finally:
        server.stop()
    header = ("# GENERATED by tests/promqltest/tools/fill_expectations.py from %s: expected values\n"
              "# are the answers of the real Prometheus 2.42 (%s). Do not edit; edit the template.\n"
              % (os.path.basename(src), binary))
    open(dst, "w").write(header + "\n".join(out) + "\n")


if __name__ == "__main__":
    main()
