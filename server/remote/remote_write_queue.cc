#include "server/remote/remote_write_queue.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/config/http_client_options.h"
#include "storage/ingest/remote_write_encoder.h"
#include "storage/util/log.h"

namespace tally::server::remote {
namespace {

using storage::CommittedSample;

// Prometheus compat: storage/remote/client.go sends these headers with every request.
constexpr char kUserAgent[] = "Prometheus/2.42.0";

// prompb.MetricMetadata.MetricType of a TYPE word.
int MetricTypeCode(absl::string_view t) {
  if (t == "counter") return 1;
  if (t == "gauge") return 2;
  if (t == "histogram") return 3;
  if (t == "gaugehistogram") return 4;
  if (t == "summary") return 5;
  if (t == "info") return 6;
  if (t == "stateset") return 7;
  return 0;
}

absl::Duration RetryAfterHeader(const rules::HttpClientResponse& r) {
  int64_t secs = 0;
  if (absl::SimpleAtoi(r.Header("retry-after"), &secs) && secs > 0) return absl::Seconds(secs);
  return absl::ZeroDuration();
}

}  // namespace

RemoteWriteQueue::RemoteWriteQueue(std::string id, config::RemoteWriteConfig cfg, ForwardLog* log,
                                   storage::DB* db)
    : id_(std::move(id)),
      cfg_(std::move(cfg)),
      log_(log),
      db_(db),
      client_([&] {
        rules::HttpClientOptions o = config::WithHttpClientConfig(cfg_.http_client, {});
        o.timeout = absl::Milliseconds(cfg_.remote_timeout_ms);
        o.connect_timeout = std::min(o.timeout, absl::Seconds(10));
        o.max_response_bytes = 1 << 20;  // receivers answer with short errors
        o.max_idle_per_host = static_cast<size_t>(std::max<int64_t>(4, cfg_.queue_config.max_shards));
        o.user_agent = kUserAgent;
        return o;
      }()) {
  headers_ = {{"Content-Encoding", "snappy"},
              {"Content-Type", "application/x-protobuf"},
              {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  for (const auto& [k, v] : cfg_.headers) headers_.emplace_back(k, v);
  // Credentials (basic_auth, authorization, bearer_token[_file]) and tls_config are the
  // client's (WithHttpClientConfig above).
}

RemoteWriteQueue::~RemoteWriteQueue() { Stop(); }

absl::Status RemoteWriteQueue::Start() {
  absl::StatusOr<std::unique_ptr<ForwardLog::Reader>> r = log_->NewReader(id_);
  if (!r.ok()) return r.status();
  reader_ = *std::move(r);
  absl::StatusOr<scrape::Relabeler> rl = scrape::Relabeler::Compile(cfg_.write_relabel_configs);
  if (!rl.ok()) return rl.status();
  relabel_ = *std::move(rl);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void RemoteWriteQueue::Stop() {
  if (stopping_.exchange(true)) return;
  log_->Wake();
  if (thread_.joinable()) thread_.join();
}

void RemoteWriteQueue::Run() {
  const config::QueueConfig& q = cfg_.queue_config;
  const int64_t per_send = q.max_samples_per_send;
  const int64_t max_round = per_send * q.max_shards;
  ForwardBatch batch;
  absl::Time next_metadata = absl::Now();
  while (!stopping_.load()) {
    if (cfg_.metadata_config.send && absl::Now() >= next_metadata) {
      SendMetadata();
      next_metadata = absl::Now() + absl::Milliseconds(cfg_.metadata_config.send_interval_ms);
    }
    absl::Time deadline = absl::Now() + absl::Milliseconds(q.batch_send_deadline_ms);
    if (cfg_.metadata_config.send) deadline = std::min(deadline, next_metadata);
    absl::Status st = reader_->Read(per_send, max_round, deadline, &batch);
    stats_.pending.store(reader_->PendingSamples() + static_cast<int64_t>(batch.samples.size()));
    if (!st.ok()) {
      TALLY_LOG(kError, "Remote-write queue read failed", {{"remote_name", id_},
                                                           {"err", st.message()}});
      absl::SleepFor(absl::Seconds(1));
      continue;
    }
    if (batch.samples.empty()) {
      reader_->Commit().IgnoreError();  // records without samples (none today) move on
      continue;
    }
    if (!SendRound(batch)) break;  // stopping while the remote fails: resend after restart
    reader_->Commit().IgnoreError();
    stats_.pending.store(reader_->PendingSamples());
  }
}

bool RemoteWriteQueue::SendRound(const ForwardBatch& batch) {
  const config::QueueConfig& q = cfg_.queue_config;
  const int64_t n = static_cast<int64_t>(batch.samples.size());
  const int64_t per_send = q.max_samples_per_send;
  const int64_t shards =
      std::clamp<int64_t>((n + per_send - 1) / per_send, q.min_shards, q.max_shards);
  stats_.shards_desired.store(shards);
  stats_.shards.store(shards);
  // Samples of each shard, grouped per series in first-seen order.
  struct ShardData {
    std::vector<storage::SeriesRef> order;
    absl::flat_hash_map<storage::SeriesRef, std::vector<storage::Sample>> by_series;
    int64_t samples = 0;
  };
  std::vector<ShardData> data(static_cast<size_t>(shards));
  // The labels each series is sent under (write_relabel_configs applied once per series of
  // the round); a series missing from `sent` was dropped by relabeling.
  absl::flat_hash_map<storage::SeriesRef, storage::Labels> relabeled;
  if (!relabel_.empty()) {
    for (const auto& [ref, l] : batch.labels) {
      storage::LabelsBuilder lb(l);
      if (relabel_.Apply(lb)) relabeled.emplace(ref, lb.Build());
    }
  }
  auto labels_of = [&](storage::SeriesRef ref) -> const storage::Labels* {
    if (relabel_.empty()) return &batch.labels.at(ref);
    auto it = relabeled.find(ref);
    return it == relabeled.end() ? nullptr : &it->second;
  };
  for (const CommittedSample& s : batch.samples) {
    const storage::Labels* lp = labels_of(s.ref);
    if (lp == nullptr || lp->empty()) {
      stats_.relabel_dropped.fetch_add(1);
      continue;
    }
    const storage::Labels& l = *lp;
    ShardData& d = data[l.StableHash() % static_cast<uint64_t>(shards)];
    auto [it, fresh] = d.by_series.try_emplace(s.ref);
    if (fresh) d.order.push_back(s.ref);
    it->second.push_back(storage::Sample{s.t_ms, s.v});
    ++d.samples;
  }
  std::atomic<bool> ok{true};
  auto run_shard = [&](const ShardData& d) {
    storage::WriteRequestEncoder enc;
    std::string body;
    int64_t max_t = 0;
    auto flush = [&]() {
      if (enc.samples() == 0 || !ok.load()) return;
      enc.CompressTo(&body);
      if (Send(body, enc.samples(), false) == SendResult::kAbandoned) ok.store(false);
      enc.Clear();
    };
    for (storage::SeriesRef ref : d.order) {
      const std::vector<storage::Sample>& ss = d.by_series.at(ref);
      const storage::Labels& l = *labels_of(ref);
      std::vector<storage::Label> lv = l.ToVector();
      size_t i = 0;
      while (i < ss.size()) {
        if (!ok.load()) return;  // abandoned (stopping): the round is resent after restart
        const size_t take = std::min<size_t>(ss.size() - i,
                                             static_cast<size_t>(per_send - enc.samples()));
        enc.AddSeries(lv, absl::MakeConstSpan(ss).subspan(i, take));
        max_t = std::max(max_t, ss[i + take - 1].t_ms);
        i += take;
        if (enc.samples() >= per_send) flush();
      }
    }
    flush();
    if (ok.load()) {
      int64_t cur = stats_.highest_sent_ms.load();
      while (max_t > cur && !stats_.highest_sent_ms.compare_exchange_weak(cur, max_t)) {
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < data.size(); ++i) threads.emplace_back(run_shard, std::cref(data[i]));
  run_shard(data[0]);
  for (std::thread& t : threads) t.join();
  return ok.load();
}

RemoteWriteQueue::SendResult RemoteWriteQueue::Send(const std::string& body, int64_t samples,
                                                    bool metadata) {
  const config::QueueConfig& q = cfg_.queue_config;
  absl::Duration backoff = absl::Milliseconds(q.min_backoff_ms);
  const absl::Duration max_backoff = absl::Milliseconds(q.max_backoff_ms);
  absl::StatusOr<rules::HttpUrl> url = rules::ParseHttpUrl(cfg_.url);
  if (!url.ok()) {
    (metadata ? stats_.metadata_failed : stats_.samples_failed) += samples;
    return SendResult::kDropped;
  }
  rules::HttpClientRequest req;
  req.method = "POST";
  req.headers = headers_;
  while (true) {
    req.body = body;
    req.deadline = absl::Now() + absl::Milliseconds(cfg_.remote_timeout_ms);
    absl::StatusOr<rules::HttpClientResponse> r = client_.Do(*url, req);
    absl::Duration wait = backoff;
    std::string why;
    if (r.ok() && r->status / 100 == 2) {
      if (metadata) {
        stats_.metadata_sent += samples;
        stats_.metadata_bytes += static_cast<int64_t>(body.size());
      } else {
        stats_.samples_sent += samples;
        stats_.bytes_sent += static_cast<int64_t>(body.size());
      }
      return SendResult::kOk;
    }
    ++stats_.requests_failed;
    if (r.ok()) {
      const bool recoverable =
          r->status / 100 == 5 || (r->status == 429 && q.retry_on_http_429);
      if (!recoverable) {
        // Prometheus compat: non-recoverable errors drop the batch.
        TALLY_LOG(kError, "non-recoverable error while sending to remote write endpoint",
                  {{"remote_name", id_}, {"status", r->StatusText()},
                   {"count", samples}, {"err", r->body.substr(0, 256)}});
        (metadata ? stats_.metadata_failed : stats_.samples_failed) += samples;
        return SendResult::kDropped;
      }
      if (absl::Duration ra = RetryAfterHeader(*r); ra > absl::ZeroDuration()) wait = ra;
      why = r->StatusText();
    } else {
      why = std::string(r.status().message());
    }
    if (!metadata) stats_.samples_retried += samples;
    if (stopping_.load()) return SendResult::kAbandoned;
    // At most one line per 10 s per endpoint: 200 shards retrying for an hour would
    // otherwise flood the log.
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    int64_t last = last_retry_log_ms_.load();
    if (now_ms - last >= 10'000 && last_retry_log_ms_.compare_exchange_strong(last, now_ms)) {
      TALLY_LOG(kWarn, "Failed to send batch, retrying",
                {{"remote_name", id_}, {"err", why}, {"backoff", absl::FormatDuration(wait)}});
    }
    // Sleep in slices so Stop() is not held up by a long backoff.
    const absl::Time until = absl::Now() + wait;
    while (absl::Now() < until) {
      if (stopping_.load()) return SendResult::kAbandoned;
      absl::SleepFor(std::min(absl::Milliseconds(50), until - absl::Now()));
    }
    backoff = std::min(backoff * 2, max_backoff);
  }
}

void RemoteWriteQueue::SendMetadata() {
  absl::StatusOr<std::vector<std::pair<std::string, storage::MetricMetadata>>> md = db_->Metadata();
  if (!md.ok() || md->empty()) return;
  storage::WriteRequestEncoder enc;
  std::string body;
  auto flush = [&](int64_t n) {
    if (n == 0) return;
    enc.CompressTo(&body);
    Send(body, n, true);
    enc.Clear();
  };
  int64_t n = 0;
  for (const auto& [family, m] : *md) {
    enc.AddMetadata(storage::RemoteMetadataInput{MetricTypeCode(m.type), family, m.help, m.unit});
    if (++n >= cfg_.metadata_config.max_samples_per_send) {
      flush(n);
      n = 0;
    }
    if (stopping_.load()) return;
  }
  flush(n);
}

int64_t RemoteWriteQueue::dropped_samples() const {
  return (reader_ != nullptr ? reader_->dropped_samples() : 0) + stats_.relabel_dropped.load();
}

double RemoteWriteQueue::Value(absl::string_view f) const {
  constexpr absl::string_view kPrefix = "prometheus_remote_storage_";
  if (!absl::ConsumePrefix(&f, kPrefix)) return 0;
  const config::QueueConfig& q = cfg_.queue_config;
  if (f == "samples_total") return static_cast<double>(stats_.samples_sent.load());
  if (f == "samples_failed_total") return static_cast<double>(stats_.samples_failed.load());
  if (f == "samples_retried_total") return static_cast<double>(stats_.samples_retried.load());
  if (f == "samples_dropped_total") return static_cast<double>(dropped_samples());
  if (f == "samples_pending") return static_cast<double>(stats_.pending.load());
  if (f == "bytes_total") return static_cast<double>(stats_.bytes_sent.load());
  if (f == "metadata_total") return static_cast<double>(stats_.metadata_sent.load());
  if (f == "metadata_failed_total") return static_cast<double>(stats_.metadata_failed.load());
  if (f == "metadata_bytes_total") return static_cast<double>(stats_.metadata_bytes.load());
  if (f == "shards") return static_cast<double>(stats_.shards.load());
  if (f == "shards_desired") return static_cast<double>(stats_.shards_desired.load());
  if (f == "shards_min") return static_cast<double>(q.min_shards);
  if (f == "shards_max") return static_cast<double>(q.max_shards);
  if (f == "shard_capacity") return static_cast<double>(q.capacity);
  if (f == "queue_highest_sent_timestamp_seconds") {
    return static_cast<double>(stats_.highest_sent_ms.load()) / 1000.0;
  }
  return 0;
}

}  // namespace tally::server::remote
