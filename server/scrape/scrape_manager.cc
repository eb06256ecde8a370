#include "server/scrape/scrape_manager.h"

#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/config/http_client_options.h"
#include "storage/util/log.h"

namespace tally::server::scrape {

namespace {

int WorkerCount(int configured) {
  if (configured > 0) return configured;
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(2 * hw, 4, 64);
}

bool SameRules(const std::vector<config::RelabelConfig>& a,
               const std::vector<config::RelabelConfig>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const config::RelabelConfig &x = a[i], &y = b[i];
    if (x.source_labels != y.source_labels || x.separator != y.separator ||
        x.regex != y.regex || x.modulus != y.modulus || x.target_label != y.target_label ||
        x.replacement != y.replacement || x.action != y.action) {
      return false;
    }
  }
  return true;
}

std::string Hostname() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) return "";
  return host;
}

}  // namespace

absl::Time NextSlot(absl::Time now, absl::Duration interval, int64_t offset_ns) {
  const int64_t iv = std::max<int64_t>(1, absl::ToInt64Nanoseconds(interval));
  const int64_t n = absl::ToUnixNanos(now);
  int64_t base = n - (n % iv) + (offset_ns % iv);
  if (base <= n) base += iv;
  return absl::FromUnixNanos(base);
}

ScrapeManager::ScrapeManager(storage::DB* db, ScrapeManagerOptions options)
    : db_(db), options_(std::move(options)), scheduler_(WorkerCount(options_.workers)) {
  discovery_ = std::make_unique<DiscoveryManager>(
      [this](const std::string& job, std::vector<TargetGroup> groups) {
        UpdateGroups(job, std::move(groups));
      });
  if (options_.discovery_poll_ms > 0) {
    discovery_->SetPollIntervalForTesting(options_.discovery_poll_ms);
  }
}

ScrapeManager::~ScrapeManager() { Stop(); }

void ScrapeManager::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  discovery_->Stop();  // no UpdateGroups after this
  // Prometheus compat: on shutdown loops end without stale markers (the parent context is
  // cancelled, endOfRunStaleness returns); pending end-of-run tasks never run.
  scheduler_.Stop();
}

absl::Status ScrapeManager::ApplyConfig(const config::Config& cfg) {
  // Compile everything first: a bad rule leaves the running set untouched.
  std::map<std::string, std::pair<std::shared_ptr<const Relabeler>,
                                  std::shared_ptr<const Relabeler>>> compiled;
  std::map<std::string, std::string> bad_client;  // job -> why its HTTP client fails
  for (const config::ScrapeConfig& sc : cfg.scrape_configs) {
    absl::StatusOr<Relabeler> r = Relabeler::Compile(sc.relabel_configs);
    if (!r.ok()) return r.status();
    absl::StatusOr<Relabeler> m = Relabeler::Compile(sc.metric_relabel_configs);
    if (!m.ok()) return m.status();
    if (absl::Status s = config::ValidateHttpClientConfig(sc.http_client); !s.ok()) {
      bad_client[sc.job_name] = std::string(s.message());
    }
    compiled[sc.job_name] = {std::make_shared<const Relabeler>(*std::move(r)),
                             std::make_shared<const Relabeler>(*std::move(m))};
  }
  {
    absl::MutexLock l(&mu_);
    if (stopped_) return absl::OkStatus();
    // Prometheus compat (scrape.Manager, 2.42): a running job whose new client cannot be
    // created fails the reload and nothing changes; a new one is logged and left out.
    for (const auto& [job, err] : bad_client) {
      if (pools_.contains(job)) {
        TALLY_LOG(kError, "error reloading scrape pool", {{"scrape_pool", job}, {"err", err}});
        return absl::InvalidArgumentError(
            absl::StrCat("failed to apply the new configuration: scrape pool ", job, ": ", err));
      }
    }
    for (const auto& [job, err] : bad_client) {
      TALLY_LOG(kError, "error creating new scrape pool", {{"scrape_pool", job}, {"err", err}});
      compiled.erase(job);
    }
    for (auto it = pools_.begin(); it != pools_.end();) {
      if (compiled.count(it->first) == 0) {
        for (auto& [h, e] : it->second.loops) EndLoop(e);
        it = pools_.erase(it);
      } else {
        ++it;
      }
    }
    for (const config::ScrapeConfig& sc : cfg.scrape_configs) {
      if (!compiled.contains(sc.job_name)) continue;
      auto [it, fresh] = pools_.try_emplace(sc.job_name);
      Pool& p = it->second;
      const bool labels_changed = !fresh && (p.cfg.honor_labels != sc.honor_labels ||
                                             !SameRules(p.cfg.metric_relabel_configs,
                                                        sc.metric_relabel_configs));
      const rules::TlsClientOptions tls = config::TlsOptionsFor(sc.http_client.tls_config);
      const rules::HttpAuthOptions auth = config::AuthOptionsFor(sc.http_client);
      if (fresh || !(config::TlsOptionsFor(p.cfg.http_client.tls_config) == tls) ||
          !(config::AuthOptionsFor(p.cfg.http_client) == auth) || p.fetcher == nullptr) {
        p.fetcher = std::make_shared<ScrapeFetcher>(tls, auth);
      }
      p.cfg = sc;
      p.relabel = compiled[sc.job_name].first;
      p.metric_relabel = compiled[sc.job_name].second;
      // Static targets are known now; discovery reports them (and file SD groups) again
      // shortly, which is then a no-op for targets already running.
      SyncLocked(p, labels_changed);
    }
  }
  return discovery_->ApplyConfig(cfg.scrape_configs);
}

