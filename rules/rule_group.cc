#include "rules/rule_group.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "rules/group_hash.h"
#include "storage/util/log.h"

namespace tally::rules {

RuleGroup::RuleGroup(std::string name, std::string file, absl::Duration interval, int64_t limit,
                     std::vector<std::unique_ptr<Rule>> rules, RuleGroupOptions options,
                     bool should_restore)
    : name_(std::move(name)),
      file_(std::move(file)),
      interval_(interval),
      limit_(limit),
      rules_(std::move(rules)),
      options_(std::move(options)),
      should_restore_(should_restore),
      series_in_previous_eval_(rules_.size()) {
  if (options_.metrics != nullptr) {
    metrics_ = options_.metrics->Group(GroupKey(file_, name_));
    metrics_->interval_ns.store(absl::ToInt64Nanoseconds(interval_));
    metrics_->rules.store(static_cast<int64_t>(rules_.size()));
  } else {
    metrics_ = std::make_shared<GroupMetrics>();
  }
}

RuleGroup::~RuleGroup() {
  Stop(false);
  Abort();
  Join();
}

absl::Time RuleGroup::EvalTimestamp(absl::Time start) const {
  const int64_t iv = absl::ToInt64Nanoseconds(interval_);
  if (iv <= 0) return start;
  const int64_t offset = static_cast<int64_t>(GroupHash(file_, name_) % static_cast<uint64_t>(iv));
  const int64_t adj_now = absl::ToUnixNanos(start) - offset;
  const int64_t base = adj_now - (adj_now % iv);
  return absl::FromUnixNanos(base + offset);
}

bool RuleGroup::stopping() const {
  absl::MutexLock l(&mu_);
  return done_;
}

void RuleGroup::Eval(absl::Time ts) {
  const int64_t ts_ms = ToMillis(ts);
  int64_t samples_total = 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (stopping()) return;
    Rule* rule = rules_[i].get();
    const absl::Time started = absl::Now();
    metrics_->evaluations.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<std::vector<OutputSample>> out = rule->Eval(options_.backend, ts, limit_);
    auto finish = [&] {
      const absl::Duration took = absl::Now() - started;
      rule->SetEvaluation(took, started);
      if (options_.metrics != nullptr) options_.metrics->ObserveRuleEval(took);
    };
    if (!out.ok()) {
      rule->SetHealth(RuleHealth::kBad, std::string(out.status().message()));
      metrics_->evaluation_failures.fetch_add(1, std::memory_order_relaxed);
      if (!absl::IsCancelled(out.status())) {
        TALLY_LOG(kWarn, "Evaluating rule failed",
                  {{"group", name_}, {"name", rule->name()}, {"index", i},
                   {"err", out.status().message()}});
      }
      finish();
      continue;
    }
    rule->SetHealth(RuleHealth::kGood, "");
    samples_total += static_cast<int64_t>(out->size());

    if (rule->is_alerting() && options_.notify) {
      std::vector<Alert> send = static_cast<AlertingRule*>(rule)->AlertsToSend(
          ts, options_.resend_delay, interval_);
      if (!send.empty()) options_.notify(rule->query(), send);
    }

    absl::flat_hash_set<storage::Labels> returned;
    returned.reserve(out->size());
    std::vector<OutputSample> batch = *std::move(out);
    for (const OutputSample& s : batch) returned.insert(s.labels);
    for (const storage::Labels& l : series_in_previous_eval_[i]) {
      // Series no longer produced: mark it stale.
      if (!returned.contains(l)) batch.push_back({l, ts_ms, storage::StaleNaN()});
    }
    if (absl::Status st = options_.backend->Append(batch); !st.ok()) {
      rule->SetHealth(RuleHealth::kBad, std::string(st.message()));
      metrics_->evaluation_failures.fetch_add(1, std::memory_order_relaxed);
      TALLY_LOG(kWarn, "Rule sample appending failed",
                {{"group", name_}, {"name", rule->name()}, {"index", i}, {"err", st.message()}});
    } else {
      series_in_previous_eval_[i] = std::move(returned);
    }
    finish();
  }
  metrics_->last_samples.store(samples_total, std::memory_order_relaxed);
  CleanupStaleSeries(ts);
}

