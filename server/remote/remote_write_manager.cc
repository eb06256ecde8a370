#include "server/remote/remote_write_manager.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/config/config.h"
#include "server/config/http_client_options.h"
#include "storage/ingest/go_float.h"
#include "storage/model/labels.h"
#include "storage/util/log.h"

namespace tally::server::remote {
namespace {

// Families rendered per endpoint, in Prometheus's names (storage/remote/queue_manager.go).
struct Family {
  const char* name;
  const char* type;
  const char* help;
};
constexpr Family kFamilies[] = {
    {"prometheus_remote_storage_samples_total", "counter",
     "Total number of samples sent to remote storage."},
    {"prometheus_remote_storage_samples_failed_total", "counter",
     "Total number of samples which failed on send to remote storage, non-recoverable errors."},
    {"prometheus_remote_storage_samples_retried_total", "counter",
     "Total number of samples which failed on send to remote storage but were retried because "
     "the send error was recoverable."},
    {"prometheus_remote_storage_samples_dropped_total", "counter",
     "Total number of samples which were dropped after being read from the queue: lost to the "
     "queue's size bound (Tally: remote_write queue overflow)."},
    {"prometheus_remote_storage_samples_pending", "gauge",
     "The number of samples pending in the queues shards to be sent to the remote storage."},
    {"prometheus_remote_storage_bytes_total", "counter",
     "The total number of bytes of data (not metadata) sent by the queue after compression."},
    {"prometheus_remote_storage_metadata_total", "counter",
     "Total number of metadata entries sent to remote storage."},
    {"prometheus_remote_storage_metadata_failed_total", "counter",
     "Total number of metadata entries which failed on send to remote storage, "
     "non-recoverable errors."},
    {"prometheus_remote_storage_metadata_bytes_total", "counter",
     "The total number of bytes of metadata sent by the queue after compression."},
    {"prometheus_remote_storage_shards", "gauge",
     "The number of shards used for parallel sending to the remote storage."},
    {"prometheus_remote_storage_shards_desired", "gauge",
     "The number of shards that the queues shard calculation wants to run based on the rate "
     "of samples in vs. samples out."},
    {"prometheus_remote_storage_shards_min", "gauge",
     "The minimum number of shards that the queue is allowed to run."},
    {"prometheus_remote_storage_shards_max", "gauge",
     "The maximum number of shards that the queue is allowed to run."},
    {"prometheus_remote_storage_shard_capacity", "gauge",
     "The capacity of each shard of the queue used for parallel sending to the remote storage."},
    {"prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "gauge",
     "Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in "
     "seconds since epoch."},
};

std::string Escape(absl::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\\') o += "\\\\";
    else if (c == '"') o += "\\\"";
    else if (c == '\n') o += "\\n";
    else o.push_back(c);
  }
  return o;
}

std::string Float(double v) {
  char buf[64];
  const int n = storage::FormatGoFloat(v, buf);
  return std::string(buf, static_cast<size_t>(n));
}

// Compared to tell a changed endpoint from an unchanged one on reload.
std::string Fingerprint(const config::RemoteWriteConfig& r) {
  config::Config c;
  c.remote_write.push_back(r);
  std::string s = config::ConfigToYaml(c);
  // ConfigToYaml masks secrets; a changed secret must restart the endpoint too.
  if (r.http_client.authorization) absl::StrAppend(&s, r.http_client.authorization->credentials);
  if (r.http_client.basic_auth) absl::StrAppend(&s, r.http_client.basic_auth->password);
  return s;
}

}  // namespace

std::string RemoteWriteManager::EndpointId(const config::RemoteWriteConfig& c) {
  if (!c.name.empty()) return c.name;
  const uint64_t h = storage::Labels{{"url", c.url}}.StableHash();
  return absl::StrFormat("%06x", h >> 40);
}

RemoteWriteManager::RemoteWriteManager(storage::DB* db, ForwardLogOptions log_options)
    : db_(db), log_options_(std::move(log_options)) {}

RemoteWriteManager::~RemoteWriteManager() { Stop(); }