void ScrapeManager::UpdateGroups(const std::string& job, std::vector<TargetGroup> groups) {
  absl::MutexLock l(&mu_);
  if (stopped_) return;
  auto it = pools_.find(job);
  if (it == pools_.end()) return;
  it->second.groups = std::move(groups);
  SyncLocked(it->second, /*labels_changed=*/false);
}

std::shared_ptr<const LoopOptions> ScrapeManager::OptionsFor(const Pool& pool,
                                                             const Target& t) const {
  auto o = std::make_shared<LoopOptions>();
  o->interval = absl::Milliseconds(t.interval_ms);
  o->timeout = absl::Milliseconds(t.timeout_ms);
  o->honor_labels = pool.cfg.honor_labels;
  o->honor_timestamps = pool.cfg.honor_timestamps;
  o->body_size_limit = pool.cfg.body_size_limit_bytes;
  o->sample_limit = pool.cfg.sample_limit;
  o->label_limits = {pool.cfg.label_limit, pool.cfg.label_name_length_limit,
                     pool.cfg.label_value_length_limit};
  o->fetcher = pool.fetcher;
  if (pool.metric_relabel && !pool.metric_relabel->empty()) {
    std::shared_ptr<const Relabeler> r = pool.metric_relabel;
    o->metric_relabel = [r](storage::LabelsBuilder& lb) { return r->Apply(lb); };
  }
  return o;
}

void ScrapeManager::SyncLocked(Pool& pool, bool labels_changed) {
  PopulatedTargets pt = PopulateTargets(pool.cfg, *pool.relabel, pool.groups);
  for (const std::string& err : pt.errors) {
    TALLY_LOG(kError, "Creating target failed", {{"scrape_pool", pool.cfg.job_name}, {"err", err}});
  }
  pool.dropped = std::move(pt.dropped);
  std::map<uint64_t, LoopEntry> next;
  for (Target& t : pt.active) {
    const uint64_t h = t.Hash();
    if (next.count(h)) continue;  // Prometheus compat: duplicate targets scrape once
    auto old = pool.loops.find(h);
    if (old != pool.loops.end()) {
      LoopEntry e = std::move(old->second);
      pool.loops.erase(old);
      e.loop->SetOptions(OptionsFor(pool, t), labels_changed);
      // Discovered labels may differ for the same final target (e.g. __meta_*).
      e.target = std::move(t);
      next.emplace(h, std::move(e));
      continue;
    }
    LoopEntry e;
    e.loop = std::make_shared<ScrapeLoop>(db_, &fetcher_, &counters_, t.labels, t.scrape_url,
                                          OptionsFor(pool, t));
    e.target = std::move(t);
    StartLoop(pool, e);
    next.emplace(h, std::move(e));
  }
  for (auto& [h, e] : pool.loops) EndLoop(e);  // gone
  pool.loops = std::move(next);
}

void ScrapeManager::StartLoop(const Pool& pool, LoopEntry& e) {
  const absl::Duration interval = absl::Milliseconds(std::max<int64_t>(1, e.target.interval_ms));
  // Prometheus compat: Target.offset: (hash ^ jitterSeed) % interval, pinned to absolute
  // time, so restarts keep a target's phase.
  e.offset_ns = static_cast<int64_t>((e.target.Hash() ^ options_.jitter_seed) %
                                     static_cast<uint64_t>(absl::ToInt64Nanoseconds(interval)));
  std::shared_ptr<ScrapeLoop> loop = e.loop;
  e.task = scheduler_.Add(
      NextSlot(absl::Now(), interval, e.offset_ns), [loop, interval](absl::Time slot) {
        // Prometheus compat: --scrape.adjust-timestamps: a start within 2 ms of the slot
        // is stamped with the slot itself (regular timestamps compress better).
        const absl::Time now = absl::Now();
        loop->ScrapeOnce(now - slot <= absl::Milliseconds(2) ? slot : now);
        absl::Time next = slot + interval;
        const absl::Time after = absl::Now();
        if (next <= after) next += absl::Ceil(after - next + absl::Nanoseconds(1), interval);
        return next;
      });
  (void)pool;
}

