#!/usr/bin/env python3
"""Expands alert templates with the real Prometheus (promtool test rules) to learn the exact
output or error text, for the expectation tables in template_expander_test.cc.

Usage: promtool_probe.py < spec.json > results.jsonl
  spec: {"value": "1234567.5", "labels": "job=\"api\"", "extra_series": ["q{k=\"a\"} 1"],
         "external_labels": {"cluster": "eu1"}, "external_url": "http://x:9090/p",
         "templates": ["{{ $value }}", ...]}
Each template becomes one annotation of alert X (expr: m) evaluated at t=0; the test
expects no alerts, so promtool's failure report prints the expanded annotations.
Output: one JSON [template, expanded] per line.
"""
import json, re, subprocess, sys, tempfile

spec = json.load(sys.stdin)
d = tempfile.mkdtemp()
with open(d + '/rules.yml', 'w') as f:
    f.write('groups:\n- name: g\n  rules:\n  - alert: X\n    expr: m\n    annotations:\n')
    for i, t in enumerate(spec['templates']):
        f.write('      a%04d: %s\n' % (i, json.dumps(t)))
series = ["  - series: 'm{%s}'\n    values: '%s'\n" % (spec.get('labels', 'job="api"'), spec['value'])]
for s in spec.get('extra_series', []):
    name, vals = s.rsplit(' ', 1)
    series.append("  - series: '%s'\n    values: '%s'\n" % (name, vals))
ext = ''
if spec.get('external_labels'):
    ext += '  external_labels:\n' + ''.join('    %s: %s\n' % (k, json.dumps(v)) for k, v in spec['external_labels'].items())
if spec.get('external_url'):
    ext += '  external_url: %s\n' % json.dumps(spec['external_url'])
with open(d + '/test.yml', 'w') as f:
    f.write('rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n' + ext +
            '  input_series:\n' + ''.join(series) +
            '  alert_rule_test:\n  - eval_time: 0m\n    alertname: X\n    exp_alerts: []\n')
out = subprocess.run(['promtool', 'test', 'rules', 'test.yml'], cwd=d, capture_output=True, text=True)
txt = out.stdout + out.stderr
m = re.search(r'Annotations:\{(.*)\}\n', txt)
if not m:
    sys.exit('promtool did not report annotations:\n' + txt)
res = {}
for mm in re.finditer(r'a(\d{4})="((?:[^"\\]|\\.)*)"', m.group(1)):
    # Go's strconv.Quote escapes; \x escapes only appear for invalid UTF-8.
    res[int(mm.group(1))] = json.loads('"' + mm.group(2) + '"')
for i, t in enumerate(spec['templates']):
    print(json.dumps([t, res.get(i)]))
