// Postings: sorted, duplicate-free lists of SeriesRef and their set algebra. Plain values;
// all functions are pure and allocate only their result.
#pragma once

#include <vector>

#include "absl/types/span.h"
#include "storage/model/sample.h"

namespace tally::storage::index {

using Postings = std::vector<SeriesRef>;

// REQUIRES (all): inputs sorted ascending without duplicates; results are too.
Postings Intersect(absl::Span<const SeriesRef> a, absl::Span<const SeriesRef> b);
Postings Merge(absl::Span<const SeriesRef> a, absl::Span<const SeriesRef> b);
// Merges any number of lists (k-way via pairwise halving).
Postings MergeAll(std::vector<Postings> lists);
// Elements of a that are not in b.
Postings Without(absl::Span<const SeriesRef> a, absl::Span<const SeriesRef> b);

}  // namespace tally::storage::index
