// HeadQuerier: the Querier behind DB::NewQuerier. Select resolves matchers to postings in
// the persisted index, keeps the series with at least one sample in [mint, maxt], sorts them
// by labels and returns StoredSeries handles whose Samples() merge head and persisted
// chunks (series_reader.h). Label names/values are answered from the index directly when
// no matcher is given and the range covers all data, and from the selected series
// otherwise.
//
// Isolation: the Querier sees exactly the commits published before it was created
// (DBImpl::OpenRead), for as long as it lives, however many commits land meanwhile; each
// commit whole or not at all (docs/storage.md). Its Series carry that bound.
//
// Thread-safety: one thread per Querier; Series::Samples() of its results may run on many
// threads at once. Results must not outlive the DB.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/db.h"
#include "storage/db_impl.h"

namespace tally::storage::query {

class StoredSeries : public Series {
 public:
  StoredSeries(const ReadContext* ctx, SeriesRef ref, uint64_t visible, Labels labels)
      : ctx_(ctx), ref_(ref), visible_(visible), labels_(std::move(labels)) {}
  const Labels& labels() const override { return labels_; }
  absl::Status Samples(int64_t mint_ms, int64_t maxt_ms,
                       std::vector<Sample>* out) const override;
  SeriesRef ref() const { return ref_; }

 private:
  const ReadContext* ctx_;
  SeriesRef ref_;
  uint64_t visible_;  // the Querier's commit bound
  Labels labels_;
};

class HeadQuerier : public Querier {
 public:
  HeadQuerier(DBImpl* db, int64_t mint_ms, int64_t maxt_ms);
  ~HeadQuerier() override;
  HeadQuerier(const HeadQuerier&) = delete;
  HeadQuerier& operator=(const HeadQuerier&) = delete;

  absl::StatusOr<std::vector<std::unique_ptr<Series>>> Select(const Matchers& matchers) override;
  absl::StatusOr<std::vector<std::string>> LabelNames(const Matchers& matchers) override;
  absl::StatusOr<std::vector<std::string>> LabelValues(absl::string_view name,
                                                       const Matchers& matchers) override;

 private:
  // Labels of the series matching `matchers` (all series when empty) with data in range.
  absl::StatusOr<std::vector<Labels>> SeriesLabels(const Matchers& matchers);
  bool CoversAllData() const;

  DBImpl* db_;
  int64_t mint_;
  int64_t maxt_;
  uint64_t visible_;  // commit bound registered with db_ for this Querier's life
};

}  // namespace tally::storage::query
