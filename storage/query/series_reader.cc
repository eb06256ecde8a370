#include "storage/query/series_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/chunk/chunk.h"
#include "storage/kv/key_codec.h"
#include "storage/util/status_macros.h"

namespace tally::storage::query {
namespace {

int64_t SaturatingSub(int64_t a, int64_t b) {
  return a < kMinTime + b ? kMinTime : a - b;
}

// Decodes the samples of one chunk (bounds [cmint, cmaxt], ~n samples) within
// [mint, maxt] onto the end of *out.
absl::Status DecodeRange(absl::string_view bytes, int n, int64_t cmint, int64_t cmaxt,
                         int64_t mint, int64_t maxt, SeriesRef ref, std::vector<Sample>* out) {
  if (n <= 0) return absl::OkStatus();
  ChunkIterator it(bytes);
  const size_t base = out->size();
  out->resize(base + n);
  size_t got = 0;
  if (cmint >= mint) {
    got = it.NextBatch(absl::MakeSpan(out->data() + base, n));
  } else if (it.Seek(mint)) {
    (*out)[base] = it.At();
    got = 1 + it.NextBatch(absl::MakeSpan(out->data() + base + 1, n - 1));
  }
  if (!it.status().ok()) {
    out->resize(base);
    return absl::DataLossError(absl::StrCat("corrupt chunk of series ", ref, " starting at ",
                                            cmint, ": ", it.status().message()));
  }
  out->resize(base + got);
  if (cmaxt > maxt) {
    auto end = std::upper_bound(out->begin() + base, out->end(), maxt,
                                [](int64_t x, const Sample& s) { return x < s.t_ms; });
    out->erase(end, out->end());
  }
  return absl::OkStatus();
}

bool Overlaps(int64_t a_min, int64_t a_max, int64_t mint, int64_t maxt) {
  return a_min <= maxt && a_max >= mint;
}

// Whether a chunk overlapping [mint, maxt] really has a sample inside it.
bool ChunkHasSample(absl::string_view bytes, int64_t cmint, int64_t cmaxt, int64_t mint,
                    int64_t maxt) {
  if ((cmint >= mint && cmint <= maxt) || (cmaxt >= mint && cmaxt <= maxt)) return true;
  ChunkIterator it(bytes);
  return it.Seek(mint) && it.t() <= maxt;
}

// Calls fn(bytes, num_samples, chunk_mint, chunk_maxt) for each persisted chunk of `ref` that
// overlaps [mint, maxt], in time order, until fn returns false or an error. A chunk starts at
// most max_chunk_span_ms before its first overlapping sample, which bounds the seek.
template <typename Fn>
absl::Status ForEachPersistedChunk(const ReadContext& ctx, SeriesRef ref, int64_t mint,
                                   int64_t maxt, Fn fn) {
  auto it = ctx.store->NewIterator(kv::Cf::kChunks, kv::SeriesKey(ref + 1));
  for (it->Seek(kv::ChunkSeekKey(ref, SaturatingSub(mint, ctx.max_chunk_span_ms)));
       it->Valid(); it->Next()) {
    kv::ChunkRecord c;
    if (!kv::DecodeChunkRecord(it->key(), it->value(), &c)) {
      return absl::DataLossError(absl::StrCat("corrupt chunk record of series ", ref));
    }
    if (c.mint_ms > maxt) break;
    if (c.maxt_ms < mint) continue;
    ASSIGN_OR_RETURN(bool more, fn(c.bytes, c.num_samples, c.mint_ms, c.maxt_ms));
    if (!more) return absl::OkStatus();
  }
  return it->status();
}

}  // namespace

absl::Status ReadSeriesSamples(const ReadContext& ctx, SeriesRef ref, uint64_t visible,
                               int64_t mint_ms, int64_t maxt_ms, std::vector<Sample>* out) {
  if (mint_ms > maxt_ms) return absl::OkStatus();
  const size_t start = out->size();
  absl::Status head_status;
  ctx.head->WithSeries(ref, [&](const head::MemSeries* s) {
    if (s == nullptr) return;
    absl::MutexLock l(&s->mu);
    // Isolation: hide the samples of commits this reader must not see (head and persisted).
    maxt_ms = std::min(maxt_ms, s->VisibleMaxT(visible));
    if (mint_ms > maxt_ms) return;
    if (s->sealing) {
      for (const head::SealingChunk& c : *s->sealing) {
        if (!Overlaps(c.mint, c.maxt, mint_ms, maxt_ms)) continue;
        head_status.Update(
            DecodeRange(c.bytes, c.num_samples, c.mint, c.maxt, mint_ms, maxt_ms, ref, out));
      }
    }
    if (s->open && Overlaps(s->open->mint, s->open->maxt, mint_ms, maxt_ms)) {
      const XorChunk& c = s->open->chunk;
      head_status.Update(DecodeRange(c.Bytes(), c.num_samples(), s->open->mint, s->open->maxt,
                                     mint_ms, maxt_ms, ref, out));
    }
    if (s->ooo) {
      for (const Sample& x : s->ooo->samples) {
        if (x.t_ms >= mint_ms && x.t_ms <= maxt_ms) out->push_back(x);
      }
    }
  });
  RETURN_IF_ERROR(head_status);
  if (mint_ms > maxt_ms) return absl::OkStatus();
  const size_t mid = out->size();

  RETURN_IF_ERROR(ForEachPersistedChunk(
      ctx, ref, mint_ms, maxt_ms,
      [&](absl::string_view bytes, int n, int64_t cmint, int64_t cmaxt) -> absl::StatusOr<bool> {
        RETURN_IF_ERROR(DecodeRange(bytes, n, cmint, cmaxt, mint_ms, maxt_ms, ref, out));
        return true;
      }));

  // Persisted data is older than the head's: put it first.
  if (mid > start && mid < out->size()) {
    std::rotate(out->begin() + start, out->begin() + mid, out->end());
  }
  bool sorted = true;
  for (size_t i = start + 1; i < out->size(); ++i) {
    if ((*out)[i].t_ms <= (*out)[i - 1].t_ms) {
      sorted = false;
      break;
    }
  }
  if (!sorted) {
    // Out-of-order chunks overlap in-order ones, or a chunk was sealed while we read.
    auto by_t = [](const Sample& a, const Sample& b) { return a.t_ms < b.t_ms; };
    std::stable_sort(out->begin() + start, out->end(), by_t);
    auto end = std::unique(out->begin() + start, out->end(),
                           [](const Sample& a, const Sample& b) { return a.t_ms == b.t_ms; });
    out->erase(end, out->end());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SeriesHasSamples(const ReadContext& ctx, SeriesRef ref, uint64_t visible,
                                      int64_t mint_ms, int64_t maxt_ms) {
  if (mint_ms > maxt_ms) return false;
  bool found = false;
  ctx.head->WithSeries(ref, [&](const head::MemSeries* s) {
    if (s == nullptr) return;
    absl::MutexLock l(&s->mu);
    maxt_ms = std::min(maxt_ms, s->VisibleMaxT(visible));  // isolation, as above
    if (mint_ms > maxt_ms) return;
    if (s->open && Overlaps(s->open->mint, s->open->maxt, mint_ms, maxt_ms) &&
        ChunkHasSample(s->open->chunk.Bytes(), s->open->mint, s->open->maxt, mint_ms, maxt_ms)) {
      found = true;
      return;
    }
    if (s->sealing) {
      for (const head::SealingChunk& c : *s->sealing) {
        if (Overlaps(c.mint, c.maxt, mint_ms, maxt_ms) &&
            ChunkHasSample(c.bytes, c.mint, c.maxt, mint_ms, maxt_ms)) {
          found = true;
          return;
        }
      }
    }
    if (s->ooo) {
      for (const Sample& x : s->ooo->samples) {
        if (x.t_ms >= mint_ms && x.t_ms <= maxt_ms) {
          found = true;
          return;
        }
      }
    }
  });
  if (found) return true;
  if (mint_ms > maxt_ms) return false;
  RETURN_IF_ERROR(ForEachPersistedChunk(
      ctx, ref, mint_ms, maxt_ms,
      [&](absl::string_view bytes, int, int64_t cmint, int64_t cmaxt) -> absl::StatusOr<bool> {
        found = ChunkHasSample(bytes, cmint, cmaxt, mint_ms, maxt_ms);
        return !found;
      }));
  return found;
}

}  // namespace tally::storage::query
