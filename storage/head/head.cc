#include "storage/head/head.h"

#include <algorithm>
#include <bit>


namespace tally::storage::head {

Head::Head()
    : refs_(std::make_unique<RefStripe[]>(kStripes)),
      hashes_(std::make_unique<HashStripe[]>(kStripes)) {}

void Head::Reserve(size_t n) {
  // Refs and hashes spread evenly over the stripes; an eighth of headroom for the skew.
  const size_t per_stripe = n / kStripes + n / kStripes / 8 + 1;
  for (size_t i = 0; i < kStripes; ++i) {
    absl::MutexLock rl(&refs_[i].mu);
    refs_[i].series.reserve(per_stripe);
    absl::MutexLock hl(&hashes_[i].mu);
    hashes_[i].chains.reserve(per_stripe);
  }
}

MemSeries* Head::FindByEncoded(absl::string_view labels_enc, uint64_t hash,
                               SeriesRef* ref) const {
  const HashStripe& hs = hashes_[hash % kStripes];
  absl::ReaderMutexLock l(&hs.mu);
  auto it = hs.chains.find(hash);
  if (it == hs.chains.end()) return nullptr;
  for (MemSeries* s = it->second; s != nullptr; s = s->hash_next) {
    if (s->labels_enc == labels_enc) {
      if (ref != nullptr) *ref = s->ref;
      return s;
    }
  }
  return nullptr;
}

MemSeries* Head::GetOrCreateEncoded(absl::string_view labels_enc, uint64_t hash, bool* created,
                                    SeriesRef* ref_out) {
  *created = false;
  if (MemSeries* s = FindByEncoded(labels_enc, hash, ref_out)) return s;
  HashStripe& hs = hashes_[hash % kStripes];
  absl::MutexLock l(&hs.mu);
  MemSeries*& head = hs.chains[hash];
  for (MemSeries* s = head; s != nullptr; s = s->hash_next) {
    if (s->labels_enc == labels_enc) {
      if (ref_out != nullptr) *ref_out = s->ref;
      return s;
    }
  }
  const SeriesRef ref = next_ref_.fetch_add(1);
  auto owned = std::make_unique<MemSeries>(ref, hash, std::string(labels_enc));
  MemSeries* s = owned.get();
  {
    RefStripe& rs = refs_[ref % kStripes];
    absl::MutexLock rl(&rs.mu);
    rs.series.emplace(ref, std::move(owned));
  }
  s->hash_next = head;
  head = s;
  num_series_.fetch_add(1, std::memory_order_relaxed);
  *created = true;
  if (ref_out != nullptr) *ref_out = ref;
  return s;
}

MemSeries* Head::InsertLoaded(std::unique_ptr<MemSeries> owned) {
  MemSeries* s = owned.get();
  const SeriesRef ref = s->ref;
  const uint64_t hash = s->hash;
  s->persisted = true;
  {
    RefStripe& rs = refs_[ref % kStripes];
    absl::MutexLock rl(&rs.mu);
    rs.series.emplace(ref, std::move(owned));
  }
  HashStripe& hs = hashes_[hash % kStripes];
  absl::MutexLock l(&hs.mu);
  MemSeries*& head = hs.chains[hash];
  s->hash_next = head;
  head = s;
  num_series_.fetch_add(1, std::memory_order_relaxed);
  if (ref >= next_ref_.load()) next_ref_.store(ref + 1);
  return s;
}

MemSeries* Head::Find(SeriesRef ref) const {
  const RefStripe& rs = refs_[ref % kStripes];
  absl::ReaderMutexLock l(&rs.mu);
  auto it = rs.series.find(ref);
  return it == rs.series.end() ? nullptr : it->second.get();
}

void Head::WithSeries(SeriesRef ref, const std::function<void(const MemSeries*)>& fn) const {
  const RefStripe& rs = refs_[ref % kStripes];
  absl::ReaderMutexLock l(&rs.mu);
  auto it = rs.series.find(ref);
  fn(it == rs.series.end() ? nullptr : it->second.get());
}

void Head::ForEach(const std::function<void(MemSeries*)>& fn) const {
  for (size_t i = 0; i < kStripes; ++i) {
    const RefStripe& rs = refs_[i];
    absl::ReaderMutexLock l(&rs.mu);
    for (const auto& [ref, s] : rs.series) fn(s.get());
  }
}

void Head::Remove(SeriesRef ref) {
  MemSeries* s = Find(ref);
  if (s == nullptr) return;
  const uint64_t hash = s->hash;
  {
    HashStripe& hs = hashes_[hash % kStripes];
    absl::MutexLock l(&hs.mu);
    auto it = hs.chains.find(hash);
    if (it != hs.chains.end()) {
      MemSeries** p = &it->second;
      while (*p != nullptr && *p != s) p = &(*p)->hash_next;
      if (*p == s) *p = s->hash_next;
      if (it->second == nullptr) hs.chains.erase(it);
    }
  }
  std::unique_ptr<MemSeries> owned;
  {
    RefStripe& rs = refs_[ref % kStripes];
    absl::MutexLock rl(&rs.mu);
    auto it = rs.series.find(ref);
    owned = std::move(it->second);
    rs.series.erase(it);
  }
  num_series_.fetch_sub(1, std::memory_order_relaxed);
  // Only now, with the series unreachable, announce the removal (the epoch protocol in
  // head.h): a lookup that observes the new count can no longer return the series.
  removals_.fetch_add(1, std::memory_order_release);
}

int64_t Head::MemoryBytes() const {
  // Counts what malloc really hands out: each allocation carries ~16 bytes of allocator
  // overhead, and chunk buffers grow by doubling (from 32 bytes) with 16 bytes of slack.
  constexpr int64_t kMallocOverhead = 16;
  int64_t total = 0;
  auto heap = [&](const std::string& s) -> int64_t {
    return s.capacity() > 15 ? static_cast<int64_t>(s.capacity()) + 1 + kMallocOverhead : 0;
  };
  for (size_t i = 0; i < kStripes; ++i) {
    {
      const RefStripe& rs = refs_[i];
      absl::ReaderMutexLock l(&rs.mu);
      total += static_cast<int64_t>(rs.series.capacity() *
                                    (sizeof(std::pair<SeriesRef, void*>) + 1));
      for (const auto& [ref, s] : rs.series) {
        absl::MutexLock sl(&s->mu);
        total += sizeof(MemSeries) + kMallocOverhead + heap(s->labels_enc);
        if (s->open) {
          const size_t buf = std::max<size_t>(32, std::bit_ceil(s->open->chunk.size_bytes() + 16));
          total += sizeof(HeadChunk) + kMallocOverhead + static_cast<int64_t>(buf) + kMallocOverhead;
        }
        if (s->ooo) total += sizeof(OooBuffer) + s->ooo->samples.capacity() * sizeof(Sample);
        if (s->iso_older) {
          total += sizeof(std::vector<IsoMark>) + kMallocOverhead +
                   static_cast<int64_t>(s->iso_older->capacity() * sizeof(IsoMark));
        }
        if (s->sealing) {
          for (const auto& c : *s->sealing) total += sizeof(SealingChunk) + heap(c.bytes);
        }
      }
    }
    const HashStripe& hs = hashes_[i];
    absl::ReaderMutexLock l(&hs.mu);
    total += static_cast<int64_t>(hs.chains.capacity() * (sizeof(std::pair<uint64_t, void*>) + 1));
  }
  total += static_cast<int64_t>(kStripes * (sizeof(RefStripe) + sizeof(HashStripe)));
  return total;
}

}  // namespace tally::storage::head
