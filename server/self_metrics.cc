#include "server/self_metrics.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/ingest/go_float.h"

namespace tally::server {
namespace {

std::string F(double v) { return storage::FormatGoFloat(v); }

void Header(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// Prometheus text-format label value escaping.
std::string EscapeLabel(absl::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\\') o += "\\\\";
    else if (c == '"') o += "\\\"";
    else if (c == '\n') o += "\\n";
    else o.push_back(c);
  }
  return o;
}

struct ProcStats {
  double cpu_seconds = 0;
  double rss_bytes = 0;
  double vsize_bytes = 0;
  double start_time_s = 0;
  int open_fds = 0;
  bool ok = false;
};

ProcStats ReadProc() {
  ProcStats p;
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (!std::getline(f, line)) return p;
  size_t rp = line.rfind(')');
  if (rp == std::string::npos) return p;
  std::vector<std::string> fs = absl::StrSplit(line.substr(rp + 2), ' ');
  // Fields after ")": index 0 = state (field 3). utime=14, stime=15, starttime=22,
  // vsize=23, rss=24 (1-based field numbers of proc(5)).
  auto field = [&](int n) -> double {
    size_t i = static_cast<size_t>(n - 3);
    return i < fs.size() ? std::strtod(fs[i].c_str(), nullptr) : 0;
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  p.cpu_seconds = (field(14) + field(15)) / ticks;
  p.vsize_bytes = field(23);
  p.rss_bytes = field(24) * page;
  std::ifstream st("/proc/stat");
  std::string l;
  double btime = 0;
  while (std::getline(st, l)) {
    if (absl::StartsWith(l, "btime ")) btime = std::strtod(l.c_str() + 6, nullptr);
  }
  p.start_time_s = btime + field(22) / ticks;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++p.open_fds;
  }
  p.ok = true;
  return p;
}

}  // namespace

void LatencyHistogram::Observe(double seconds) {
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<int64_t>(std::llround(seconds * 1e6)),
                        std::memory_order_relaxed);
}

void LatencyHistogram::Render(absl::string_view name, absl::string_view labels,
                              std::string* out) const {
  for (size_t i = 0; i < kBounds.size(); ++i) {
    absl::StrAppend(out, name, "_bucket{", labels, "le=\"", F(kBounds[i]), "\"} ",
                    buckets_[i].load(std::memory_order_relaxed), "\n");
  }
  uint64_t n = count_.load(std::memory_order_relaxed);
  absl::string_view bare = labels.empty() ? "" : labels.substr(0, labels.size() - 1);
  absl::StrAppend(out, name, "_bucket{", labels, "le=\"+Inf\"} ", n, "\n");
  std::string lb = bare.empty() ? "" : absl::StrCat("{", bare, "}");
  absl::StrAppend(out, name, "_sum", lb, " ",
                  F(static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6), "\n");
  absl::StrAppend(out, name, "_count", lb, " ", n, "\n");
}

SelfMetrics::SelfMetrics() : start_time_(absl::Now()) {
  reload_time_s_ = absl::ToUnixSeconds(start_time_);
}

int SelfMetrics::ReasonIndex(storage::RejectReason r) {
  switch (r) {
    case storage::RejectReason::kOutOfOrder: return 0;
    case storage::RejectReason::kDuplicate: return 1;
    case storage::RejectReason::kTooOld: return 2;
    case storage::RejectReason::kInvalid: return 3;
  }
  return 3;
}

void SelfMetrics::AddIngested(absl::string_view source, int64_t n) {
  (source == "remote_write" ? ingested_remote_write_ : ingested_other_)
      .fetch_add(n, std::memory_order_relaxed);
}

int64_t SelfMetrics::ingested(absl::string_view source) const {
  return (source == "remote_write" ? ingested_remote_write_ : ingested_other_).load();
}

void SelfMetrics::AddRejected(storage::RejectReason reason, int64_t n) {
  if (n != 0) rejected_[ReasonIndex(reason)].fetch_add(n, std::memory_order_relaxed);
}

int64_t SelfMetrics::rejected(storage::RejectReason reason) const {
  return rejected_[ReasonIndex(reason)].load();
}

void SelfMetrics::AddRemoteWriteRequest(int code) {
  absl::MutexLock l(&mu_);
  ++remote_write_requests_[code];
}

void SelfMetrics::ObserveQuery(absl::Duration d) {
  query_latency_.Observe(absl::ToDoubleSeconds(d));
}

void SelfMetrics::ObserveHttp(absl::string_view handler, int code, absl::Duration d) {
  absl::MutexLock l(&mu_);
  ++http_requests_[{std::string(handler), code}];
  auto& h = http_latency_[std::string(handler)];
  if (!h) h = std::make_unique<LatencyHistogram>();
  h->Observe(absl::ToDoubleSeconds(d));
}

void SelfMetrics::SetConfigReload(bool ok, absl::Time when) {
  reload_ok_ = ok;
  if (ok) reload_time_s_ = absl::ToUnixSeconds(when);
}

