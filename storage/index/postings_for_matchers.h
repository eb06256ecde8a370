// Resolves label matchers to postings over the in-memory inverted index (MemPostings).
// Prometheus semantics (tsdb/querier.go PostingsForMatchers): a matcher that matches ""
// also selects series lacking the label, so such matchers are applied by subtracting the
// series whose value does NOT match; `=` and `=~` with literal alternatives
// (Matcher::SetMatches) are direct lookups; other regexes run over the label's distinct
// values.
//
// Thread-safety: thread-safe; reads the live index (series added meanwhile may or may not
// be seen, which the querier's isolation bound makes harmless).
#pragma once

#include "absl/status/statusor.h"
#include "storage/index/mem_postings.h"
#include "storage/index/postings.h"
#include "storage/model/matcher.h"

namespace tally::storage::index {

// Series matching all matchers. With no matcher (or only empty-matching ones) starts from
// all series. Does not validate the selector (callers do).
absl::StatusOr<Postings> PostingsForMatchers(const MemPostings& index, const Matchers& matchers);

}  // namespace tally::storage::index
