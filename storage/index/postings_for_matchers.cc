#include "storage/index/postings_for_matchers.h"

#include <algorithm>

#include "storage/kv/key_codec.h"
#include "storage/util/coding.h"
#include "storage/util/status_macros.h"

namespace tally::storage::index {
namespace {

using kv::Cf;

// Postings of `name` over the values for which `pred(value)` holds.
template <typename Pred>
absl::StatusOr<Postings> PostingsWhere(kv::RocksStore* store, absl::string_view name,
                                       Pred pred) {
  ASSIGN_OR_RETURN(std::vector<std::string> values, LabelValuesFor(store, name));
  std::vector<Postings> lists;
  for (const std::string& v : values) {
    if (!pred(v)) continue;
    ASSIGN_OR_RETURN(Postings p, PostingsFor(store, name, v));
    lists.push_back(std::move(p));
  }
  return MergeAll(std::move(lists));
}

// Series carrying `name` with a value `m` matches. REQUIRES: !m.MatchesEmpty() is not
// required; values are never empty in the index.
absl::StatusOr<Postings> PostingsForMatcher(kv::RocksStore* store, const Matcher& m) {
  if (m.type() == MatchType::kEqual) return PostingsFor(store, m.name(), m.value());
  if (m.type() == MatchType::kRegexMatch && !m.SetMatches().empty()) {
    std::vector<Postings> lists;
    std::vector<std::string> vals = m.SetMatches();
    std::sort(vals.begin(), vals.end());
    vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
    for (const std::string& v : vals) {
      if (v.empty()) continue;
      ASSIGN_OR_RETURN(Postings p, PostingsFor(store, m.name(), v));
      lists.push_back(std::move(p));
    }
    return MergeAll(std::move(lists));
  }
  return PostingsWhere(store, m.name(), [&](absl::string_view v) { return m.Matches(v); });
}

// Series carrying `name` with a value `m` does NOT match.
absl::StatusOr<Postings> PostingsNotMatching(kv::RocksStore* store, const Matcher& m) {
  if (m.type() == MatchType::kNotEqual) return PostingsFor(store, m.name(), m.value());
  if (m.type() == MatchType::kRegexNoMatch && !m.SetMatches().empty()) {
    ASSIGN_OR_RETURN(Matcher inv, Matcher::Make(MatchType::kRegexMatch, m.name(), m.value()));
    return PostingsForMatcher(store, inv);
  }
  return PostingsWhere(store, m.name(), [&](absl::string_view v) { return !m.Matches(v); });
}

}  // namespace

absl::StatusOr<Postings> AllPostings(kv::RocksStore* store) {
  Postings out;
  auto it = store->NewIterator(Cf::kSeries);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    SeriesRef ref;
    if (!kv::DecodeSeriesKey(it->key(), &ref)) {
      return absl::DataLossError("corrupt data dir: malformed series key");
    }
    out.push_back(ref);
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<Postings> PostingsFor(kv::RocksStore* store, absl::string_view name,
                                     absl::string_view value) {
  const std::string prefix = kv::PostingsPrefix(name, value);
  std::string upper = prefix;
  upper.back() = '\x01';
  Postings out;
  auto it = store->NewIterator(Cf::kPostings, upper);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    absl::string_view k = it->key();
    if (k.size() != prefix.size() + 8) {
      return absl::DataLossError("corrupt data dir: malformed postings key");
    }
    out.push_back(DecodeFixed64BE(k.data() + prefix.size()));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<std::string>> LabelValuesFor(kv::RocksStore* store,
                                                        absl::string_view name) {
  const std::string prefix = kv::PostingsNamePrefix(name);
  std::string upper = prefix;
  upper.back() = '\x01';
  std::vector<std::string> out;
  auto it = store->NewIterator(Cf::kPostings, upper);
  std::string n, v, skip;
  SeriesRef ref;
  for (it->Seek(prefix); it->Valid();) {
    if (!kv::DecodePostingsKey(it->key(), &n, &v, &ref)) {
      return absl::DataLossError("corrupt data dir: malformed postings key");
    }
    out.push_back(v);
    // Skip the remaining postings of this value: its keys continue with 0x00, so
    // prefix|esc(v)|0x01 sorts after all of them and before the next value.
    skip.assign(it->key().data(), it->key().size() - 8);
    skip.back() = '\x01';
    it->Seek(skip);
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<std::vector<std::string>> AllLabelNames(kv::RocksStore* store) {
  std::vector<std::string> out;
  auto it = store->NewIterator(Cf::kPostings);
  std::string n, v, skip;
  SeriesRef ref;
  for (it->SeekToFirst(); it->Valid();) {
    if (!kv::DecodePostingsKey(it->key(), &n, &v, &ref)) {
      return absl::DataLossError("corrupt data dir: malformed postings key");
    }
    out.push_back(n);
    skip = n;
    skip.push_back('\x01');
    it->Seek(skip);
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::StatusOr<Postings> PostingsForMatchers(kv::RocksStore* store, const Matchers& matchers) {
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
    ASSIGN_OR_RETURN(Postings p, PostingsForMatcher(store, m));
    if (p.empty()) return Postings{};
    its.push_back(std::move(p));
  }
  Postings result;
  if (its.empty()) {
    ASSIGN_OR_RETURN(result, AllPostings(store));
  } else {
    std::sort(its.begin(), its.end(),
              [](const Postings& a, const Postings& b) { return a.size() < b.size(); });
    result = std::move(its[0]);
    for (size_t i = 1; i < its.size() && !result.empty(); ++i) result = Intersect(result, its[i]);
  }
  for (const Matcher* m : nots) {
    if (result.empty()) break;
    ASSIGN_OR_RETURN(Postings sub, PostingsNotMatching(store, *m));
    result = Without(result, sub);
  }
  return result;
}

}  // namespace tally::storage::index
