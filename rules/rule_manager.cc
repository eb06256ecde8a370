#include "rules/rule_manager.h"

#include <glob.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rules/recording_rule.h"
#include "rules/rule_file.h"
#include "storage/util/log.h"

namespace tally::rules {

LoadedGroups LoadGroups(const RuleLoadConfig& cfg, const RuleGroupOptions& options,
                        bool restored, bool only_recording) {
  LoadedGroups out;
  for (const std::string& file : cfg.files) {
    ParsedRuleFile parsed = LoadRuleFile(file);
    if (!parsed.errors.empty()) {
      for (std::string& e : parsed.errors) out.errors.push_back(std::move(e));
      continue;
    }
    for (const GroupSpec& g : parsed.spec.groups) {
      std::vector<std::unique_ptr<Rule>> rules;
      for (const RuleSpec& r : g.rules) {
        if (!r.alert.empty()) {
          if (only_recording) continue;
          absl::StatusOr<std::unique_ptr<AlertingRule>> a = AlertingRule::Create(
              r, AlertingRuleEnv{cfg.external_labels, cfg.external_url}, restored);
          if (!a.ok()) {
            out.errors.push_back(absl::StrCat(file, ": ", a.status().message()));
            continue;
          }
          rules.push_back(*std::move(a));
        } else {
          absl::StatusOr<std::unique_ptr<RecordingRule>> rr = RecordingRule::Create(r);
          if (!rr.ok()) {
            out.errors.push_back(absl::StrCat(file, ": ", rr.status().message()));
            continue;
          }
          rules.push_back(*std::move(rr));
        }
      }
      const absl::Duration interval =
          g.interval_ms > 0 ? absl::Milliseconds(g.interval_ms) : cfg.default_interval;
      out.groups.push_back(std::make_unique<RuleGroup>(g.name, file, interval, g.limit,
                                                       std::move(rules), options, !restored));
    }
  }
  if (!out.errors.empty()) out.groups.clear();
  return out;
}

absl::StatusOr<std::vector<std::string>> ExpandRuleFiles(const std::vector<std::string>& patterns,
                                                         const std::string& base_dir) {
  std::vector<std::string> files;
  for (const std::string& p : patterns) {
    std::string pat = p;
    if (!pat.empty() && pat[0] != '/' && !base_dir.empty()) pat = base_dir + "/" + pat;
    glob_t g{};
    const int rc = glob(pat.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    } else if (rc != GLOB_NOMATCH) {
      globfree(&g);
      return absl::InvalidArgumentError(
          absl::StrCat("error retrieving rule files for ", pat, ": syntax error in pattern"));
    }
    globfree(&g);
  }
  return files;
}

RuleManager::RuleManager(RuleManagerOptions options) : options_(std::move(options)) {}

RuleManager::~RuleManager() { Stop(); }

RuleGroupOptions RuleManager::GroupOptions() {
  RuleGroupOptions o;
  o.backend = options_.backend;
  o.notify = options_.notify;
  o.for_state = options_.for_state;
  o.resend_delay = options_.resend_delay;
  o.outage_tolerance = options_.outage_tolerance;
  o.for_grace_period = options_.for_grace_period;
  o.metrics = &metrics_;
  return o;
}

absl::Status RuleManager::Update(const RuleLoadConfig& cfg) {
  bool restored;
  {
    absl::MutexLock l(&mu_);
    restored = restored_;
  }
  LoadedGroups loaded = LoadGroups(cfg, GroupOptions(), restored);
  if (!loaded.errors.empty()) {
    for (const std::string& e : loaded.errors) {
      TALLY_LOG(kError, "loading groups failed", {{"err", e}});
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "error loading rules, previous rule set restored: ", loaded.errors.front()));
  }

  absl::MutexLock l(&mu_);
  // Reap removed groups whose stale-marking wait is over.
  retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                [](const std::shared_ptr<RuleGroup>& g) {
                                  if (!g->finished()) return false;
                                  g->Join();
                                  return true;
                                }),
                 retired_.end());
  std::map<std::string, std::shared_ptr<RuleGroup>> next;
  for (std::unique_ptr<RuleGroup>& ng : loaded.groups) {
    const std::string key = GroupKey(ng->file(), ng->name());
    auto old = groups_.find(key);
    if (old != groups_.end() && old->second->Equals(*ng)) {
      next[key] = old->second;
      groups_.erase(old);
      continue;
    }
    std::shared_ptr<RuleGroup> g(std::move(ng));
    if (old != groups_.end()) {
      old->second->Stop(false);
      old->second->Join();
      g->CopyState(*old->second);
      groups_.erase(old);
    }
    if (running_) g->Start();
    next[key] = std::move(g);  // a repeated key (the same file listed twice): last wins
  }
  for (auto& [key, g] : groups_) {
    g->Stop(/*mark_stale=*/true);
    metrics_.Remove(key);
    retired_.push_back(std::move(g));
  }
  groups_ = std::move(next);
  restored_ = true;
  return absl::OkStatus();
}

void RuleManager::Run() {
  absl::MutexLock l(&mu_);
  if (running_) return;
  running_ = true;
  for (auto& [key, g] : groups_) g->Start();
}

void RuleManager::Stop() {
  std::vector<std::shared_ptr<RuleGroup>> all;
  {
    absl::MutexLock l(&mu_);
    for (auto& [key, g] : groups_) all.push_back(g);
    for (auto& g : retired_) all.push_back(g);
    retired_.clear();
    running_ = false;
  }
  for (auto& g : all) {
    g->Stop(false);
    g->Abort();
  }
  for (auto& g : all) g->Join();
}

std::vector<std::shared_ptr<RuleGroup>> RuleManager::Groups() const {
  std::vector<std::shared_ptr<RuleGroup>> out;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [key, g] : groups_) out.push_back(g);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a->file() != b->file()) return a->file() < b->file();
    return a->name() < b->name();
  });
  return out;
}

}  // namespace tally::rules
