// Resolves label matchers to postings over the persisted inverted index (the "postings" and
// "series" column families). Prometheus semantics (tsdb/querier.go PostingsForMatchers):
// a matcher that matches "" also selects series lacking the label, so such matchers are
// applied by subtracting the series whose value does NOT match; `=` and `=~` with literal
// alternatives (Matcher::SetMatches) are direct lookups; other regexes scan the label's
// distinct values (skipping from value to value, not posting by posting).
//
// Thread-safety: the functions are thread-safe; they read a live store (no snapshot).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/index/postings.h"
#include "storage/kv/rocksdb_store.h"
#include "storage/model/matcher.h"

namespace tally::storage::index {

// Series matching all matchers. With no matcher (or only empty-matching ones) starts from
// all series. Does not validate the selector (callers do).
absl::StatusOr<Postings> PostingsForMatchers(kv::RocksStore* store, const Matchers& matchers);

// All series refs (keys of the series column family).
absl::StatusOr<Postings> AllPostings(kv::RocksStore* store);
// Postings of name=value exactly.
absl::StatusOr<Postings> PostingsFor(kv::RocksStore* store, absl::string_view name,
                                     absl::string_view value);
// Distinct values of `name`, sorted (skip-scan over the postings keys).
absl::StatusOr<std::vector<std::string>> LabelValuesFor(kv::RocksStore* store,
                                                        absl::string_view name);
// Distinct label names, sorted.
absl::StatusOr<std::vector<std::string>> AllLabelNames(kv::RocksStore* store);

}  // namespace tally::storage::index
