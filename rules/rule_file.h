// Rule files in Prometheus's format (rulefmt): YAML -> validated groups. Parsing is strict
// (unknown keys are errors) and every error is worded as Prometheus 2.42's rulefmt and
// `promtool check rules` word it, with the YAML position where Prometheus gives one:
//   5:11: group "g1", rule 1, "x:sum": could not parse expression: 1:15: parse error: ...
//   15:3: groupname: "g1" is repeated in the same file
//   yaml: unmarshal errors:\n  line 3: field foo not found in type rulefmt.RuleGroup
// Alerting-rule label and annotation templates are parse-checked with CheckTemplate.
//
// Pure functions; thread-safe. yaml-cpp throws: rule_file.cc is the only place in rules/
// that catches.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tally::rules {

// One rule as written. Labels and annotations are sorted by name (Prometheus keeps them in a
// Go map and sorts them into labels.Labels).
struct RuleSpec {
  std::string record;  // exactly one of record / alert is non-empty after validation
  std::string alert;
  std::string expr;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> annotations;
  int line = 0;  // 1-based line of the rule's first key (for tools' messages)
};

struct GroupSpec {
  std::string name;
  int64_t interval_ms = 0;  // 0: the global evaluation_interval
  int64_t limit = 0;        // 0: no limit
  std::vector<RuleSpec> rules;
  int line = 0;
};

struct RuleFileSpec {
  std::string path;
  std::vector<GroupSpec> groups;
};

// The result of parsing one file: the groups (meaningful only when `errors` is empty) and
// every error found, each already prefixed with "<filename>: " as Prometheus's ParseFile does.
struct ParsedRuleFile {
  RuleFileSpec spec;
  std::vector<std::string> errors;
};

// Parses and validates YAML text. An empty document is a file with no groups.
ParsedRuleFile ParseRuleFile(absl::string_view content, absl::string_view filename);

// Reads `path` (at most kMaxRuleFileBytes) and parses it. A read failure is one error
// ("open <path>: no such file or directory").
inline constexpr int64_t kMaxRuleFileBytes = 64 << 20;
ParsedRuleFile LoadRuleFile(const std::string& path);

// Prometheus's metric name rule: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(absl::string_view name);

}  // namespace tally::rules
