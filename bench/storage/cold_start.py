#!/usr/bin/env python3
"""Cold start, wall clock: `tally serve` process start to the first successful query.

Usage (Release build; the fixture is BM_Open's flushed 50k-series dir):
  TALLY_BENCH_OPEN_DIR=/tmp/tally-open50k build/bench/bench_storage \\
      --benchmark_filter='BM_Open/0'
  bench/storage/cold_start.py build/tally /tmp/tally-open50k [runs]

Each run starts `tally serve` on a free loopback port, polls /api/v1/query every 2 ms
(a refused connection or a non-200 answer means "not yet") and records the time from just
before the spawn to the first answer with "status":"success" and a non-empty result;
then SIGTERM and waits for the exit (the stop, which flushes, is not timed). Prints each
run and the median.
"""
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

QUERY = '/api/v1/query?query=count(llm_cost_usd_total%7Bmodel%3D%22model-7%22%7D)&time=1700003600'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """User + system CPU the process has used so far (/proc/PID/stat, clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(tally, data_dir, deadline_s=30.0):
    port = free_port()
    args = [tally, "serve", "--storage.tsdb.path", data_dir,
            "--storage.tsdb.retention.time", "100000d",
            "--web.listen-address", f"127.0.0.1:{port}"]
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - t0 < deadline_s:
            if proc.poll() is not None:
                raise RuntimeError(f"tally serve exited with {proc.returncode}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", QUERY)
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status == 200:
                    doc = json.loads(body)
                    if doc.get("status") == "success" and doc["data"]["result"]:
                        return time.monotonic() - t0, cpu_seconds(proc.pid)
            except (ConnectionError, OSError):
                pass
            time.sleep(0.002)
        raise RuntimeError("no answer before the deadline")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    tally, data_dir = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    if not os.path.isdir(data_dir):
        print(f"no data dir {data_dir}", file=sys.stderr)
        return 2
    times, cpus = [], []
    for i in range(runs):
        t, cpu = one_run(tally, data_dir)
        times.append(t)
        cpus.append(cpu)
        print(f"run {i + 1}: {t * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU (all threads)")
    print(f"median: {statistics.median(times) * 1000:.0f} ms wall, "
          f"{statistics.median(cpus) * 1000:.0f} ms CPU over {runs} runs; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