void ScrapeManager::EndLoop(LoopEntry& e) {
  scheduler_.Remove(e.task);  // waits for a scrape in flight
  const absl::Duration interval = absl::Milliseconds(std::max<int64_t>(1, e.target.interval_ms));
  struct EndState {
    std::shared_ptr<ScrapeLoop> loop;
    absl::Time stale_time;
    bool armed = false;
  };
  auto st = std::make_shared<EndState>();
  st->loop = e.loop;
  // Prometheus compat: endOfRunStaleness: stamp = the next slot; write after one more
  // interval plus 10%, so a target that reappeared meanwhile has scraped first.
  scheduler_.Add(NextSlot(absl::Now(), interval, e.offset_ns),
                 [st, interval](absl::Time slot) -> absl::Time {
                   if (!st->armed) {
                     st->armed = true;
                     st->stale_time = slot;
                     return slot + interval + interval / 10;
                   }
                   st->loop->WriteStaleMarkers(st->stale_time);
                   return absl::InfiniteFuture();
                 });
}

std::string ScrapeManager::GlobalUrl(const std::string& url) const {
  // Prometheus compat: getGlobalURL: a localhost target becomes reachable for others:
  // our own port -> the external URL's host, another port -> hostname:port.
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const size_t host_start = scheme_end + 3;
  const size_t host_end = url.find_first_of("/?", host_start);
  const std::string hostport = url.substr(host_start, host_end - host_start);
  const size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return url;
  std::string host = hostport.substr(0, colon);
  const std::string port = hostport.substr(colon + 1);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) host = host.substr(1, host.size() - 2);
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") return url;
  std::string repl;
  int p = 0;
  if (absl::SimpleAtoi(port, &p) && p == options_.listen_port && !options_.external_host.empty()) {
    repl = options_.external_host;
  } else {
    const std::string h = Hostname();
    if (h.empty()) return url;
    repl = absl::StrCat(h, ":", port);
  }
  return absl::StrCat(url.substr(0, host_start), repl,
                      host_end == std::string::npos ? "" : url.substr(host_end));
}

std::vector<ActiveTargetInfo> ScrapeManager::ActiveTargets() const {
  std::vector<ActiveTargetInfo> out;
  absl::MutexLock l(&mu_);
  for (const auto& [name, p] : pools_) {
    const size_t first = out.size();
    for (const auto& [h, e] : p.loops) {
      ActiveTargetInfo a;
      a.pool = name;
      a.discovered_labels = e.target.discovered_labels;
      a.labels = e.target.labels;
      a.scrape_url = e.target.scrape_url;
      a.global_url = GlobalUrl(e.target.scrape_url);
      a.interval_ms = e.target.interval_ms;
      a.timeout_ms = e.target.timeout_ms;
      a.status = e.loop->status();
      a.loop = e.loop;
      out.push_back(std::move(a));
    }
    std::sort(out.begin() + first, out.end(),
              [](const ActiveTargetInfo& a, const ActiveTargetInfo& b) { return a.labels < b.labels; });
  }
  return out;
}

std::vector<DroppedTargetInfo> ScrapeManager::DroppedTargets() const {
  std::vector<DroppedTargetInfo> out;
  absl::MutexLock l(&mu_);
  for (const auto& [name, p] : pools_) {
    for (const storage::Labels& d : p.dropped) out.push_back({name, d});
  }
  return out;
}

void ScrapeManager::RenderMetrics(std::string* out) const {
  auto counter = [out](const char* name, const char* help, int64_t v) {
    absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n", name, " ",
                    v, "\n");
  };
  counter("prometheus_target_scrapes_sample_out_of_order_total",
          "Total number of samples rejected due to not being out of the expected order.",
          counters_.out_of_order.load());
  counter("prometheus_target_scrapes_sample_duplicate_timestamp_total",
          "Total number of samples rejected due to duplicate timestamps but different values.",
          counters_.duplicate.load());
  counter("prometheus_target_scrapes_sample_out_of_bounds_total",
          "Total number of samples rejected due to timestamp falling out of the time bounds.",
          counters_.out_of_bounds.load());
  counter("prometheus_target_scrapes_exceeded_sample_limit_total",
          "Total number of scrapes that hit the sample limit and were rejected.",
          counters_.sample_limit.load());
  counter("prometheus_target_scrapes_exceeded_body_size_limit_total",
          "Total number of scrapes that hit the body size limit",
          counters_.body_size_limit.load());
  counter("prometheus_target_scrape_pool_exceeded_label_limits_total",
          "Total number of times scrape pools hit the label limits, during sync or config "
          "reload.",
          counters_.label_limits.load());
  absl::StrAppend(out,
                  "# HELP prometheus_target_scrape_pool_targets Current number of targets in "
                  "this scrape pool.\n# TYPE prometheus_target_scrape_pool_targets gauge\n");
  {
    absl::MutexLock l(&mu_);
    for (const auto& [name, p] : pools_) {
      absl::StrAppend(out, "prometheus_target_scrape_pool_targets{scrape_job=",
                      storage::GoQuote(name), "} ", p.loops.size(), "\n");
    }
  }
  discovery_->RenderMetrics(out);
}

}  // namespace tally::server::scrape
