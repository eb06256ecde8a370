#include "server/scrape/scrape_cache.h"

#include <algorithm>

namespace tally::server::scrape {

ScrapeCache::Entry* ScrapeCache::Find(absl::string_view series_text) {
  auto it = series_.find(series_text);
  return it == series_.end() ? nullptr : &it->second;
}

ScrapeCache::Entry* ScrapeCache::Add(absl::string_view series_text, storage::Labels labels,
                                     bool dropped) {
  Entry& e = series_[series_text];
  e.labels = std::move(labels);
  e.dropped = dropped;
  e.last_iter = iter_;
  return &e;
}

void ScrapeCache::Track(Entry* e) {
  // Keyed by ref, not text: two texts of one series (labels in another order) are one
  // series for staleness, as Prometheus keys seriesCur by the label hash.
  Tracked& t = tracked_[e->ref];
  if (t.last_iter != iter_) t.prev_iter = t.last_iter;
  t.last_iter = iter_;
}

void ScrapeCache::ForEachStale(
    bool failed, const std::function<void(storage::SeriesRef)>& fn) {
  for (auto& [ref, t] : tracked_) {
    const bool now = t.last_iter == iter_;
    const bool prev = t.last_iter == iter_ - 1 || (now && t.prev_iter == iter_ - 1);
    if (prev && (failed || !now)) fn(ref);
    if (failed && now) t.last_iter = t.prev_iter = -2;  // nothing of this scrape was stored
  }
}

void ScrapeCache::Sweep() {
  absl::erase_if(series_, [this](const auto& kv) { return kv.second.last_iter != iter_; });
  absl::erase_if(tracked_, [this](const auto& kv) { return kv.second.last_iter != iter_; });
  absl::MutexLock l(&meta_mu_);
  // Prometheus compat: scrapeCache.iterDone keeps metadata 10 scrapes after it vanished.
  absl::erase_if(metadata_, [this](const auto& kv) { return iter_ - kv.second.last_iter > 10; });
}

ScrapeCache::Meta& ScrapeCache::MetaFor(absl::string_view family) {
  auto it = metadata_.find(family);
  if (it == metadata_.end()) {
    it = metadata_.emplace(std::string(family), Meta{}).first;
    it->second.md.metric = std::string(family);
  }
  it->second.last_iter = iter_;
  return it->second;
}

void ScrapeCache::SetType(absl::string_view family, storage::MetricType t) {
  absl::MutexLock l(&meta_mu_);
  Meta& m = MetaFor(family);
  const char* s = storage::MetricTypeString(t);
  if (m.md.type != s) m.md.type = s;
}

void ScrapeCache::SetHelp(absl::string_view family, absl::string_view help) {
  absl::MutexLock l(&meta_mu_);
  Meta& m = MetaFor(family);
  if (m.md.help != help) m.md.help = std::string(help);
}

void ScrapeCache::SetUnit(absl::string_view family, absl::string_view unit) {
  absl::MutexLock l(&meta_mu_);
  Meta& m = MetaFor(family);
  if (m.md.unit != unit) m.md.unit = std::string(unit);
}

std::vector<MetadataEntry> ScrapeCache::MetadataList() const {
  absl::MutexLock l(&meta_mu_);
  std::vector<MetadataEntry> out;
  out.reserve(metadata_.size());
  for (const auto& [k, m] : metadata_) out.push_back(m.md);
  std::sort(out.begin(), out.end(),
            [](const MetadataEntry& a, const MetadataEntry& b) { return a.metric < b.metric; });
  return out;
}

bool ScrapeCache::GetMetadata(absl::string_view metric, MetadataEntry* out) const {
  absl::MutexLock l(&meta_mu_);
  auto it = metadata_.find(metric);
  if (it == metadata_.end()) return false;
  *out = it->second.md;
  return true;
}

}  // namespace tally::server::scrape
