#include "rules/local_backend.h"

#include "storage/model/matcher.h"
#include "storage/util/log.h"

namespace tally::rules {

absl::StatusOr<promql::Vector> ResultToVector(promql::Value v, int64_t t_ms) {
  if (auto* vec = std::get_if<promql::Vector>(&v)) return std::move(*vec);
  if (auto* s = std::get_if<promql::Scalar>(&v)) {
    return promql::Vector{promql::VectorSample{storage::Labels(), s->t_ms, s->v}};
  }
  return absl::InvalidArgumentError("rule result is not a vector or scalar");
}

LocalBackend::LocalBackend(storage::DB* db, promql::QueryOptions options)
    : db_(db), engine_(options) {}

absl::StatusOr<promql::Vector> LocalBackend::Query(absl::string_view expr, int64_t t_ms) {
  absl::StatusOr<std::unique_ptr<promql::Query>> q = engine_.NewInstantQuery(db_, expr, t_ms);
  if (!q.ok()) return q.status();
  absl::StatusOr<promql::Value> v = (*q)->Exec();
  if (!v.ok()) return v.status();
  return ResultToVector(*std::move(v), t_ms);
}

absl::Status LocalBackend::Append(const std::vector<OutputSample>& samples) {
  if (samples.empty()) return absl::OkStatus();
  std::unique_ptr<storage::Appender> app = db_->NewAppender();
  for (const OutputSample& s : samples) {
    absl::StatusOr<storage::SeriesRef> r = app->Append(s.labels, s.t_ms, s.v);
    if (!r.ok()) {
      invalid_.fetch_add(1, std::memory_order_relaxed);
      TALLY_LOG(kWarn, "Rule evaluation result discarded",
                {{"err", r.status().message()}, {"sample", s.labels.ToString()}});
    }
  }
  absl::StatusOr<storage::CommitResult> c = app->Commit();
  if (!c.ok()) return absl::UnavailableError(c.status().message());
  appended_.fetch_add(c->appended, std::memory_order_relaxed);
  ooo_.fetch_add(c->rejected_out_of_order, std::memory_order_relaxed);
  dup_.fetch_add(c->rejected_duplicate, std::memory_order_relaxed);
  too_old_.fetch_add(c->rejected_too_old, std::memory_order_relaxed);
  if (c->rejected() > 0) {
    TALLY_LOG(kDebug, "Rule evaluation result discarded",
              {{"numDropped", c->rejected()}, {"err", c->first_error}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<storage::Sample>> LocalBackend::LastSample(
    const storage::Labels& labels, int64_t mint_ms, int64_t maxt_ms) {
  storage::Matchers ms;
  for (const auto& l : labels) {
    absl::StatusOr<storage::Matcher> m =
        storage::Matcher::Make(storage::MatchType::kEqual, l.name, l.value);
    if (!m.ok()) return m.status();
    ms.push_back(*std::move(m));
  }
  std::unique_ptr<storage::Querier> q = db_->NewQuerier(mint_ms, maxt_ms);
  absl::StatusOr<std::vector<std::unique_ptr<storage::Series>>> set = q->Select(ms);
  if (!set.ok()) return set.status();
  for (const auto& s : *set) {
    // Prometheus compat: QueryforStateSeries takes the series whose label count matches.
    if (s->labels().size() != labels.size()) continue;
    std::vector<storage::Sample> samples;
    if (absl::Status st = s->Samples(mint_ms, maxt_ms, &samples); !st.ok()) return st;
    if (samples.empty()) return std::optional<storage::Sample>();
    return std::optional<storage::Sample>(samples.back());
  }
  return std::optional<storage::Sample>();
}

LocalBackendStats LocalBackend::Stats() const {
  LocalBackendStats s;
  s.appended = appended_.load(std::memory_order_relaxed);
  s.rejected_out_of_order = ooo_.load(std::memory_order_relaxed);
  s.rejected_duplicate = dup_.load(std::memory_order_relaxed);
  s.rejected_too_old = too_old_.load(std::memory_order_relaxed);
  s.rejected_invalid = invalid_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace tally::rules