absl::Status RemoteWriteManager::ApplyConfig(const config::Config& cfg) {
  absl::MutexLock l(&mu_);
  std::map<std::string, const config::RemoteWriteConfig*> want;
  for (const config::RemoteWriteConfig& r : cfg.remote_write) {
    if (absl::Status s = config::ValidateHttpClientConfig(r.http_client); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("remote write ", r.url, ": ", s.message()));
    }
    if (!want.emplace(EndpointId(r), &r).second) {
      // Prometheus compat: config.go "found multiple remote write configs with job name".
      return absl::InvalidArgumentError(absl::StrCat(
          "found multiple remote write configs with job name ", storage::GoQuote(EndpointId(r))));
    }
  }
  if (!want.empty() && log_ == nullptr) {
    absl::StatusOr<std::unique_ptr<ForwardLog>> log = ForwardLog::Open(log_options_);
    if (!log.ok()) return log.status();
    log_ = *std::move(log);
  }
  for (auto it = queues_.begin(); it != queues_.end();) {
    auto w = want.find(it->first);
    if (w != want.end() && Fingerprint(*w->second) == Fingerprint(it->second->config())) {
      ++it;
      continue;
    }
    it->second->Stop();
    it = queues_.erase(it);
  }
  absl::Status result;
  for (const auto& [id, r] : want) {
    if (queues_.contains(id)) continue;
    auto q = std::make_unique<RemoteWriteQueue>(id, *r, log_.get(), db_);
    if (absl::Status st = q->Start(); !st.ok()) {
      result.Update(st);
      continue;
    }
    TALLY_LOG(kInfo, "Starting remote-write queue", {{"remote_name", id}, {"url", r->url}});
    queues_.emplace(id, std::move(q));
  }
  if (log_ != nullptr) {
    absl::flat_hash_set<std::string> ids;
    for (const auto& [id, r] : want) ids.insert(id);
    log_->RetainReaders(ids);
  }
  const bool listen = !queues_.empty();
  if (listen != listening_) {
    db_->SetCommitListener(listen ? log_.get() : nullptr);
    listening_ = listen;
  }
  return result;
}

void RemoteWriteManager::Stop() {
  absl::MutexLock l(&mu_);
  if (listening_) {
    db_->SetCommitListener(nullptr);
    listening_ = false;
  }
  for (auto& [id, q] : queues_) q->Stop();
  queues_.clear();
}

void RemoteWriteManager::RenderMetrics(std::string* out) const {
  absl::MutexLock l(&mu_);
  if (log_ == nullptr) return;
  absl::StrAppend(out,
                  "# HELP prometheus_remote_storage_highest_timestamp_in_seconds Highest timestamp "
                  "that has come into the remote storage via the Appender interface, in seconds "
                  "since epoch.\n# TYPE prometheus_remote_storage_highest_timestamp_in_seconds "
                  "gauge\nprometheus_remote_storage_highest_timestamp_in_seconds ",
                  Float(static_cast<double>(log_->highest_timestamp_ms()) / 1000.0), "\n");
  absl::StrAppend(out,
                  "# HELP prometheus_remote_storage_samples_in_total Samples in to remote "
                  "storage, compare to samples out for queue managers.\n# TYPE "
                  "prometheus_remote_storage_samples_in_total counter\n"
                  "prometheus_remote_storage_samples_in_total ",
                  log_->written_samples(), "\n");
  absl::StrAppend(out,
                  "# HELP tally_remote_write_queue_bytes Bytes of the on-disk remote-write "
                  "queue.\n# TYPE tally_remote_write_queue_bytes gauge\n"
                  "tally_remote_write_queue_bytes ",
                  log_->bytes(), "\n");
  absl::StrAppend(out,
                  "# HELP tally_remote_write_queue_dropped_segments_total Queue segments deleted "
                  "unsent because the queue exceeded its size bound.\n# TYPE "
                  "tally_remote_write_queue_dropped_segments_total counter\n"
                  "tally_remote_write_queue_dropped_segments_total ",
                  log_->dropped_segments(), "\n");
  if (queues_.empty()) return;
  for (const Family& f : kFamilies) {
    absl::StrAppend(out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " ", f.type, "\n");
    for (const auto& [id, q] : queues_) {
      absl::StrAppend(out, f.name, "{remote_name=\"", Escape(id), "\",url=\"",
                      Escape(config::RedactUrl(q->config().url)), "\"} ",
                      Float(q->Value(f.name)), "\n");
    }
  }
}

}  // namespace tally::server::remote