void RuleGroup::CleanupStaleSeries(absl::Time ts) {
  if (stale_series_.empty()) return;
  std::vector<OutputSample> batch;
  batch.reserve(stale_series_.size());
  for (const storage::Labels& l : stale_series_) {
    batch.push_back({l, ToMillis(ts), storage::StaleNaN()});
  }
  if (absl::Status st = options_.backend->Append(batch); !st.ok()) {
    TALLY_LOG(kWarn, "Stale sample appending failed", {{"group", name_}, {"err", st.message()}});
    return;  // Prometheus compat: kept for the next evaluation to retry
  }
  stale_series_.clear();
}

void RuleGroup::RestoreForState(absl::Time ts) {
  const int64_t maxt = ToMillis(ts);
  const int64_t mint = ToMillis(ts - options_.outage_tolerance);
  for (const std::unique_ptr<Rule>& r : rules_) {
    if (!r->is_alerting()) continue;
    auto* ar = static_cast<AlertingRule*>(r.get());
    const absl::Duration hold = ar->hold_duration();
    // Prometheus compat: a `for` shorter than the grace period is not restored at all.
    if (hold < options_.for_grace_period || !options_.for_state) {
      ar->SetRestored(true);
      continue;
    }
    ar->MutateAlerts([&](Alert* a) {
      absl::StatusOr<std::optional<storage::Sample>> s =
          options_.for_state(ar->ForStateLabels(*a), mint, maxt);
      if (!s.ok()) {
        TALLY_LOG(kError, "Failed to restore 'for' state",
                  {{"alertname", ar->name()}, {"err", s.status().message()}});
        return;
      }
      if (!s->has_value() || storage::IsStaleNaN((*s)->v)) return;
      const absl::Time down_at = absl::FromUnixSeconds((*s)->t_ms / 1000);
      absl::Time restored_active_at = absl::FromUnixSeconds(static_cast<int64_t>((*s)->v));
      const absl::Duration remaining = hold - (down_at - restored_active_at);
      if (remaining <= absl::ZeroDuration()) {
        // It was firing when the server went down; the next evaluation decides.
      } else if (remaining < options_.for_grace_period) {
        restored_active_at = ts + options_.for_grace_period - hold;
      } else {
        restored_active_at += ts - down_at;
      }
      a->active_at = restored_active_at;
    });
    ar->SetRestored(true);
  }
}

namespace {
std::string NameAndLabels(const Rule& r) { return r.name() + r.labels().ToString(); }
}  // namespace

void RuleGroup::CopyState(RuleGroup& from) {
  {
    absl::MutexLock a(&mu_);
    absl::MutexLock b(&from.mu_);
    evaluation_time_ = from.evaluation_time_;
    last_evaluation_ = from.last_evaluation_;
  }
  std::map<std::string, std::vector<size_t>> rule_map;
  for (size_t fi = 0; fi < from.rules_.size(); ++fi) {
    rule_map[NameAndLabels(*from.rules_[fi])].push_back(fi);
  }
  for (size_t i = 0; i < rules_.size(); ++i) {
    std::vector<size_t>& idx = rule_map[NameAndLabels(*rules_[i])];
    if (idx.empty()) continue;
    const size_t fi = idx.front();
    idx.erase(idx.begin());
    series_in_previous_eval_[i] = from.series_in_previous_eval_[fi];
    if (rules_[i]->is_alerting() && from.rules_[fi]->is_alerting()) {
      static_cast<AlertingRule*>(rules_[i].get())
          ->CopyAlertsFrom(*static_cast<AlertingRule*>(from.rules_[fi].get()));
    }
  }
  // Rules that are gone (or unmatched duplicates) owe stale markers for their series.
  stale_series_ = from.stale_series_;
  for (size_t fi = 0; fi < from.rules_.size(); ++fi) {
    if (!rule_map[NameAndLabels(*from.rules_[fi])].empty()) {
      for (const storage::Labels& l : from.series_in_previous_eval_[fi]) {
        stale_series_.push_back(l);
      }
    }
  }
}

