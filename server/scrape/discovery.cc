#include "server/scrape/discovery.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/scrape/file_sd.h"
#include "storage/util/log.h"

namespace tally::server::scrape {

namespace {

constexpr int64_t kDefaultPollMs = 5000;

struct FileStamp {
  int64_t mtime_ns = -1;
  int64_t size = -1;
  uint64_t ino = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

struct FileState {
  FileStamp stamp;                 // of the last read attempt
  absl::Time last_read;            // of the last read attempt
  std::vector<TargetGroup> groups;  // last good groups
};

struct JobState {
  config::ScrapeConfig cfg;
  std::vector<TargetGroup> static_groups;
  // Per file_sd_configs entry: matched path -> state.
  std::vector<std::map<std::string, FileState>> files;
  bool dirty = true;  // send an update after this round
  size_t last_targets = 0;
};

// filepath.Glob for one pattern (a plain path matches itself if it exists). GLOB_PERIOD:
// Go's `*` also matches a leading dot.
std::vector<std::string> Glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), GLOB_NOSORT | GLOB_PERIOD, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

bool Stat(const std::string& path, FileStamp* s) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  s->mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  s->size = st.st_size;
  s->ino = st.st_ino;
  return true;
}

}  // namespace

struct DiscoveryManager::State {
  absl::Mutex mu;
  bool stop ABSL_GUARDED_BY(mu) = false;
  bool wake ABSL_GUARDED_BY(mu) = false;
  std::optional<std::vector<config::ScrapeConfig>> pending ABSL_GUARDED_BY(mu);
  int64_t poll_ms ABSL_GUARDED_BY(mu) = kDefaultPollMs;
  // Owned by the manager's thread only.
  std::map<std::string, JobState> jobs;
  // For RenderMetrics.
  mutable absl::Mutex metrics_mu;
  std::map<std::string, size_t> discovered ABSL_GUARDED_BY(metrics_mu);
  std::map<std::string, double> file_mtimes ABSL_GUARDED_BY(metrics_mu);  // seconds
};

DiscoveryManager::DiscoveryManager(UpdateFn on_update)
    : on_update_(std::move(on_update)), state_(std::make_unique<State>()) {
  thread_ = std::thread([this] { Run(); });
}

DiscoveryManager::~DiscoveryManager() { Stop(); }

void DiscoveryManager::Stop() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->stop = true;
  }
  if (thread_.joinable()) thread_.join();
}

void DiscoveryManager::SetPollIntervalForTesting(int64_t ms) {
  absl::MutexLock lock(&state_->mu);
  state_->poll_ms = ms;
  state_->wake = true;
}

absl::Status DiscoveryManager::ApplyConfig(const std::vector<config::ScrapeConfig>& jobs) {
  for (const config::ScrapeConfig& j : jobs) {
    for (const config::FileSDConfig& f : j.file_sd_configs) {
      if (absl::Status st = config::ValidateFileSDConfig(f); !st.ok()) return st;
    }
  }
  absl::MutexLock lock(&state_->mu);
  state_->pending = jobs;
  state_->wake = true;
  return absl::OkStatus();
}

