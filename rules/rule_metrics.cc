#include "rules/rule_metrics.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "storage/ingest/go_float.h"

namespace tally::rules {

std::shared_ptr<GroupMetrics> RuleMetrics::Group(const std::string& key) {
  absl::MutexLock l(&mu_);
  std::shared_ptr<GroupMetrics>& m = groups_[key];
  if (!m) m = std::make_shared<GroupMetrics>();
  return m;
}

void RuleMetrics::Remove(const std::string& key) {
  absl::MutexLock l(&mu_);
  groups_.erase(key);
}

void RuleMetrics::ObserveRuleEval(absl::Duration d) {
  rule_eval_count_.fetch_add(1, std::memory_order_relaxed);
  rule_eval_sum_ns_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_relaxed);
}

void RuleMetrics::ObserveGroupEval(absl::Duration d) {
  group_eval_count_.fetch_add(1, std::memory_order_relaxed);
  group_eval_sum_ns_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_relaxed);
}

namespace {

// The text format's label-value escaping: backslash, double quote and newline.
std::string EscapeLabelValue(absl::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\\') o += "\\\\";
    else if (c == '"') o += "\\\"";
    else if (c == '\n') o += "\\n";
    else o.push_back(c);
  }
  return o;
}

std::string Sec(int64_t ns) { return storage::FormatGoFloat(static_cast<double>(ns) / 1e9); }

void Summary(const char* name, const char* help, int64_t sum_ns, int64_t count,
             std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " summary\n", name,
                  "_sum ", Sec(sum_ns), "\n", name, "_count ", count, "\n");
}

}  // namespace

void RuleMetrics::Render(std::string* out) const {
  Summary("prometheus_rule_evaluation_duration_seconds", "The duration for a rule to execute.",
          rule_eval_sum_ns_.load(), rule_eval_count_.load(), out);
  Summary("prometheus_rule_group_duration_seconds", "The duration of rule group evaluations.",
          group_eval_sum_ns_.load(), group_eval_count_.load(), out);
  absl::MutexLock l(&mu_);
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    std::function<std::string(const GroupMetrics&)> value;
  };
  const Family families[] = {
      {"prometheus_rule_evaluation_failures_total", "counter",
       "The total number of rule evaluation failures.",
       [](const GroupMetrics& m) { return absl::StrCat(m.evaluation_failures.load()); }},
      {"prometheus_rule_evaluations_total", "counter", "The total number of rule evaluations.",
       [](const GroupMetrics& m) { return absl::StrCat(m.evaluations.load()); }},
      {"prometheus_rule_group_interval_seconds", "gauge",
       "The interval of a rule group.",
       [](const GroupMetrics& m) { return Sec(m.interval_ns.load()); }},
      {"prometheus_rule_group_iterations_missed_total", "counter",
       "The total number of rule group evaluations missed due to slow rule group evaluation.",
       [](const GroupMetrics& m) { return absl::StrCat(m.iterations_missed.load()); }},
      {"prometheus_rule_group_iterations_total", "counter",
       "The total number of scheduled rule group evaluations, whether executed or missed.",
       [](const GroupMetrics& m) { return absl::StrCat(m.iterations.load()); }},
      {"prometheus_rule_group_last_duration_seconds", "gauge",
       "The duration of the last rule group evaluation.",
       [](const GroupMetrics& m) { return Sec(m.last_duration_ns.load()); }},
      {"prometheus_rule_group_last_evaluation_samples", "gauge",
       "The number of samples returned during the last rule group evaluation.",
       [](const GroupMetrics& m) { return absl::StrCat(m.last_samples.load()); }},
      {"prometheus_rule_group_last_evaluation_timestamp_seconds", "gauge",
       "The timestamp of the last rule group evaluation in seconds.",
       [](const GroupMetrics& m) { return Sec(m.last_evaluation_ns.load()); }},
      {"prometheus_rule_group_rules", "gauge", "The number of rules.",
       [](const GroupMetrics& m) { return absl::StrCat(m.rules.load()); }},
  };
  for (const Family& f : families) {
    absl::StrAppend(out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " ", f.type, "\n");
    for (const auto& [key, m] : groups_) {
      absl::StrAppend(out, f.name, "{rule_group=\"", EscapeLabelValue(key), "\"} ", f.value(*m),
                      "\n");
    }
  }
}

}  // namespace tally::rules
