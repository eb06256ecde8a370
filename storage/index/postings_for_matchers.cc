#include "storage/index/postings_for_matchers.h"

#include <algorithm>
#include <string>
#include <vector>

namespace tally::storage::index {
namespace {

// Series carrying `name` with a value `m` matches (values are never empty in the index).
Postings PostingsForMatcher(const MemPostings& index, const Matcher& m) {
  if (m.type() == MatchType::kEqual) return index.Get(m.name(), m.value());
  if (m.type() == MatchType::kRegexMatch && !m.SetMatches().empty()) {
    std::vector<Postings> lists;
    std::vector<std::string> vals = m.SetMatches();
    std::sort(vals.begin(), vals.end());
    vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
    for (const std::string& v : vals) {
      if (!v.empty()) lists.push_back(index.Get(m.name(), v));
    }
    return MergeAll(std::move(lists));
  }
  return index.Where(m.name(), [&](absl::string_view v) { return m.Matches(v); });
}

// Series carrying `name` with a value `m` does NOT match.
absl::StatusOr<Postings> PostingsNotMatching(const MemPostings& index, const Matcher& m) {
  if (m.type() == MatchType::kNotEqual) return index.Get(m.name(), m.value());
  if (m.type() == MatchType::kRegexNoMatch && !m.SetMatches().empty()) {
    absl::StatusOr<Matcher> inv = Matcher::Make(MatchType::kRegexMatch, m.name(), m.value());
    if (!inv.ok()) return inv.status();
    return PostingsForMatcher(index, *inv);
  }
  return index.Where(m.name(), [&](absl::string_view v) { return !m.Matches(v); });
}

}  // namespace

absl::StatusOr<Postings> PostingsForMatchers(const MemPostings& index, const Matchers& matchers) {
  // Prometheus compat: tsdb/querier.go PostingsForMatchers — intersect the matchers that do
  // not match "", then subtract, for each matcher that does, the series whose value of that
  // label fails it (series lacking the label count as having "").
  std::vector<Postings> its;
  std::vector<const Matcher*> nots;
  for (const Matcher& m : matchers) {
    if (m.MatchesEmpty()) {
      nots.push_back(&m);
      continue;
    }
    Postings p = PostingsForMatcher(index, m);
    if (p.empty()) return Postings{};
    its.push_back(std::move(p));
  }
  Postings result;
  if (its.empty()) {
    result = index.All();
  } else {
    std::sort(its.begin(), its.end(),
              [](const Postings& a, const Postings& b) { return a.size() < b.size(); });
    result = std::move(its[0]);
    for (size_t i = 1; i < its.size() && !result.empty(); ++i) result = Intersect(result, its[i]);
  }
  for (const Matcher* m : nots) {
    if (result.empty()) break;
    absl::StatusOr<Postings> sub = PostingsNotMatching(index, *m);
    if (!sub.ok()) return sub.status();
    result = Without(result, *sub);
  }
  return result;
}

}  // namespace tally::storage::index
