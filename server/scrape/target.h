// Targets: discovered target groups and the scrape targets Prometheus derives from them
// (scrape.PopulateLabels / TargetsFromGroup in 2.42). Pure value types and a pure function;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/config/config.h"
#include "server/scrape/relabel.h"
#include "storage/model/labels.h"

namespace tally::server::scrape {

// One group of targets from one source (a static_configs entry, one file's i-th group).
struct TargetGroup {
  std::vector<storage::Labels> targets;  // each has __address__ (plus any __meta_* labels)
  storage::Labels labels;                // the group's common labels (target labels win)
  // Prometheus's source names: "0", "1", ... for static_configs entries,
  // "/path/targets.json:0" for the first group of a file (file SD's "<file>:<index>").
  std::string source;
};

struct Target {
  storage::Labels labels;             // final: after relabeling, "__"-prefixed labels removed,
                                      // instance always present, job unless relabeling
                                      // removed it (as Prometheus)
  storage::Labels discovered_labels;  // before relabeling (shown by /api/v1/targets)
  std::string scrape_url;             // scheme://address + metrics_path + ?params (__param_*)
  int64_t interval_ms = 0;            // from __scrape_interval__ after relabeling
  int64_t timeout_ms = 0;             // from __scrape_timeout__ after relabeling
  // Identity of the target: labels + scrape_url (and interval/timeout, so a changed
  // interval restarts the loop). Stable across runs.
  uint64_t Hash() const;
};

struct PopulatedTargets {
  std::vector<Target> active;
  std::vector<storage::Labels> dropped;  // discovered labels of targets relabeling dropped
  // Per-target errors in Prometheus's wording, e.g.
  //   instance 0 in group 0: scrape timeout cannot be greater than scrape interval ("20s" > "10s")
  std::vector<std::string> errors;
};

// The groups of a job's static_configs: one per entry, each target as {__address__: t},
// sources "0", "1", ... (Prometheus's static discovery).
std::vector<TargetGroup> StaticTargetGroups(const config::ScrapeConfig& cfg);

// Prometheus's scrape.PopulateLabels for every target of `groups`: group labels, then
// target labels, then defaults (when absent) job, __scheme__, __metrics_path__,
// __scrape_interval__, __scrape_timeout__, then __param_<k> = first value of each
// cfg.params entry; relabel_configs (`relabel`, compiled from cfg.relabel_configs); a
// target without __address__ is an error ("no address"); a missing port becomes :80/:443 by
// scheme; an address containing "/" is an error; interval/timeout parsed from the labels
// (0, unparsable or timeout > interval are errors); __meta_* dropped; instance =
// __address__ if absent; label values must be valid UTF-8. `cfg` must have its
// interval/timeout resolved (as ParseConfig does).
PopulatedTargets PopulateTargets(const config::ScrapeConfig& cfg, const Relabeler& relabel,
                                 const std::vector<TargetGroup>& groups);

}  // namespace tally::server::scrape
