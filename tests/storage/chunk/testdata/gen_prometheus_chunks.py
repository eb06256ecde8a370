#!/usr/bin/env python3
# Regenerates the Prometheus-written chunk fixtures used by XorChunkTest
# (MatchesPrometheusChunksByteForByte):
#   python3 gen_prometheus_chunks.py            # writes input.om (OpenMetrics)
#   promtool tsdb create-blocks-from openmetrics input.om out
#   cp out/<ULID>/chunks/000001 prometheus-2.42-chunks
#   mkdir out/wal && promtool tsdb dump out > prometheus-2.42-dump.txt
# Series: constant, cost counter with jitter, token counter, special/random floats,
# irregular deltas across every dod bucket, memory gauge; all inside one 2h block.
import random, struct, math
random.seed(7)
T0 = 1699999200000 - (1699999200000 % 7200000)  # 2h aligned
series = {}
def J(): return 3 + random.randint(-3, 3)
series["s00"] = [(T0 + i*15000, 1.0) for i in range(400)]
v = 0.0; s=[]
for i in range(400):
    v += random.uniform(0.0012, 0.03) if random.random() < 0.8 else 0
    if random.random() < 0.005: v = 0.0
    s.append((T0 + i*15000 + J(), v))
series["s01"] = s
v = 0.0; s=[]
for i in range(400):
    v += float(random.randint(0, 4000))
    s.append((T0 + i*15000 + J(), v))
series["s02"] = s
specials = [float('nan'), float('inf'), float('-inf'), -0.0, 0.0, 5e-324, 1.7976931348623157e308, -1.0, 1.0]
s=[]
for i in range(300):
    if random.random() < 0.3: x = random.choice(specials)
    else:
        while True:
            x = struct.unpack('<d', struct.pack('<Q', random.getrandbits(64)))[0]
            if not math.isnan(x): break
    s.append((T0 + i*15000 + J(), x))
series["s03"] = s
t = T0; s=[]
for i in range(200):
    s.append((t, float(i)))
    t += random.choice([1, 2, 15000, 8192, 8193, 70000, 524289, 600001, 1000])
    if t >= T0 + 7200000 - 1: break
series["s04"] = s
v = 2.0*(1<<30); s=[]
for i in range(400):
    v += 4096.0*random.randint(-256,256)
    s.append((T0 + i*15000 + J(), v))
series["s05"] = s
def fmt(x):
    if math.isnan(x): return "NaN"
    if math.isinf(x): return "+Inf" if x > 0 else "-Inf"
    return repr(x)
out = []
for name in sorted(series):
    out.append("# TYPE %s gauge" % name)
    for t, x in series[name]:
        out.append("%s %s %d.%03d" % (name, fmt(x), t // 1000, t % 1000))
out.append("# EOF")
open("input.om", "w").write("\n".join(out) + "\n")
