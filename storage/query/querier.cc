#include "storage/query/querier.h"

#include <algorithm>

#include <set>
#include "storage/index/postings_for_matchers.h"
#include "storage/kv/key_codec.h"
#include "storage/query/series_reader.h"
#include "storage/util/status_macros.h"

namespace tally::storage::query {
namespace {

bool LabelsOf(const head::Head& head, SeriesRef ref, Labels* out) {
  bool ok = false;
  head.WithSeries(ref, [&](const head::MemSeries* s) {
    if (s != nullptr) ok = kv::DecodeLabels(s->labels_enc, out);
  });
  return ok;
}

}  // namespace

absl::Status StoredSeries::Samples(int64_t mint_ms, int64_t maxt_ms,
                                   std::vector<Sample>* out) const {
  return ReadSeriesSamples(*ctx_, ref_, visible_, mint_ms, maxt_ms, out);
}

HeadQuerier::HeadQuerier(DBImpl* db, int64_t mint_ms, int64_t maxt_ms)
    : db_(db), mint_(mint_ms), maxt_(maxt_ms), visible_(db->OpenRead()) {}

HeadQuerier::~HeadQuerier() { db_->CloseRead(visible_); }

absl::StatusOr<std::vector<std::unique_ptr<Series>>> HeadQuerier::Select(
    const Matchers& matchers) {
  RETURN_IF_ERROR(ValidateSelector(matchers));
  const ReadContext& ctx = db_->read_context();
  std::vector<std::unique_ptr<Series>> out;
  if (mint_ > maxt_) return out;
  ASSIGN_OR_RETURN(index::Postings refs, index::PostingsForMatchers(*ctx.postings, matchers));
  std::vector<std::unique_ptr<StoredSeries>> found;
  ChunkCursor cursor(&ctx);
  for (SeriesRef ref : refs) {
    ASSIGN_OR_RETURN(bool has, SeriesHasSamples(ctx, ref, visible_, mint_, maxt_, &cursor));
    if (!has) continue;
    Labels lset;
    if (!LabelsOf(*ctx.head, ref, &lset)) continue;  // deleted by retention meanwhile
    found.push_back(std::make_unique<StoredSeries>(&ctx, ref, visible_, std::move(lset)));
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return Compare(a->labels(), b->labels()) < 0;
  });
  out.reserve(found.size());
  for (auto& s : found) out.push_back(std::move(s));
  return out;
}

bool HeadQuerier::CoversAllData() const {
  return mint_ <= db_->min_time() && maxt_ >= db_->max_time();
}

absl::StatusOr<std::vector<Labels>> HeadQuerier::SeriesLabels(const Matchers& matchers) {
  const ReadContext& ctx = db_->read_context();
  std::vector<Labels> out;
  if (mint_ > maxt_) return out;
  ASSIGN_OR_RETURN(index::Postings refs, index::PostingsForMatchers(*ctx.postings, matchers));
  ChunkCursor cursor(&ctx);
  for (SeriesRef ref : refs) {
    ASSIGN_OR_RETURN(bool has, SeriesHasSamples(ctx, ref, visible_, mint_, maxt_, &cursor));
    if (!has) continue;
    Labels lset;
    if (LabelsOf(*ctx.head, ref, &lset)) out.push_back(std::move(lset));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> HeadQuerier::LabelNames(const Matchers& matchers) {
  if (matchers.empty() && CoversAllData()) {
    return db_->read_context().postings->LabelNames();
  }
  ASSIGN_OR_RETURN(std::vector<Labels> sets, SeriesLabels(matchers));
  std::set<std::string> names;
  for (const Labels& l : sets) {
    for (const auto& x : l) names.emplace(x.name);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

absl::StatusOr<std::vector<std::string>> HeadQuerier::LabelValues(absl::string_view name,
                                                                  const Matchers& matchers) {
  if (name.empty()) return absl::InvalidArgumentError("label name must not be empty");
  if (matchers.empty() && CoversAllData()) {
    return db_->read_context().postings->LabelValues(name);
  }
  // Only series carrying the label can contribute a value.
  Matchers ms = matchers;
  ASSIGN_OR_RETURN(Matcher has, Matcher::Make(MatchType::kNotEqual, name, ""));
  ms.push_back(std::move(has));
  ASSIGN_OR_RETURN(std::vector<Labels> sets, SeriesLabels(ms));
  std::set<std::string> values;
  for (const Labels& l : sets) values.insert(std::string(l.Get(name)));
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace tally::storage::query
