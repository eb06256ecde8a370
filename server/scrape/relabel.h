// Relabeler: a compiled list of relabel_configs (Prometheus 2.42 model/relabel semantics),
// used for target relabeling (relabel_configs), metric_relabel_configs and the scrape-time
// label rewrites. Actions: replace, keep, drop, keepequal, dropequal, hashmod, labelmap,
// labeldrop, labelkeep, lowercase, uppercase (all of 2.42's; keepequal/dropequal came in
// 2.41, lowercase/uppercase in 2.36).
//
// Semantics, as Prometheus 2.42:
//  - regexes are fully anchored ("^(?:regex)$", RE2 syntax = Go's);
//  - the source value is the source labels' values (absent = "") joined by `separator`;
//  - replace: no match -> nothing; `target_label` and `replacement` are expanded like Go's
//    Regexp.Expand ($1, ${1}, $name, ${name}, $$); an invalid expanded target name or an
//    empty result deletes the label literally named `target_label` (2.42's behaviour);
//  - hashmod: md5 of the source value, last 8 bytes big-endian, mod `modulus`;
//  - labelmap: every label whose name matches is copied to Expand(replacement) (labels as
//    they were before the rule; later copies win);
//  - lowercase/uppercase: ASCII-and-Unicode case mapping of the source value into target.
//
// Thread-safety: a Relabeler is immutable after Compile and may be used from any number of
// threads at once; copies share the compiled rules.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "server/config/config.h"
#include "storage/model/labels.h"

namespace tally::server::scrape {

class Relabeler {
 public:
  // No rules: Apply keeps everything unchanged.
  Relabeler() = default;

  // Validates every rule as Prometheus does at config load (config::ValidateRelabelConfig:
  // unknown action, bad regex, missing target_label, hashmod modulus 0, ...) and compiles
  // the regexes. InvalidArgument with Prometheus's message on the first bad rule.
  static absl::StatusOr<Relabeler> Compile(const std::vector<config::RelabelConfig>& rules);

  // Applies the rules in order to `lb`. Returns false if a keep/drop/keepequal/dropequal
  // rule dropped the set (`lb` is then left partially rewritten; callers discard it).
  bool Apply(storage::LabelsBuilder& lb) const;

  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }

  struct Rule;  // compiled form of one RelabelConfig (relabel.cc)

 private:
  std::vector<std::shared_ptr<const Rule>> rules_;
};

}  // namespace tally::server::scrape
