#include "storage/index/mem_postings.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace tally::storage::index {
namespace {

// Refs are handed out in increasing order, so this is nearly always a push_back; two
// commits' new series can still arrive out of order.
void InsertSorted(Postings* p, SeriesRef ref) {
  if (p->empty() || p->back() < ref) {
    p->push_back(ref);
    return;
  }
  auto it = std::lower_bound(p->begin(), p->end(), ref);
  if (it == p->end() || *it != ref) p->insert(it, ref);
}

void EraseAll(Postings* p, const absl::flat_hash_set<SeriesRef>& dead) {
  p->erase(std::remove_if(p->begin(), p->end(), [&](SeriesRef r) { return dead.contains(r); }),
           p->end());
  if (p->capacity() > 64 && p->size() < p->capacity() / 4) p->shrink_to_fit();
}

}  // namespace

void MemPostings::Add(SeriesRef ref, const Labels& labels) {
  absl::MutexLock l(&mu_);
  for (const auto& x : labels) {
    if (x.value.empty()) continue;
    InsertSorted(&index_[x.name][x.value], ref);
  }
  InsertSorted(&all_, ref);
}

void MemPostings::Loader::AddLabel(SeriesRef ref, absl::string_view name,
                                   absl::string_view value) {
  if (value.empty()) return;
  // find() first: the strings are built only for a name or value not seen before.
  auto n = p_->index_.find(name);
  if (n == p_->index_.end()) n = p_->index_.try_emplace(std::string(name)).first;
  auto v = n->second.find(value);
  if (v == n->second.end()) v = n->second.try_emplace(std::string(value)).first;
  InsertSorted(&v->second, ref);
}

void MemPostings::Loader::AddSeries(SeriesRef ref) { InsertSorted(&p_->all_, ref); }

void MemPostings::Remove(absl::Span<const std::pair<SeriesRef, Labels>> series) {
  if (series.empty()) return;
  absl::flat_hash_set<SeriesRef> dead;
  // The (name, value) lists to clean, each once.
  absl::btree_map<std::string, absl::flat_hash_set<std::string>> touched;
  for (const auto& [ref, labels] : series) {
    dead.insert(ref);
    for (const auto& x : labels) {
      if (!x.value.empty()) touched[x.name].emplace(x.value);
    }
  }
  absl::MutexLock l(&mu_);
  for (const auto& [name, values] : touched) {
    auto n = index_.find(name);
    if (n == index_.end()) continue;
    for (const std::string& v : values) {
      auto it = n->second.find(v);
      if (it == n->second.end()) continue;
      EraseAll(&it->second, dead);
      if (it->second.empty()) n->second.erase(it);
    }
    if (n->second.empty()) index_.erase(n);
  }
  EraseAll(&all_, dead);
}

Postings MemPostings::Get(absl::string_view name, absl::string_view value) const {
  absl::ReaderMutexLock l(&mu_);
  auto n = index_.find(name);
  if (n == index_.end()) return {};
  auto it = n->second.find(value);
  return it == n->second.end() ? Postings{} : it->second;
}

Postings MemPostings::Where(absl::string_view name,
                            const std::function<bool(absl::string_view)>& pred) const {
  std::vector<Postings> lists;
  {
    absl::ReaderMutexLock l(&mu_);
    auto n = index_.find(name);
    if (n == index_.end()) return {};
    for (const auto& [v, p] : n->second) {
      if (pred(v)) lists.push_back(p);
    }
  }
  return MergeAll(std::move(lists));
}

Postings MemPostings::All() const {
  absl::ReaderMutexLock l(&mu_);
  return all_;
}

std::vector<std::string> MemPostings::LabelNames() const {
  absl::ReaderMutexLock l(&mu_);
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& [name, values] : index_) out.push_back(name);
  return out;
}

std::vector<std::string> MemPostings::LabelValues(absl::string_view name) const {
  absl::ReaderMutexLock l(&mu_);
  std::vector<std::string> out;
  auto n = index_.find(name);
  if (n == index_.end()) return out;
  out.reserve(n->second.size());
  for (const auto& [v, p] : n->second) out.push_back(v);
  return out;
}

std::vector<MemPostings::NameCardinality> MemPostings::Cardinality() const {
  absl::ReaderMutexLock l(&mu_);
  std::vector<NameCardinality> out;
  for (const auto& [name, values] : index_) {
    NameCardinality c{name, static_cast<int64_t>(values.size()), 0};
    for (const auto& [v, p] : values) c.series += static_cast<int64_t>(p.size());
    out.push_back(std::move(c));
  }
  return out;
}

int64_t MemPostings::num_series() const {
  absl::ReaderMutexLock l(&mu_);
  return static_cast<int64_t>(all_.size());
}

int64_t MemPostings::MemoryBytes() const {
  constexpr int64_t kMalloc = 16;  // per allocation
  // A btree node holds several entries; count each entry's share plus node overhead.
  constexpr int64_t kBtreeEntryOverhead = 8;
  auto str = [](const std::string& s) -> int64_t {
    return s.capacity() > 15 ? static_cast<int64_t>(s.capacity()) + 1 + kMalloc : 0;
  };
  auto vec = [](const Postings& p) -> int64_t {
    return p.capacity() == 0 ? 0
                             : static_cast<int64_t>(p.capacity() * sizeof(SeriesRef)) + kMalloc;
  };
  absl::ReaderMutexLock l(&mu_);
  int64_t total = vec(all_);
  for (const auto& [name, values] : index_) {
    total += static_cast<int64_t>(sizeof(std::string) + sizeof(Values)) + kBtreeEntryOverhead +
             str(name);
    for (const auto& [v, p] : values) {
      total += static_cast<int64_t>(sizeof(std::string) + sizeof(Postings)) +
               kBtreeEntryOverhead + str(v) + vec(p);
    }
  }
  return total;
}

}  // namespace tally::storage::index
