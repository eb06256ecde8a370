#include "server/scrape/relabel.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "re2/re2.h"
#include "rules/template/go_regexp.h"
#include "rules/template/go_strings.h"
#include "server/scrape/md5.h"

namespace tally::server::scrape {

enum class Action {
  kReplace, kKeep, kDrop, kKeepEqual, kDropEqual, kHashMod, kLabelMap, kLabelDrop, kLabelKeep,
  kLowercase, kUppercase,
};

struct Relabeler::Rule {
  config::RelabelConfig cfg;
  Action action = Action::kReplace;
  std::unique_ptr<RE2> re;  // "^(?:regex)$"
  int ngroups = 0;          // capturing groups + 1
  bool default_regex = false;
  bool target_has_var = false;
  bool replacement_has_var = false;
};

namespace {

Action ParseAction(absl::string_view a) {
  static constexpr std::pair<const char*, Action> kActions[] = {
      {"replace", Action::kReplace},     {"keep", Action::kKeep},
      {"drop", Action::kDrop},           {"keepequal", Action::kKeepEqual},
      {"dropequal", Action::kDropEqual}, {"hashmod", Action::kHashMod},
      {"labelmap", Action::kLabelMap},   {"labeldrop", Action::kLabelDrop},
      {"labelkeep", Action::kLabelKeep}, {"lowercase", Action::kLowercase},
      {"uppercase", Action::kUppercase}};
  for (const auto& [name, act] : kActions) {
    if (a == name) return act;
  }
  return Action::kReplace;  // unreachable: validated before
}


bool FullMatch(const RE2& re, absl::string_view s) {
  return re.Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), RE2::UNANCHORED, nullptr, 0);
}

// Submatches are bounded by the rule's group count; relabel regexes have a handful.
constexpr int kMaxInlineGroups = 16;

}  // namespace

absl::StatusOr<Relabeler> Relabeler::Compile(const std::vector<config::RelabelConfig>& rules) {
  Relabeler out;
  const config::RelabelConfig dflt;
  for (const config::RelabelConfig& c : rules) {
    if (absl::Status st = config::ValidateRelabelConfig(c); !st.ok()) return st;
    auto r = std::make_shared<Rule>();
    r->cfg = c;
    r->cfg.action = absl::AsciiStrToLower(c.action);
    r->action = ParseAction(r->cfg.action);
    RE2::Options opts;
    opts.set_log_errors(false);
    r->re = std::make_unique<RE2>(absl::StrCat("^(?:", c.regex, ")$"), opts);
    r->ngroups = r->re->NumberOfCapturingGroups() + 1;
    r->default_regex = c.regex == dflt.regex;
    r->target_has_var = absl::StrContains(c.target_label, "$");
    r->replacement_has_var = absl::StrContains(c.replacement, "$");
    out.rules_.push_back(std::move(r));
  }
  return out;
}

bool Relabeler::Apply(storage::LabelsBuilder& lb) const {
  // Per-thread scratch: Apply runs once per scraped series, so no allocation per call.
  thread_local std::string val, target, res;
  thread_local std::vector<re2::StringPiece> heap_groups;
  re2::StringPiece inline_groups[kMaxInlineGroups];
  for (const std::shared_ptr<const Rule>& rp : rules_) {
    const Rule& r = *rp;
    const config::RelabelConfig& c = r.cfg;
    val.clear();
    for (size_t i = 0; i < c.source_labels.size(); ++i) {
      if (i > 0) val.append(c.separator);
      const absl::string_view v = lb.Get(c.source_labels[i]);
      val.append(v.data(), v.size());
    }
    switch (r.action) {
      case Action::kDrop:
        if (FullMatch(*r.re, val)) return false;
        break;
      case Action::kKeep:
        if (!FullMatch(*r.re, val)) return false;
        break;
      case Action::kDropEqual:
        if (lb.Get(c.target_label) == val) return false;
        break;
      case Action::kKeepEqual:
        if (lb.Get(c.target_label) != val) return false;
        break;
      case Action::kReplace: {
        // Fast path (same result as the general one): the default regex matches anything and
        // templates without '$' expand to themselves.
        if (r.default_regex && !r.target_has_var && !r.replacement_has_var) {
          if (c.replacement.empty()) {
            lb.Del(c.target_label);
          } else {
            lb.Set(c.target_label, c.replacement);
          }
          break;
        }
        re2::StringPiece* groups = inline_groups;
        if (r.ngroups > kMaxInlineGroups) {
          heap_groups.resize(r.ngroups);
          groups = heap_groups.data();
        }
        if (!r.re->Match(re2::StringPiece(val), 0, val.size(), RE2::UNANCHORED, groups,
                         r.ngroups)) {
          break;
        }
        target.clear();
        rules::tmpl::GoRegexpExpand(c.target_label, *r.re,
                                    absl::MakeConstSpan(groups, r.ngroups), &target);
        // Prometheus compat (2.42 relabel.go): an invalid expanded target name or an empty
        // result deletes the label named by the unexpanded target_label.
        if (!storage::IsValidLabelName(target)) {
          lb.Del(c.target_label);
          break;
        }
        res.clear();
        rules::tmpl::GoRegexpExpand(c.replacement, *r.re,
                                    absl::MakeConstSpan(groups, r.ngroups), &res);
        if (res.empty()) {
          lb.Del(c.target_label);
          break;
        }
        lb.Set(target, res);
        break;
      }
      case Action::kLowercase:
        lb.Set(c.target_label, rules::tmpl::GoToLower(val));
        break;
      case Action::kUppercase:
        lb.Set(c.target_label, rules::tmpl::GoToUpper(val));
        break;
      case Action::kHashMod: {
        const std::array<uint8_t, 16> sum = Md5(val);
        uint64_t h = 0;
        for (int i = 8; i < 16; ++i) h = h << 8 | sum[i];
        lb.Set(c.target_label, absl::StrCat(h % c.modulus));
        break;
      }
      case Action::kLabelMap: {
        // Names and values as they were before this rule: copies never feed each other.
        const std::vector<storage::Label> before = lb.labels();
        re2::StringPiece* groups = inline_groups;
        if (r.ngroups > kMaxInlineGroups) {
          heap_groups.resize(r.ngroups);
          groups = heap_groups.data();
        }
        for (const auto& l : before) {
          if (!r.re->Match(re2::StringPiece(l.name), 0, l.name.size(), RE2::UNANCHORED, groups,
                           r.ngroups)) {
            continue;
          }
          target.clear();
          rules::tmpl::GoRegexpExpand(c.replacement, *r.re,
                                      absl::MakeConstSpan(groups, r.ngroups), &target);
          if (target.empty()) continue;  // a group that did not participate: no name to set
          lb.Set(target, l.value);
        }
        break;
      }
      case Action::kLabelDrop:
      case Action::kLabelKeep: {
        const bool drop_matching = r.action == Action::kLabelDrop;
        // Walk backwards so deleting the current label leaves earlier indexes valid.
        const std::vector<storage::Label>& ls = lb.labels();
        for (size_t i = ls.size(); i-- > 0;) {
          if (FullMatch(*r.re, ls[i].name) == drop_matching) lb.Del(ls[i].name);
        }
        break;
      }
    }
  }
  return true;
}

}  // namespace tally::server::scrape
