#include "rules/recording_rule.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

namespace tally::rules {

const char* RuleHealthString(RuleHealth h) {
  switch (h) {
    case RuleHealth::kGood: return "ok";
    case RuleHealth::kBad: return "err";
    default: return "unknown";
  }
}

void Rule::SetHealth(RuleHealth h, std::string last_error) {
  absl::MutexLock l(&mu_);
  status_.health = h;
  status_.last_error = std::move(last_error);
}

void Rule::SetEvaluation(absl::Duration took, absl::Time started) {
  absl::MutexLock l(&mu_);
  status_.evaluation_time = took;
  status_.last_evaluation = started;
}

RuleStatus Rule::status() const {
  absl::MutexLock l(&mu_);
  return status_;
}

bool ContainsSameLabelset(const std::vector<OutputSample>& v) {
  absl::flat_hash_set<storage::Labels> seen;
  seen.reserve(v.size());
  for (const OutputSample& s : v) {
    if (!seen.insert(s.labels).second) return true;
  }
  return false;
}

absl::StatusOr<std::string> CanonicalQuery(absl::string_view expr) {
  absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(expr);
  if (!e.ok()) return e.status();
  return promql::ToString(**e);
}

storage::Labels ToLabels(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::vector<storage::Label> ls;
  ls.reserve(kv.size());
  for (const auto& [k, v] : kv) ls.push_back({k, v});
  return storage::Labels::FromUnsorted(std::move(ls));
}

absl::StatusOr<std::unique_ptr<RecordingRule>> RecordingRule::Create(const RuleSpec& spec) {
  absl::StatusOr<std::string> q = CanonicalQuery(spec.expr);
  if (!q.ok()) return q.status();
  return std::unique_ptr<RecordingRule>(
      new RecordingRule(spec.record, *std::move(q), ToLabels(spec.labels)));
}

absl::StatusOr<std::vector<OutputSample>> RecordingRule::Eval(EvalBackend* backend,
                                                              absl::Time ts, int64_t limit) {
  absl::StatusOr<promql::Vector> res = backend->Query(query(), ToMillis(ts));
  if (!res.ok()) return res.status();
  std::vector<OutputSample> out;
  out.reserve(res->size());
  for (promql::VectorSample& s : *res) {
    storage::LabelsBuilder b(s.metric);
    b.Set(storage::kMetricNameLabel, name());
    for (const auto& l : labels()) b.Set(l.name, l.value);
    out.push_back({b.Build(), s.t_ms, s.v});
  }
  if (ContainsSameLabelset(out)) {
    return absl::FailedPreconditionError(
        "vector contains metrics with the same labelset after applying rule labels");
  }
  if (limit > 0 && static_cast<int64_t>(out.size()) > limit) {
    return absl::FailedPreconditionError(
        absl::StrCat("exceeded limit of ", limit, " with ", out.size(), " series"));
  }
  return out;
}

std::string RecordingRule::Fingerprint() const {
  std::string f = absl::StrCat("record: ", name(), "\nexpr: ", query(), "\n");
  for (const auto& l : labels()) absl::StrAppend(&f, "label ", l.name, "=", l.value, "\n");
  return f;
}

}  // namespace tally::rules