void DiscoveryManager::Run() {
  State& s = *state_;
  while (true) {
    int64_t poll_ms;
    {
      absl::MutexLock lock(&s.mu);
      if (s.stop) return;
      if (s.pending) {
        std::map<std::string, JobState> next;
        for (config::ScrapeConfig& cfg : *s.pending) {
          JobState& j = next[cfg.job_name];
          // Keep file state of an unchanged file_sd list so a reload does not re-read.
          auto old = s.jobs.find(cfg.job_name);
          if (old != s.jobs.end() && old->second.cfg.file_sd_configs.size() ==
                                         cfg.file_sd_configs.size()) {
            bool same = true;
            for (size_t i = 0; i < cfg.file_sd_configs.size(); ++i) {
              same = same && old->second.cfg.file_sd_configs[i].files ==
                                 cfg.file_sd_configs[i].files;
            }
            if (same) j.files = std::move(old->second.files);
          }
          j.files.resize(cfg.file_sd_configs.size());
          j.static_groups = StaticTargetGroups(cfg);
          j.cfg = std::move(cfg);
        }
        s.jobs = std::move(next);
        s.pending.reset();
      }
      s.wake = false;
      poll_ms = s.poll_ms;
    }

    // Scan every file SD config.
    const absl::Time scan_start = absl::Now();
    bool any_files = false;
    for (auto& [name, job] : s.jobs) {
      for (size_t i = 0; i < job.cfg.file_sd_configs.size(); ++i) {
        const config::FileSDConfig& fc = job.cfg.file_sd_configs[i];
        poll_ms = std::min(poll_ms, std::max<int64_t>(fc.refresh_interval_ms, 1));
        any_files = true;
        std::map<std::string, FileState>& known = job.files[i];
        std::map<std::string, FileState> now;
        for (const std::string& pattern : fc.files) {
          for (std::string& path : Glob(pattern)) {
            if (now.count(path)) continue;
            auto it = known.find(path);
            FileState st;
            bool seen = false;
            if (it != known.end()) {
              st = std::move(it->second);
              seen = true;
            }
            FileStamp stamp;
            Stat(path, &stamp);
            const bool refresh_due =
                absl::Now() - st.last_read >= absl::Milliseconds(fc.refresh_interval_ms);
            if (!seen || !(stamp == st.stamp) || refresh_due) {
              st.stamp = stamp;
              st.last_read = absl::Now();
              absl::StatusOr<std::vector<TargetGroup>> groups = ReadFileSD(path);
              if (!groups.ok()) {
                // Prometheus compat: keep the last good groups of a file that fails.
                file_read_errors_.fetch_add(1);
                TALLY_LOG(kError, "Error reading file",
                          {{"path", path}, {"err", groups.status().message()}});
              } else {
                bool changed = groups->size() != st.groups.size();
                for (size_t k = 0; !changed && k < groups->size(); ++k) {
                  changed = (*groups)[k].targets != st.groups[k].targets ||
                            (*groups)[k].labels != st.groups[k].labels;
                }
                if (changed || !seen) job.dirty = true;
                st.groups = std::move(*groups);
              }
            }
            now.emplace(std::move(path), std::move(st));
          }
        }
        // Files that disappeared drop their groups.
        for (const auto& [path, st] : known) {
          if (!now.count(path) && !st.groups.empty()) job.dirty = true;
        }
        known = std::move(now);
      }
    }
    {
      std::map<std::string, double> mtimes;
      for (const auto& [name, job] : s.jobs) {
        for (const auto& files : job.files) {
          for (const auto& [path, st] : files) {
            if (st.stamp.mtime_ns >= 0) mtimes[path] = static_cast<double>(st.stamp.mtime_ns) / 1e9;
          }
        }
      }
      absl::MutexLock lock(&s.metrics_mu);
      s.file_mtimes = std::move(mtimes);
    }
    if (any_files) {
      scans_.fetch_add(1);
      scan_micros_.fetch_add(absl::ToInt64Microseconds(absl::Now() - scan_start));
    }

    // Report changed jobs outside the lock.
    for (auto& [name, job] : s.jobs) {
      if (!job.dirty) continue;
      job.dirty = false;
      std::vector<TargetGroup> groups = job.static_groups;
      size_t ntargets = 0;
      for (const auto& files : job.files) {
        for (const auto& [path, st] : files) {
          groups.insert(groups.end(), st.groups.begin(), st.groups.end());
        }
      }
      for (const TargetGroup& g : groups) ntargets += g.targets.size();
      {
        absl::MutexLock lock(&s.metrics_mu);
        s.discovered[name] = ntargets;
      }
      on_update_(name, std::move(groups));
    }
    {
      absl::MutexLock lock(&s.metrics_mu);
      for (auto it = s.discovered.begin(); it != s.discovered.end();) {
        it = s.jobs.count(it->first) ? std::next(it) : s.discovered.erase(it);
      }
    }

    absl::MutexLock lock(&s.mu);
    auto woken = [&s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) { return s.stop || s.wake; };
    s.mu.AwaitWithTimeout(absl::Condition(&woken), absl::Milliseconds(poll_ms));
  }
}

void DiscoveryManager::RenderMetrics(std::string* out) const {
  absl::StrAppend(out,
                  "# HELP prometheus_sd_file_read_errors_total The number of File-SD read "
                  "errors.\n# TYPE prometheus_sd_file_read_errors_total counter\n"
                  "prometheus_sd_file_read_errors_total ",
                  file_read_errors_.load(), "\n");
  absl::StrAppend(out,
                  "# HELP prometheus_sd_file_scan_duration_seconds The duration of the File-SD "
                  "scan in seconds.\n# TYPE prometheus_sd_file_scan_duration_seconds summary\n"
                  "prometheus_sd_file_scan_duration_seconds_sum ",
                  static_cast<double>(scan_micros_.load()) / 1e6,
                  "\nprometheus_sd_file_scan_duration_seconds_count ", scans_.load(), "\n");
  absl::MutexLock lock(&state_->metrics_mu);
  if (!state_->file_mtimes.empty()) {
    absl::StrAppend(out,
                    "# HELP prometheus_sd_file_mtime_seconds Timestamp (mtime) of files read by "
                    "FileSD. Timestamp is set at read time.\n"
                    "# TYPE prometheus_sd_file_mtime_seconds gauge\n");
    for (const auto& [path, t] : state_->file_mtimes) {
      absl::StrAppend(out, "prometheus_sd_file_mtime_seconds{filename=", storage::GoQuote(path),
                      "} ", absl::StrFormat("%.9g", t), "\n");
    }
  }
  absl::StrAppend(out,
                  "# HELP prometheus_sd_discovered_targets Current number of discovered "
                  "targets.\n# TYPE prometheus_sd_discovered_targets gauge\n");
  for (const auto& [job, n] : state_->discovered) {
    absl::StrAppend(out, "prometheus_sd_discovered_targets{config=", storage::GoQuote(job),
                    ",name=\"scrape\"} ", n, "\n");
  }
}

}  // namespace tally::server::scrape
