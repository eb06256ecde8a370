// DBImpl::LoadSeries: on open, every persisted series enters the head (with its persisted
// state and chunk bounds) and the in-memory postings. This is most of a cold start's work
// (docs/performance.md, "Cold start"), so it is split in two parallel pairs of tasks:
//
//   1. scan the series family (building each MemSeries, filed under Head::HashEncoded)
//      || scan the state family;
//   2. attach the states and insert the series into the head's stripes
//      || build the postings from the encoded labels.
//
// Neither step decodes a label set into a Labels: the head keeps the encoding and the
// postings take views of it.
#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "storage/db_impl.h"
#include "storage/kv/key_codec.h"
#include "storage/util/status_macros.h"

namespace tally::storage {
namespace {

using kv::Cf;

struct LoadedState {
  SeriesRef ref;
  kv::SeriesState state;
};

// Series records in key (= ref) order. Each MemSeries is owned by `owned` until the head
// takes it; `series` keeps the raw pointers for the postings task.
struct LoadedSeries {
  std::vector<std::unique_ptr<head::MemSeries>> owned;
  std::vector<head::MemSeries*> series;
};

// Sizes the buffers by RocksDB's key count estimate (capped, as a bad estimate must not
// cost memory): growing them by doubling copied and touched each twice.
size_t Estimate(kv::RocksStore* store, Cf cf) {
  return static_cast<size_t>(std::min<uint64_t>(store->EstimateNumKeys(cf), uint64_t{1} << 22));
}

absl::Status ScanSeries(kv::RocksStore* store, LoadedSeries* out) {
  const size_t n = Estimate(store, Cf::kSeries);
  out->owned.reserve(n);
  out->series.reserve(n);
  auto it = store->NewScanIterator(Cf::kSeries);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    SeriesRef ref;
    if (!kv::DecodeSeriesKey(it->key(), &ref) ||
        !kv::ForEachEncodedLabel(it->value(), [](absl::string_view, absl::string_view) {})) {
      return absl::DataLossError("corrupt data dir: malformed series record");
    }
    out->owned.push_back(std::make_unique<head::MemSeries>(
        ref, head::Head::HashEncoded(it->value()), std::string(it->value())));
    out->series.push_back(out->owned.back().get());
  }
  return it->status();
}

absl::Status ScanStates(kv::RocksStore* store, std::vector<LoadedState>* out) {
  out->reserve(Estimate(store, Cf::kState));
  auto it = store->NewScanIterator(Cf::kState);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    LoadedState s;
    if (!kv::DecodeSeriesKey(it->key(), &s.ref) || !kv::DecodeSeriesState(it->value(), &s.state)) {
      return absl::DataLossError("corrupt data dir: malformed series state record");
    }
    out->push_back(s);
  }
  return it->status();
}

void BuildPostings(const std::vector<head::MemSeries*>& series, index::MemPostings* postings) {
  index::MemPostings::Loader loader(postings);
  for (const head::MemSeries* s : series) {
    // The encoding was validated by the scan.
    kv::ForEachEncodedLabel(s->labels_enc, [&](absl::string_view n, absl::string_view v) {
      loader.AddLabel(s->ref, n, v);
    });
    loader.AddSeries(s->ref);
  }
}

}  // namespace

absl::Status DBImpl::LoadSeries() {
  LoadedSeries loaded;
  std::vector<LoadedState> states;
  absl::Status series_st, states_st;
  {
    std::thread scan_states([&] { states_st = ScanStates(store_.get(), &states); });
    series_st = ScanSeries(store_.get(), &loaded);
    scan_states.join();
  }
  RETURN_IF_ERROR(series_st);
  RETURN_IF_ERROR(states_st);

  std::thread postings([&] { BuildPostings(loaded.series, &postings_); });
  // Both lists are sorted by ref: attach each state to its series (a state without a
  // series record is skipped, as a series without a state keeps the defaults), then hand
  // the series to the head. The series are not visible to anyone yet, so no locks.
  bool bounds_missing = false;
  int64_t min_t = kMaxTime, max_t = kMinTime;
  head_.Reserve(loaded.owned.size());
  size_t j = 0;
  for (std::unique_ptr<head::MemSeries>& owned : loaded.owned) {
    head::MemSeries* s = owned.get();
    while (j < states.size() && states[j].ref < s->ref) ++j;
    if (j < states.size() && states[j].ref == s->ref) {
      const kv::SeriesState& state = states[j].state;
      s->last_t = s->persisted_t = state.last_t;
      s->last_v_bits = s->persisted_v_bits = state.last_v_bits;
      s->ooo_persisted_seq = state.ooo_seq;
      s->ooo_persisted_index = state.ooo_index;
      s->disk_mint = state.disk_mint;
      s->disk_maxt = state.disk_maxt;
      bounds_missing |= !state.has_bounds;
      if (state.last_t != kMinTime) max_t = std::max(max_t, state.last_t);
      min_t = std::min(min_t, state.disk_mint);
    }
    head_.InsertLoaded(std::move(owned));
  }
  postings.join();
  if (max_t != kMinTime) NoteTime(max_t);

  if (bounds_missing) {
    // Format 1 kept no bounds: one scan of the chunks (the migration persists them).
    RETURN_IF_ERROR(ComputeDiskBoundsByScan());
    RecomputeMinTime();
  } else {
    // The head holds no samples yet, so the oldest data is the oldest persisted chunk.
    min_time_.store(min_t);
  }
  return LoadDiskTotals();
}

}  // namespace tally::storage
