// RecordingRule: evaluates its expression and renames the result (Prometheus 2.42's
// rules.RecordingRule): each sample gets __name__ = the rule's `record` and the rule's labels
// (overriding the result's). Two results with the same label set afterwards are an error
// ("vector contains metrics with the same labelset after applying rule labels"), as is more
// series than the group's limit ("exceeded limit of L with N series"). Threads: see rule.h.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "rules/rule.h"
#include "rules/rule_file.h"

namespace tally::rules {

class RecordingRule : public Rule {
 public:
  // InvalidArgument when the expression does not parse (a validated RuleSpec always does).
  static absl::StatusOr<std::unique_ptr<RecordingRule>> Create(const RuleSpec& spec);

  bool is_alerting() const override { return false; }
  absl::StatusOr<std::vector<OutputSample>> Eval(EvalBackend* backend, absl::Time ts,
                                                 int64_t limit) override;
  std::string Fingerprint() const override;

 private:
  RecordingRule(std::string name, std::string query, storage::Labels labels)
      : Rule(std::move(name), std::move(query), std::move(labels)) {}
};

// Parses `expr` and prints it back as Prometheus's rule.vector.String() does.
absl::StatusOr<std::string> CanonicalQuery(absl::string_view expr);
// The rule's labels (or annotations) as a Labels value.
storage::Labels ToLabels(const std::vector<std::pair<std::string, std::string>>& kv);

}  // namespace tally::rules
