#include "tests/server/fake_db.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace tally::testing {
namespace {

bool MatchesAll(const storage::Labels& l, const storage::Matchers& ms) {
  for (const storage::Matcher& m : ms) {
    if (!m.Matches(l.Get(m.name()))) return false;
  }
  return true;
}

class FakeSeries : public storage::Series {
 public:
  FakeSeries(storage::Labels l, std::vector<storage::Sample> s)
      : labels_(std::move(l)), samples_(std::move(s)) {}
  const storage::Labels& labels() const override { return labels_; }
  absl::Status Samples(int64_t mint, int64_t maxt,
                       std::vector<storage::Sample>* out) const override {
    for (const auto& s : samples_) {
      if (s.t_ms >= mint && s.t_ms <= maxt) out->push_back(s);
    }
    return absl::OkStatus();
  }

 private:
  storage::Labels labels_;
  std::vector<storage::Sample> samples_;
};

class FakeQuerier : public storage::Querier {
 public:
  FakeQuerier(FakeDB* db, int64_t mint, int64_t maxt) : db_(db), mint_(mint), maxt_(maxt) {}
  absl::StatusOr<std::vector<std::unique_ptr<storage::Series>>> Select(
      const storage::Matchers& ms) override {
    if (absl::Status s = storage::ValidateSelector(ms); !s.ok()) return s;
    std::vector<std::unique_ptr<storage::Series>> out;
    std::lock_guard<std::mutex> l(db_->mu);
    for (const auto& [labels, samples] : db_->data) {
      if (!MatchesAll(labels, ms)) continue;
      bool any = false;
      for (const auto& s : samples) any = any || (s.t_ms >= mint_ && s.t_ms <= maxt_);
      if (any) out.push_back(std::make_unique<FakeSeries>(labels, samples));
    }
    return out;
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(const storage::Matchers& ms) override {
    std::set<std::string> names;
    for (const auto& l : InRange(ms)) {
      for (const auto& x : l) names.emplace(x.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(absl::string_view name,
                                                       const storage::Matchers& ms) override {
    std::set<std::string> vals;
    for (const auto& l : InRange(ms)) {
      if (l.Has(name)) vals.insert(std::string(l.Get(name)));
    }
    return std::vector<std::string>(vals.begin(), vals.end());
  }

 private:
  std::vector<storage::Labels> InRange(const storage::Matchers& ms) {
    std::vector<storage::Labels> out;
    std::lock_guard<std::mutex> l(db_->mu);
    for (const auto& [labels, samples] : db_->data) {
      if (!MatchesAll(labels, ms)) continue;
      for (const auto& s : samples) {
        if (s.t_ms >= mint_ && s.t_ms <= maxt_) {
          out.push_back(labels);
          break;
        }
      }
    }
    return out;
  }
  FakeDB* db_;
  int64_t mint_, maxt_;
};

class FakeAppender : public storage::Appender {
 public:
  explicit FakeAppender(FakeDB* db) : db_(db) {}
  absl::StatusOr<storage::SeriesRef> Append(const storage::Labels& labels, int64_t t,
                                            double v) override {
    if (labels.empty()) return absl::InvalidArgumentError("empty label set");
    refs_.push_back(labels);
    pending_.push_back({refs_.size(), {t, v}});
    return refs_.size();
  }
  absl::Status Append(storage::SeriesRef ref, int64_t t, double v) override {
    if (ref == 0 || ref > refs_.size()) return absl::NotFoundError("unknown ref");
    pending_.push_back({ref, {t, v}});
    return absl::OkStatus();
  }
  absl::StatusOr<storage::CommitResult> Commit() override {
    if (!db_->fail_commits.ok()) return db_->fail_commits;
    storage::CommitResult r;
    std::lock_guard<std::mutex> l(db_->mu);
    for (const auto& [ref, s] : pending_) {
      auto& vec = db_->data[refs_[ref - 1]];
      if (!vec.empty() && s.t_ms < vec.back().t_ms) {
        ++r.rejected_out_of_order;
        if (r.first_error.empty()) r.first_error = "out of order sample";
        continue;
      }
      if (!vec.empty() && s.t_ms == vec.back().t_ms) {
        if (vec.back().v != s.v) {
          ++r.rejected_duplicate;
          if (r.first_error.empty()) r.first_error = "duplicate sample for timestamp";
        }
        continue;
      }
      vec.push_back(s);
      ++r.appended;
    }
    pending_.clear();
    return r;
  }
  void Rollback() override { pending_.clear(); }

 private:
  FakeDB* db_;
  std::vector<storage::Labels> refs_;
  std::vector<std::pair<storage::SeriesRef, storage::Sample>> pending_;
};

}  // namespace

std::unique_ptr<storage::Appender> FakeDB::NewAppender() {
  return std::make_unique<FakeAppender>(this);
}

std::unique_ptr<storage::Querier> FakeDB::NewQuerier(int64_t mint, int64_t maxt) {
  return std::make_unique<FakeQuerier>(this, mint, maxt);
}

absl::Status FakeDB::SetMetadata(absl::string_view metric, const storage::MetricMetadata& md) {
  std::lock_guard<std::mutex> l(mu);
  metadata[std::string(metric)] = md;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, storage::MetricMetadata>>> FakeDB::Metadata() {
  std::lock_guard<std::mutex> l(mu);
  return std::vector<std::pair<std::string, storage::MetricMetadata>>(metadata.begin(),
                                                                      metadata.end());
}

absl::StatusOr<storage::DBStats> FakeDB::Stats(int) {
  std::lock_guard<std::mutex> l(mu);
  storage::DBStats st;
  st.num_series = static_cast<int64_t>(data.size());
  st.head_series = st.num_series;
  std::map<std::string, std::set<std::string>> values;
  for (const auto& [labels, samples] : data) {
    st.num_samples += static_cast<int64_t>(samples.size());
    st.num_chunks += 1;
    for (const auto& s : samples) {
      st.min_time_ms = std::min(st.min_time_ms, s.t_ms);
      st.max_time_ms = std::max(st.max_time_ms, s.t_ms);
    }
    for (const auto& x : labels) values[std::string(x.name)].emplace(x.value);
  }
  for (const auto& [n, v] : values) {
    st.label_names.push_back({n, static_cast<int64_t>(v.size()), 0});
  }
  std::sort(st.label_names.begin(), st.label_names.end(),
            [](const auto& a, const auto& b) { return a.values > b.values; });
  return st;
}

void FakeDB::Add(const storage::Labels& l, int64_t t_ms, double v) {
  std::lock_guard<std::mutex> g(mu);
  data[l].push_back({t_ms, v});
}

int64_t FakeDB::NumSamples() {
  std::lock_guard<std::mutex> g(mu);
  int64_t n = 0;
  for (const auto& [l, s] : data) n += static_cast<int64_t>(s.size());
  return n;
}

}  // namespace tally::testing
