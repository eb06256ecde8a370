#include "rules/lint/overlay_db.h"

#include <algorithm>
#include <utility>

#include "storage/util/status_macros.h"

namespace tally::rules::lint {
namespace {

class OverlaySeriesView : public storage::Series {
 public:
  explicit OverlaySeriesView(const OverlaySeries* s) : s_(s) {}
  const storage::Labels& labels() const override { return s_->labels; }
  absl::Status Samples(int64_t mint_ms, int64_t maxt_ms,
                       std::vector<storage::Sample>* out) const override {
    auto lo = std::lower_bound(s_->samples.begin(), s_->samples.end(), mint_ms,
                               [](const storage::Sample& a, int64_t t) { return a.t_ms < t; });
    for (auto it = lo; it != s_->samples.end() && it->t_ms <= maxt_ms; ++it) out->push_back(*it);
    return absl::OkStatus();
  }

 private:
  const OverlaySeries* s_;
};

bool MatchesAll(const storage::Labels& l, const storage::Matchers& ms) {
  for (const storage::Matcher& m : ms) {
    if (!m.Matches(l.Get(m.name()))) return false;
  }
  return true;
}

bool HasSampleIn(const OverlaySeries& s, int64_t mint, int64_t maxt) {
  auto lo = std::lower_bound(s.samples.begin(), s.samples.end(), mint,
                             [](const storage::Sample& a, int64_t t) { return a.t_ms < t; });
  return lo != s.samples.end() && lo->t_ms <= maxt;
}

class OverlayQuerier : public storage::Querier {
 public:
  OverlayQuerier(std::unique_ptr<storage::Querier> base,
                 const std::map<std::string, std::vector<OverlaySeries>>* recorded, int64_t mint,
                 int64_t maxt)
      : base_(std::move(base)), recorded_(recorded), mint_(mint), maxt_(maxt) {}

  absl::StatusOr<std::vector<std::unique_ptr<storage::Series>>> Select(
      const storage::Matchers& matchers) override {
    ASSIGN_OR_RETURN(std::vector<std::unique_ptr<storage::Series>> base, base_->Select(matchers));
    std::vector<std::unique_ptr<storage::Series>> out;
    out.reserve(base.size());
    for (auto& s : base) {
      if (recorded_->count(std::string(s->labels().MetricName())) == 0) out.push_back(std::move(s));
    }
    bool added = false;
    for (const auto& [name, series] : *recorded_) {
      for (const OverlaySeries& s : series) {
        if (MatchesAll(s.labels, matchers) && HasSampleIn(s, mint_, maxt_)) {
          out.push_back(std::make_unique<OverlaySeriesView>(&s));
          added = true;
        }
      }
    }
    if (added) {
      std::sort(out.begin(), out.end(),
                [](const auto& a, const auto& b) { return Compare(a->labels(), b->labels()) < 0; });
    }
    return out;
  }

  // Both go through Select() so that hidden base series do not contribute (the linter
  // calls these once per selector, never on a hot path).
  absl::StatusOr<std::vector<std::string>> LabelNames(const storage::Matchers& matchers) override {
    ASSIGN_OR_RETURN(auto series, Select(OrAll(matchers)));
    std::set<std::string> all;
    for (const auto& s : series) {
      for (const auto& l : s->labels()) all.emplace(l.name);
    }
    return std::vector<std::string>(all.begin(), all.end());
  }

  absl::StatusOr<std::vector<std::string>> LabelValues(absl::string_view label,
                                                       const storage::Matchers& matchers) override {
    ASSIGN_OR_RETURN(auto series, Select(OrAll(matchers)));
    std::set<std::string> all;
    for (const auto& s : series) {
      absl::string_view v = s->labels().Get(label);
      if (!v.empty()) all.insert(std::string(v));
    }
    return std::vector<std::string>(all.begin(), all.end());
  }

 private:
  // No matchers means every series.
  static storage::Matchers OrAll(const storage::Matchers& m) {
    if (!m.empty()) return m;
    return {
        *storage::Matcher::Make(storage::MatchType::kRegexMatch, storage::kMetricNameLabel, ".+")};
  }

  std::unique_ptr<storage::Querier> base_;
  const std::map<std::string, std::vector<OverlaySeries>>* recorded_;
  int64_t mint_, maxt_;
};

class RejectingAppender : public storage::Appender {
 public:
  absl::StatusOr<storage::SeriesRef> Append(const storage::Labels&, int64_t, double) override {
    return Error();
  }
  absl::Status Append(storage::SeriesRef, int64_t, double) override { return Error(); }
  absl::StatusOr<storage::CommitResult> Commit() override { return Error(); }
  void Rollback() override {}

 private:
  static absl::Status Error() {
    return absl::FailedPreconditionError("the lint overlay is read-only");
  }
};

}  // namespace

void OverlayDB::Record(const std::string& metric_name, std::vector<OverlaySeries> series) {
  std::vector<OverlaySeries>& dst = recorded_[metric_name];
  for (OverlaySeries& s : series) dst.push_back(std::move(s));
}

std::unique_ptr<storage::Appender> OverlayDB::NewAppender() {
  return std::make_unique<RejectingAppender>();
}

std::unique_ptr<storage::Querier> OverlayDB::NewQuerier(int64_t mint_ms, int64_t maxt_ms) {
  return std::make_unique<OverlayQuerier>(base_->NewQuerier(mint_ms, maxt_ms), &recorded_, mint_ms,
                                          maxt_ms);
}

absl::Status OverlayDB::SetMetadata(absl::string_view, const storage::MetricMetadata&) {
  return absl::FailedPreconditionError("the lint overlay is read-only");
}

}  // namespace tally::rules::lint
