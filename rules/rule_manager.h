// RuleManager: loads rule files into RuleGroups and runs them (Prometheus 2.42's
// rules.Manager). Update() is the reload: it parses every file first and, on any error,
// keeps the running groups untouched. Otherwise groups are matched by (file, name): an
// unchanged group keeps running with all its state; a changed group is stopped and its
// replacement takes over the state of rules with the same name and labels (alerts, series
// owed stale markers); a removed group writes stale markers for its series two intervals
// later. The first Update() of a manager restores alert `for` state from ALERTS_FOR_STATE
// (see RuleGroup); later ones do not need to.
//
// Thread-safety: Update/Run/Stop from one controlling thread (the server's reload path is
// serialised by the server); Groups() and RenderMetrics() from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rules/rule_group.h"
#include "rules/rule_metrics.h"

namespace tally::rules {

struct RuleManagerOptions {
  EvalBackend* backend = nullptr;  // REQUIRED; outlives the manager
  NotifyFunc notify;
  ForStateLookup for_state;
  absl::Duration resend_delay = absl::Minutes(1);
  absl::Duration outage_tolerance = absl::Hours(1);
  absl::Duration for_grace_period = absl::Minutes(10);
};

// Everything a set of groups is built from.
struct RuleLoadConfig {
  absl::Duration default_interval = absl::Minutes(1);  // global evaluation_interval
  std::vector<std::string> files;                      // paths, already glob-expanded
  storage::Labels external_labels;
  std::string external_url;
};

// Parses `cfg.files` into groups (not started). Returns every error of every file (each
// "<file>: <message>", Prometheus's wording) and no groups when there is any. `only_recording`
// drops alerting rules (backfill).
struct LoadedGroups {
  std::vector<std::unique_ptr<RuleGroup>> groups;
  std::vector<std::string> errors;
};
LoadedGroups LoadGroups(const RuleLoadConfig& cfg, const RuleGroupOptions& options,
                        bool restored, bool only_recording = false);

// Expands rule_files patterns (relative ones against base_dir) with glob(3), each pattern's
// matches sorted. InvalidArgument "error retrieving rule files for <pattern>: ..." for a bad
// pattern; a pattern matching nothing adds nothing, as in Prometheus.
absl::StatusOr<std::vector<std::string>> ExpandRuleFiles(const std::vector<std::string>& patterns,
                                                         const std::string& base_dir);

class RuleManager {
 public:
  explicit RuleManager(RuleManagerOptions options);
  ~RuleManager();  // Stop()

  // Loads and swaps in the groups. On error the previous groups keep running and the
  // error says "error loading rules, previous rule set restored: " + the first error (all
  // are logged).
  absl::Status Update(const RuleLoadConfig& cfg) ABSL_LOCKS_EXCLUDED(mu_);
  // Starts evaluating (groups loaded before and after). Idempotent.
  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  // Stops every group (after its current rule) and joins the threads. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // The current groups sorted by file, then name (the order of /api/v1/rules).
  std::vector<std::shared_ptr<RuleGroup>> Groups() const ABSL_LOCKS_EXCLUDED(mu_);
  void RenderMetrics(std::string* out) const { metrics_.Render(out); }

 private:
  RuleGroupOptions GroupOptions();

  RuleManagerOptions options_;
  RuleMetrics metrics_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<RuleGroup>> groups_ ABSL_GUARDED_BY(mu_);  // by key
  std::vector<std::shared_ptr<RuleGroup>> retired_ ABSL_GUARDED_BY(mu_);
  bool restored_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tally::rules
