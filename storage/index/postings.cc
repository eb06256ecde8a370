#include "storage/index/postings.h"

#include <algorithm>
#include <iterator>

namespace tally::storage::index {

Postings Intersect(absl::Span<const SeriesRef> a, absl::Span<const SeriesRef> b) {
  Postings out;
  out.reserve(std::min(a.size(), b.size()));
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings Merge(absl::Span<const SeriesRef> a, absl::Span<const SeriesRef> b) {
  Postings out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings MergeAll(std::vector<Postings> lists) {
  if (lists.empty()) return {};
  while (lists.size() > 1) {
    std::vector<Postings> next;
    next.reserve((lists.size() + 1) / 2);
    for (size_t i = 0; i + 1 < lists.size(); i += 2) next.push_back(Merge(lists[i], lists[i + 1]));
    if (lists.size() % 2 == 1) next.push_back(std::move(lists.back()));
    lists = std::move(next);
  }
  return std::move(lists[0]);
}

Postings Without(absl::Span<const SeriesRef> a, absl::Span<const SeriesRef> b) {
  Postings out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace tally::storage::index
