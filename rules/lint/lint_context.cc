#include "rules/lint/lint_context.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "promql/parser/function_table.h"
#include "promql/parser/printer.h"
#include "storage/util/status_macros.h"

namespace tally::rules::lint {
namespace {

// The engine refuses range queries of more than 11,000 points per series.
constexpr int64_t kMaxStepsPerQuery = 10'000;

promql::QueryOptions EngineOptions(const LintOptions& o) {
  promql::QueryOptions q;
  q.lookback_delta = absl::Milliseconds(o.lookback_delta_ms);
  q.default_subquery_step_ms = o.default_interval_ms;
  return q;
}

}  // namespace

LintContext::LintContext(storage::DB* base, const LintOptions& options, int64_t start_ms,
                         int64_t end_ms)
    : base_(base),
      overlay_(base),
      options_(options),
      start_ms_(start_ms),
      end_ms_(end_ms),
      engine_(EngineOptions(options)) {
  if (auto md = base_->Metadata(); md.ok()) {
    for (auto& [name, m] : *md) types_[name] = m.type;
  }
}

absl::StatusOr<const promql::Matrix*> LintContext::Eval(const promql::Expr& e, int64_t step_ms) {
  std::string key = absl::StrCat(step_ms, "|", promql::ToString(e));
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    if (!it->second.ok()) return it->second.status();
    return &*it->second;
  }
  auto run = [&]() -> absl::StatusOr<promql::Matrix> {
    const promql::ValueType type = e.type();
    const int64_t steps = (end_ms_ - start_ms_) / step_ms;
    const int64_t first = end_ms_ - steps * step_ms;  // steps land on the window's end
    std::map<storage::Labels, std::vector<storage::Sample>> merged;
    for (int64_t s = first; s <= end_ms_; s += kMaxStepsPerQuery * step_ms) {
      const int64_t e_ms = std::min(end_ms_, s + (kMaxStepsPerQuery - 1) * step_ms);
      promql::ExprPtr q = promql::Clone(e);
      if (type == promql::ValueType::kMatrix) {
        auto call = std::make_unique<promql::Call>();
        call->func = promql::LookupFunction("count_over_time");
        call->args.push_back(std::move(q));
        q = std::move(call);
      } else if (type != promql::ValueType::kVector && type != promql::ValueType::kScalar) {
        return absl::InvalidArgumentError("not a vector expression");
      }
      ASSIGN_OR_RETURN(auto query,
                       engine_.NewRangeQuery(&overlay_, std::move(q), s, e_ms, step_ms));
      ASSIGN_OR_RETURN(promql::Value v, query->Exec());
      if (auto* m = std::get_if<promql::Matrix>(&v)) {
        for (promql::MatrixSeries& ms : *m) {
          auto& pts = merged[ms.metric];
          pts.insert(pts.end(), ms.points.begin(), ms.points.end());
        }
      }
    }
    promql::Matrix out;
    out.reserve(merged.size());
    for (auto& [l, pts] : merged) out.push_back(promql::MatrixSeries{l, std::move(pts)});
    return out;
  };
  auto [ins, _] = cache_.emplace(key, run());
  if (!ins->second.ok()) return ins->second.status();
  return &*ins->second;
}

std::string LintContext::MetricType(const std::string& name) const {
  if (const RecordedMetric* r = Recorded(name)) return r->counter_like ? "counter" : "gauge";
  if (auto it = types_.find(name); it != types_.end()) return it->second;
  // Series of a family: x_total (OpenMetrics counters), x_bucket/_sum/_count (histograms,
  // summaries), x_created.
  for (absl::string_view suffix : {"_total", "_bucket", "_sum", "_count", "_created"}) {
    if (!absl::EndsWith(name, suffix)) continue;
    auto it = types_.find(name.substr(0, name.size() - suffix.size()));
    if (it == types_.end()) continue;
    // The _sum/_count of a histogram or summary behave as counters.
    if (it->second == "histogram" || it->second == "summary") return "counter";
    return it->second;
  }
  return "";
}

int64_t LintContext::SampleSpacing(const promql::VectorSelector& sel) {
  if (const RecordedMetric* r = Recorded(sel.name)) return r->interval_ms;
  const int64_t maxt = end_ms_ - sel.offset_ms;
  auto q = overlay_.NewQuerier(maxt - 3600'000, maxt);
  auto set = q->Select(sel.matchers);
  if (!set.ok()) return 0;
  std::vector<int64_t> medians;
  std::vector<storage::Sample> buf;
  for (size_t i = 0; i < set->size() && i < 8; ++i) {
    buf.clear();
    if (!(*set)[i]->Samples(maxt - 3600'000, maxt, &buf).ok() || buf.size() < 2) continue;
    std::vector<int64_t> d;
    for (size_t j = 1; j < buf.size(); ++j) d.push_back(buf[j].t_ms - buf[j - 1].t_ms);
    std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
    medians.push_back(d[d.size() / 2]);
  }
  if (medians.empty()) return 0;
  std::nth_element(medians.begin(), medians.begin() + medians.size() / 2, medians.end());
  return medians[medians.size() / 2];
}

std::string FormatNameSet(const std::set<std::string>& names) {
  std::vector<absl::string_view> v;
  for (const std::string& n : names) {
    if (n != storage::kMetricNameLabel) v.push_back(n);
  }
  return absl::StrCat("{", absl::StrJoin(v, ","), "}");
}

std::set<std::string> NamesOf(const promql::Matrix& m) {
  std::set<std::string> out;
  for (const promql::MatrixSeries& s : m) {
    for (const auto& l : s.metric) {
      if (l.name != storage::kMetricNameLabel) out.emplace(l.name);
    }
  }
  return out;
}

}  // namespace tally::rules::lint
