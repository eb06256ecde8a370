#include "rules/lint/matching_util.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rules/lint/lint_context.h"

namespace tally::rules::lint {
namespace {

// Prometheus compat (engine.go signatureFunc): on(...) hashes only the listed labels;
// otherwise every label but __name__ and the ignoring(...) list.
storage::Labels Group(const storage::Labels& l, const promql::VectorMatching& m) {
  storage::LabelsBuilder b(l);
  if (m.on) {
    b.Keep(m.matching_labels);
  } else {
    b.Del(storage::kMetricNameLabel);
    for (const std::string& n : m.matching_labels) b.Del(n);
  }
  return b.Build();
}

// Group ids of the series of `m`, interning groups into `ids`.
std::vector<int> GroupIds(const promql::Matrix& m, const promql::VectorMatching& vm,
                          std::map<storage::Labels, int>* ids,
                          std::vector<storage::Labels>* by_id) {
  std::vector<int> out;
  out.reserve(m.size());
  for (const promql::MatrixSeries& s : m) {
    storage::Labels g = Group(s.metric, vm);
    auto [it, inserted] = ids->try_emplace(g, static_cast<int>(by_id->size()));
    if (inserted) by_id->push_back(std::move(g));
    out.push_back(it->second);
  }
  return out;
}

std::string Join(const std::vector<std::string>& v) { return absl::StrJoin(v, ", "); }

}  // namespace

std::string OperatorText(const promql::BinaryExpr& b) {
  std::string out = promql::BinaryOpString(b.op);
  if (b.return_bool) absl::StrAppend(&out, " bool");
  if (!b.matching || promql::IsSetOp(b.op) && b.matching->matching_labels.empty()) return out;
  const promql::VectorMatching& m = *b.matching;
  if (m.on || !m.matching_labels.empty()) {
    absl::StrAppend(&out, m.on ? " on (" : " ignoring (", Join(m.matching_labels), ")");
  }
  if (m.card == promql::Cardinality::kManyToOne) {
    absl::StrAppend(&out, " group_left (", Join(m.include), ")");
  } else if (m.card == promql::Cardinality::kOneToMany) {
    absl::StrAppend(&out, " group_right (", Join(m.include), ")");
  }
  return out;
}

std::optional<std::string> ExplainNoMatch(const promql::Matrix& lhs, const promql::Matrix& rhs,
                                          const promql::BinaryExpr& b, bool is_filter) {
  const promql::VectorMatching& m = *b.matching;
  std::map<storage::Labels, int> ids;
  std::vector<storage::Labels> by_id;
  std::vector<int> lid = GroupIds(lhs, m, &ids, &by_id), rid = GroupIds(rhs, m, &ids, &by_id);
  std::set<int> lset(lid.begin(), lid.end()), rset(rid.begin(), rid.end());
  std::vector<int> shared;
  for (int g : lset) {
    if (rset.count(g)) shared.push_back(g);
  }
  const std::set<std::string> ln = NamesOf(lhs), rn = NamesOf(rhs);
  const std::string sides =
      absl::StrCat("left side has ", FormatNameSet(ln), " but right side has ", FormatNameSet(rn));
  if (shared.empty()) {
    std::string on_what;
    if (m.on) {
      on_what = absl::StrCat("(", Join(m.matching_labels), ")");
    } else if (!m.matching_labels.empty()) {
      on_what = absl::StrCat("all labels ignoring (", Join(m.matching_labels), ")");
    } else {
      on_what = "all of their labels (no on/ignoring)";
    }
    std::string detail;
    std::set<std::string> only_l, only_r;
    for (const std::string& n : ln) {
      if (!rn.count(n)) only_l.insert(n);
    }
    for (const std::string& n : rn) {
      if (!ln.count(n)) only_r.insert(n);
    }
    if (m.on) {
      std::vector<std::string> missing;
      for (const std::string& n : m.matching_labels) {
        if (!ln.count(n)) missing.push_back(absl::StrCat(n, " is not on the left side"));
        if (!rn.count(n)) missing.push_back(absl::StrCat(n, " is not on the right side"));
      }
      if (!missing.empty()) detail = absl::StrCat(" (", Join(missing), ")");
    } else if (!only_l.empty() || !only_r.empty()) {
      std::vector<std::string> parts;
      if (!only_l.empty())
        parts.push_back(absl::StrCat("only the left has ", FormatNameSet(only_l)));
      if (!only_r.empty()) {
        parts.push_back(absl::StrCat("only the right has ", FormatNameSet(only_r)));
      }
      detail = absl::StrCat(" (", Join(parts), ")");
    }
    if (detail.empty() && !lhs.empty() && !rhs.empty()) {
      detail = absl::StrCat(" (e.g. left ", by_id[lid[0]].ToString(), ", right ",
                            by_id[rid[0]].ToString(), ")");
    }
    return absl::StrCat("`", OperatorText(b), "`: ", sides, "; no series match on ", on_what,
                        detail);
  }
  // Groups are shared: do they ever have samples at the same step?
  absl::flat_hash_set<std::pair<int64_t, int>> right_at;
  for (size_t i = 0; i < rhs.size(); ++i) {
    for (const storage::Sample& p : rhs[i].points) right_at.insert({p.t_ms, rid[i]});
  }
  for (size_t i = 0; i < lhs.size(); ++i) {
    for (const storage::Sample& p : lhs[i].points) {
      if (right_at.count({p.t_ms, lid[i]})) return std::nullopt;  // matched: a filter emptied it
    }
  }
  (void)is_filter;
  return absl::StrCat("`", OperatorText(b), "`: the sides share match groups (e.g. ",
                      by_id[shared[0]].ToString(),
                      ") but never have samples at the same evaluation time");
}

std::optional<DuplicateGroup> FindDuplicateGroup(const promql::Matrix& side,
                                                 const promql::Matrix& other,
                                                 const promql::VectorMatching& m, bool same_group) {
  std::map<storage::Labels, int> ids;
  std::vector<storage::Labels> by_id;
  std::vector<int> sid = GroupIds(side, m, &ids, &by_id), oid = GroupIds(other, m, &ids, &by_id);
  absl::flat_hash_set<std::pair<int64_t, int>> other_at;
  for (size_t i = 0; i < other.size(); ++i) {
    for (const storage::Sample& p : other[i].points) {
      other_at.insert({p.t_ms, same_group ? oid[i] : -1});
    }
  }
  // (step, group) -> series of `side` there.
  absl::flat_hash_map<std::pair<int64_t, int>, std::vector<int>> at;
  for (size_t i = 0; i < side.size(); ++i) {
    for (const storage::Sample& p : side[i].points) {
      if (other_at.count({p.t_ms, same_group ? sid[i] : -1})) {
        at[{p.t_ms, sid[i]}].push_back(static_cast<int>(i));
      }
    }
  }
  // Deterministic example: the smallest group (labels order), then the earliest step.
  const std::pair<int64_t, int>* pick = nullptr;
  int max_n = 0;
  for (const auto& [key, series] : at) {
    if (series.size() < 2) continue;
    max_n = std::max(max_n, static_cast<int>(series.size()));
    if (pick == nullptr) {
      pick = &key;
      continue;
    }
    int c = Compare(by_id[key.second], by_id[pick->second]);
    if (c < 0 || (c == 0 && key.first < pick->first)) pick = &key;
  }
  if (pick == nullptr) return std::nullopt;
  const std::vector<int>& series = at.at(*pick);
  std::optional<DuplicateGroup> best =
      DuplicateGroup{by_id[pick->second].ToString(), side[series[0]].metric.ToString(),
                     side[series[1]].metric.ToString(), max_n};
  return best;
}

}  // namespace tally::rules::lint