bool RuleGroup::Equals(const RuleGroup& o) const {
  if (name_ != o.name_ || file_ != o.file_ || interval_ != o.interval_ || limit_ != o.limit_ ||
      rules_.size() != o.rules_.size()) {
    return false;
  }
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i]->Fingerprint() != o.rules_[i]->Fingerprint()) return false;
  }
  return true;
}

void RuleGroup::Start() {
  {
    absl::MutexLock l(&mu_);
    finished_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void RuleGroup::Stop(bool mark_stale) {
  absl::MutexLock l(&mu_);
  done_ = true;
  mark_stale_ = mark_stale_ || mark_stale;
}

void RuleGroup::Abort() {
  absl::MutexLock l(&mu_);
  aborted_ = true;
}

void RuleGroup::Join() {
  if (thread_.joinable()) thread_.join();
}

bool RuleGroup::finished() const {
  absl::MutexLock l(&mu_);
  return finished_;
}

absl::Duration RuleGroup::evaluation_time() const {
  absl::MutexLock l(&mu_);
  return evaluation_time_;
}

absl::Time RuleGroup::last_evaluation() const {
  absl::MutexLock l(&mu_);
  return last_evaluation_;
}

bool RuleGroup::WaitUntil(absl::Time t) {
  absl::MutexLock l(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(&done_), t);
  return !done_;
}

void RuleGroup::Iterate(absl::Time eval_ts) {
  metrics_->iterations.fetch_add(1, std::memory_order_relaxed);
  const absl::Time start = absl::Now();
  Eval(eval_ts);
  const absl::Duration took = absl::Now() - start;
  if (options_.metrics != nullptr) options_.metrics->ObserveGroupEval(took);
  metrics_->last_duration_ns.store(absl::ToInt64Nanoseconds(took));
  metrics_->last_evaluation_ns.store(absl::ToUnixNanos(eval_ts));
  absl::MutexLock l(&mu_);
  evaluation_time_ = took;
  last_evaluation_ = start;
}

void RuleGroup::Run() {
  // Prometheus compat: Group.run. Wait for the first aligned slot, then tick every interval;
  // ticks that passed during a long evaluation are counted as missed.
  absl::Time eval_ts = EvalTimestamp(absl::Now()) + interval_;
  bool stopped_early = !WaitUntil(eval_ts);
  auto next_tick = [&]() -> bool {
    if (!WaitUntil(eval_ts + interval_)) return false;
    const int64_t missed = (absl::Now() - eval_ts) / interval_ - 1;
    if (missed > 0) {
      metrics_->iterations_missed.fetch_add(missed, std::memory_order_relaxed);
      metrics_->iterations.fetch_add(missed, std::memory_order_relaxed);
    }
    eval_ts += (std::max<int64_t>(missed, 0) + 1) * interval_;
    return true;
  };
  if (!stopped_early) {
    Iterate(eval_ts);
    bool run = true;
    if (should_restore_) {
      // Restore only after a second evaluation: during the first, recording rules the
      // alerts depend on may not have produced fresh values yet.
      run = next_tick();
      if (run) {
        Iterate(eval_ts);
        RestoreForState(absl::Now());
        should_restore_ = false;
      }
    }
    while (run && next_tick()) Iterate(eval_ts);

    bool mark_stale;
    {
      absl::MutexLock l(&mu_);
      mark_stale = mark_stale_;
    }
    if (mark_stale) {
      const absl::Time now = absl::Now();
      for (auto& set : series_in_previous_eval_) {
        for (const storage::Labels& l : set) stale_series_.push_back(l);
      }
      series_in_previous_eval_.clear();
      // Wait two intervals so a renamed rule can take the series over first.
      bool aborted;
      {
        absl::MutexLock l(&mu_);
        mu_.AwaitWithDeadline(absl::Condition(&aborted_), now + 2 * interval_);
        aborted = aborted_;
      }
      if (!aborted) CleanupStaleSeries(now);
    }
  }
  absl::MutexLock l(&mu_);
  finished_ = true;
}

}  // namespace tally::rules
