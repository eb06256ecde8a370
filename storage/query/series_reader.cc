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

bool HasPrefix(absl::string_view key, absl::string_view prefix) {
  return key.size() >= prefix.size() && key.substr(0, prefix.size()) == prefix;
}

// Calls fn(bytes, num_samples, chunk_mint, chunk_maxt) for each persisted chunk of `ref` that
// overlaps [mint, maxt], in time order, until fn returns false or an error. A chunk starts at
// most max_chunk_span_ms before its first overlapping sample, and within the series' disk
// bounds; chunks are keyed by the time bucket of their start, so this is one seek per
// bucket in that window (buckets are a day or less; a query range usually spans one or two).
template <typename Fn>
absl::Status ForEachPersistedChunk(const ReadContext& ctx, kv::KvIterator* it, SeriesRef ref,
                                   int64_t mint, int64_t maxt, int64_t disk_mint,
                                   int64_t disk_maxt, Fn fn) {
  const int64_t lo = std::max(SaturatingSub(mint, ctx.max_chunk_span_ms), disk_mint);
  const int64_t hi = std::min(maxt, disk_maxt);  // the last chunk start that can matter
  if (lo > hi) return absl::OkStatus();
  for (int64_t b = kv::BucketStart(lo, ctx.bucket_ms); b <= hi;) {
    const std::string prefix = kv::BucketSeriesPrefix(b, ref);
    for (it->Seek(kv::ChunkSeekKey(b, ref, std::max(lo, b))); it->Valid(); it->Next()) {
      if (!HasPrefix(it->key(), prefix)) break;
      kv::ChunkRecord c;
      if (!kv::DecodeChunkRecord(it->key(), it->value(), &c)) {
        return absl::DataLossError(absl::StrCat("corrupt chunk record of series ", ref));
      }
      if (c.mint_ms > maxt) return absl::OkStatus();
      if (c.maxt_ms < mint) continue;
      ASSIGN_OR_RETURN(bool more, fn(c.bytes, c.num_samples, c.mint_ms, c.maxt_ms));
      if (!more) return absl::OkStatus();
    }
    RETURN_IF_ERROR(it->status());
    if (__builtin_add_overflow(b, ctx.bucket_ms, &b)) break;
  }
  return absl::OkStatus();
}

}  // namespace

kv::KvIterator* ChunkCursor::Get() {
  const uint64_t now = ctx_->chunk_writes->load(std::memory_order_acquire);
  if (it_ == nullptr || now != epoch_) {
    epoch_ = now;  // read before the iterator is created: it sees every write counted
    it_ = ctx_->store->NewPrefixIterator(kv::Cf::kChunks);
  }
  return it_.get();
}

absl::Status ReadSeriesSamples(const ReadContext& ctx, SeriesRef ref, uint64_t visible,
                               int64_t mint_ms, int64_t maxt_ms, std::vector<Sample>* out) {
  if (mint_ms > maxt_ms) return absl::OkStatus();
  const size_t start = out->size();
  absl::Status head_status;
  int64_t disk_mint = kMaxTime, disk_maxt = kMinTime;
  ctx.head->WithSeries(ref, [&](const head::MemSeries* s) {
    if (s == nullptr) return;
    absl::MutexLock l(&s->mu);
    // Isolation: hide the samples of commits this reader must not see (head and persisted).
    maxt_ms = std::min(maxt_ms, s->VisibleMaxT(visible));
    if (mint_ms > maxt_ms) return;
    disk_mint = s->disk_mint;
    disk_maxt = s->disk_maxt;
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

  // Chunks written after the head read above were in the head then (already read), so a
  // range outside the bounds needs no RocksDB read.
  if (Overlaps(disk_mint, disk_maxt, mint_ms, maxt_ms)) {
    auto it = ctx.store->NewPrefixIterator(kv::Cf::kChunks);
    RETURN_IF_ERROR(ForEachPersistedChunk(
        ctx, it.get(), ref, mint_ms, maxt_ms, disk_mint, disk_maxt,
        [&](absl::string_view bytes, int n, int64_t cmint,
            int64_t cmaxt) -> absl::StatusOr<bool> {
          RETURN_IF_ERROR(DecodeRange(bytes, n, cmint, cmaxt, mint_ms, maxt_ms, ref, out));
          return true;
        }));
  }

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
                                      int64_t mint_ms, int64_t maxt_ms, ChunkCursor* cursor) {
  if (mint_ms > maxt_ms) return false;
  bool found = false;
  int64_t disk_mint = kMaxTime, disk_maxt = kMinTime;
  ctx.head->WithSeries(ref, [&](const head::MemSeries* s) {
    if (s == nullptr) return;
    absl::MutexLock l(&s->mu);
    maxt_ms = std::min(maxt_ms, s->VisibleMaxT(visible));  // isolation, as above
    if (mint_ms > maxt_ms) return;
    disk_mint = s->disk_mint;
    disk_maxt = s->disk_maxt;
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
  // The bounds are sample timestamps (oldest chunk start, newest chunk end): no I/O when
  // the range misses them or contains one of them.
  if (!Overlaps(disk_mint, disk_maxt, mint_ms, maxt_ms)) return false;
  if ((disk_mint >= mint_ms && disk_mint <= maxt_ms) ||
      (disk_maxt >= mint_ms && disk_maxt <= maxt_ms)) {
    return true;
  }
  std::unique_ptr<kv::KvIterator> own;
  kv::KvIterator* it;
  if (cursor != nullptr) {
    it = cursor->Get();
  } else {
    own = ctx.store->NewPrefixIterator(kv::Cf::kChunks);
    it = own.get();
  }
  RETURN_IF_ERROR(ForEachPersistedChunk(
      ctx, it, ref, mint_ms, maxt_ms, disk_mint, disk_maxt,
      [&](absl::string_view bytes, int, int64_t cmint, int64_t cmaxt) -> absl::StatusOr<bool> {
        found = ChunkHasSample(bytes, cmint, cmaxt, mint_ms, maxt_ms);
        return !found;
      }));
  return found;
}

}  // namespace tally::storage::query
