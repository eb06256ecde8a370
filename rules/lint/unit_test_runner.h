// Rule unit tests in promtool's format (`promtool test rules`, Prometheus 2.42):
//   rule_files: [...]            (relative to the test file; globs allowed)
//   evaluation_interval: 1m      group_eval_order: [g1, g2]
//   tests:
//   - name, interval, external_labels, external_url
//     input_series: [{series: 'x{a="b"}', values: '1+1x10 _ stale'}]   (series_notation.h)
//     alert_rule_test: [{eval_time, alertname, exp_alerts: [{exp_labels, exp_annotations}]}]
//     promql_expr_test: [{expr, eval_time, exp_samples: [{labels, value}]}]
// Each test group loads its series into a fresh temporary DB and evaluates every group at
// 0, interval, 2*interval, ... up to the largest eval_time, through the same RuleGroup core
// as the server (LocalBackend). As in promtool, input samples become visible step by step
// (a sample after the last evaluation step is never loaded), alerts are compared at the
// last evaluation at or before eval_time, and failures are worded as promtool words them.
//
// Thread-safety: independent calls may run concurrently.
#pragma once

#include <string>
#include <vector>

namespace tally::rules {

struct UnitTestResult {
  // Each entry is one promtool error message (possibly multi-line). Empty: the file passed.
  std::vector<std::string> errors;
};

// Runs every test group of the file at `path`. Temporary DBs go under $TMPDIR (or /tmp).
UnitTestResult RunRuleUnitTests(const std::string& path);

}  // namespace tally::rules