std::string SelfMetrics::Render(storage::DB* db) const {
  std::string o;
  o.reserve(8192);
  Header(&o, "tally_build_info", "gauge", "Tally build information.");
  absl::StrAppend(&o, "tally_build_info{version=\"0.1.0\"} 1\n");

  Header(&o, "tally_ingested_samples_total", "counter", "Samples stored, by ingestion path.");
  absl::StrAppend(&o, "tally_ingested_samples_total{source=\"remote_write\"} ",
                  ingested_remote_write_.load(), "\n");
  absl::StrAppend(&o, "tally_ingested_samples_total{source=\"other\"} ", ingested_other_.load(),
                  "\n");
  Header(&o, "tally_rejected_samples_total", "counter", "Samples rejected, by reason.");
  static const char* const kReasons[] = {"out_of_order", "duplicate", "too_old", "invalid"};
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&o, "tally_rejected_samples_total{reason=\"", kReasons[i], "\"} ",
                    rejected_[i].load(), "\n");
  }

  if (db != nullptr) {
    absl::StatusOr<storage::DBStats> st = db->Stats(0);
    if (st.ok()) {
      Header(&o, "tally_active_series", "gauge", "Series with an open head chunk.");
      absl::StrAppend(&o, "tally_active_series ", st->head_series, "\n");
      Header(&o, "tally_series", "gauge", "Series known to the storage.");
      absl::StrAppend(&o, "tally_series ", st->num_series, "\n");
      Header(&o, "tally_head_chunks", "gauge", "Chunks (sealed and open).");
      absl::StrAppend(&o, "tally_head_chunks ", st->num_chunks, "\n");
      Header(&o, "tally_storage_bytes", "gauge", "Bytes on disk under the data directory (RocksDB).");
      absl::StrAppend(&o, "tally_storage_bytes ", st->bytes_on_disk, "\n");
      Header(&o, "tally_head_memory_bytes", "gauge", "Approximate head memory.");
      absl::StrAppend(&o, "tally_head_memory_bytes ", st->head_memory_bytes, "\n");
    }
  }

  Header(&o, "tally_queries_total", "counter", "PromQL queries executed.");
  absl::StrAppend(&o, "tally_queries_total ", query_latency_.count(), "\n");
  Header(&o, "tally_query_duration_seconds", "histogram", "PromQL query latency.");
  query_latency_.Render("tally_query_duration_seconds", "", &o);

  {
    absl::MutexLock l(&mu_);
    Header(&o, "tally_http_requests_total", "counter", "HTTP requests by handler and code.");
    for (const auto& [k, n] : http_requests_) {
      absl::StrAppend(&o, "tally_http_requests_total{code=\"", k.second, "\",handler=\"",
                      EscapeLabel(k.first), "\"} ", n, "\n");
    }
    Header(&o, "tally_http_request_duration_seconds", "histogram",
           "HTTP request latency by handler.");
    for (const auto& [h, hist] : http_latency_) {
      hist->Render("tally_http_request_duration_seconds",
                   absl::StrCat("handler=\"", EscapeLabel(h), "\","), &o);
    }
    Header(&o, "tally_remote_write_requests_total", "counter",
           "Remote-write requests by HTTP status code.");
    for (const auto& [code, n] : remote_write_requests_) {
      absl::StrAppend(&o, "tally_remote_write_requests_total{code=\"", code, "\"} ", n, "\n");
    }
  }

  Header(&o, "tally_config_last_reload_successful", "gauge",
         "Whether the last configuration reload attempt was successful.");
  absl::StrAppend(&o, "tally_config_last_reload_successful ", reload_ok_.load() ? 1 : 0, "\n");
  Header(&o, "tally_config_last_reload_success_timestamp_seconds", "gauge",
         "Timestamp of the last successful configuration reload.");
  absl::StrAppend(&o, "tally_config_last_reload_success_timestamp_seconds ",
                  reload_time_s_.load(), "\n");

  ProcStats p = ReadProc();
  if (p.ok) {
    Header(&o, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    absl::StrAppend(&o, "process_cpu_seconds_total ", F(p.cpu_seconds), "\n");
    Header(&o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    absl::StrAppend(&o, "process_resident_memory_bytes ", F(p.rss_bytes), "\n");
    Header(&o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    absl::StrAppend(&o, "process_virtual_memory_bytes ", F(p.vsize_bytes), "\n");
    Header(&o, "process_open_fds", "gauge", "Number of open file descriptors.");
    absl::StrAppend(&o, "process_open_fds ", p.open_fds, "\n");
    Header(&o, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
    absl::StrAppend(&o, "process_start_time_seconds ", F(p.start_time_s), "\n");
  }
  absl::MutexLock l(&mu_);
  for (const auto& c : collectors_) c(&o);
  return o;
}

void SelfMetrics::AddCollector(std::function<void(std::string*)> fn) {
  absl::MutexLock l(&mu_);
  collectors_.push_back(std::move(fn));
}

void SelfMetrics::ClearCollectors() {
  absl::MutexLock l(&mu_);
  collectors_.clear();
}

}  // namespace tally::server
