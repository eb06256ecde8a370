// The queue, the sender thread and the per-Alertmanager delivery with retries.
//
// Prometheus compat (notifier/notifier.go, 2.42): Send applies external labels, drops the
// oldest alerts when the queue would overflow and counts them; the run loop takes batches
// of maxBatchSize from the head; each batch is marshalled once and posted to every
// Alertmanager concurrently; a batch that reached no Alertmanager counts as dropped.
// Deliberate difference: Prometheus 2.42 does not retry a failed post (the next resend a
// minute later repairs it); we retry 5xx and network errors with backoff inside the
// per-request timeout, as the rules issue asks, so a restarting Alertmanager loses nothing.
#include "rules/notifier/notifier.h"

#include <algorithm>
#include <deque>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rules/client/http_client.h"
#include "rules/notifier/alert_json.h"
#include "storage/util/log.h"
#include "storage/util/status_macros.h"

namespace tally::rules {
namespace {

// One configured Alertmanager. Shared with an in-flight batch, so a config reload never
// destroys a client that is still posting.
struct Target {
  std::string base_url;
  HttpUrl post_url;  // <base>/api/v2/alerts
  std::unique_ptr<HttpClient> client;
};

absl::StatusOr<std::vector<std::shared_ptr<Target>>> BuildTargets(
    const NotifierOptions& o, const std::vector<std::shared_ptr<Target>>& old) {
  std::vector<std::shared_ptr<Target>> out;
  for (size_t i = 0; i < o.alertmanager_urls.size(); ++i) {
    const std::string& url = o.alertmanager_urls[i];
    const std::pair<TlsClientOptions, HttpAuthOptions> http =
        i < o.alertmanager_http.size() ? o.alertmanager_http[i]
                                       : std::pair<TlsClientOptions, HttpAuthOptions>();
    absl::StatusOr<HttpUrl> u = ParseHttpUrl(url);
    if (!u.ok()) {
      return absl::Status(u.status().code(),
                          absl::StrCat("alertmanager url: ", u.status().message()));
    }
    if (u->https) {
      if (absl::Status s = ValidateTlsClientOptions(http.first); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("alertmanager ", url, ": error creating HTTP client: ", s.message()));
      }
    }
    std::shared_ptr<Target> t;
    for (const auto& prev : old) {
      // Same Alertmanager, timeout and credentials: keep its client so keep-alive
      // connections survive a config reload.
      const HttpClientOptions& po = prev->client->options();
      if (prev->base_url == url && po.timeout == o.timeout && po.tls == http.first &&
          po.auth == http.second) {
        t = prev;
      }
    }
    if (t == nullptr) {
      t = std::make_shared<Target>();
      t->base_url = url;
      t->post_url = JoinUrlPath(*u, "/api/v2/alerts");
      HttpClientOptions co;
      co.tls = http.first;
      co.auth = http.second;
      co.connect_timeout = o.timeout;
      co.timeout = o.timeout;
      co.max_response_bytes = 1 << 20;  // Alertmanager answers with nothing or an error
      t->client = std::make_unique<HttpClient>(co);
    }
    out.push_back(std::move(t));
  }
  return out;
}

absl::Status ValidateOptions(const NotifierOptions& o) {
  if (o.queue_capacity == 0 || o.max_batch_size == 0) {
    return absl::InvalidArgumentError("notifier queue capacity and batch size must be positive");
  }
  if (o.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("alertmanager timeout must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

struct Notifier::Impl {
  mutable absl::Mutex mu;
  NotifierOptions options ABSL_GUARDED_BY(mu);
  std::vector<std::shared_ptr<Target>> targets ABSL_GUARDED_BY(mu);
  std::deque<NotifierAlert> queue ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  absl::Time flush_deadline ABSL_GUARDED_BY(mu) = absl::InfiniteFuture();
  NotifierStats stats ABSL_GUARDED_BY(mu);

  absl::Mutex stop_mu;  // serialises Stop() callers around the join
  std::thread sender;

  void Run();
  // Posts one marshalled batch to one Alertmanager; retries 5xx and network errors with
  // backoff until `deadline`.
  absl::Status Post(Target& t, const std::string& body, absl::Time deadline);
  void DropLocked(size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    stats.dropped_total += static_cast<int64_t>(n);
  }
};

Notifier::Notifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Notifier::~Notifier() { Stop(); }

absl::StatusOr<std::unique_ptr<Notifier>> Notifier::Start(NotifierOptions options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  absl::StatusOr<std::vector<std::shared_ptr<Target>>> targets = BuildTargets(options, {});
  if (!targets.ok()) return targets.status();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->targets = *std::move(targets);
  Impl* raw = impl.get();
  impl->sender = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<Notifier>(new Notifier(std::move(impl)));
}

void Notifier::Send(std::vector<NotifierAlert> alerts) {
  absl::MutexLock l(&impl_->mu);
  Impl& s = *impl_;
  if (s.stopping) {
    s.DropLocked(alerts.size());
    return;
  }
  // Prometheus compat: external labels fill in labels the alert lacks or has empty
  // (notifier.Manager.Send uses Labels.Get(name) == "").
  if (!s.options.external_labels.empty()) {
    for (NotifierAlert& a : alerts) {
      storage::LabelsBuilder b(a.labels);
      bool changed = false;
      for (const auto& l : s.options.external_labels) {
        if (a.labels.Get(l.name).empty()) {
          b.Set(l.name, l.value);
          changed = true;
        }
      }
      if (changed) a.labels = b.Build();
    }
  }
  const size_t cap = s.options.queue_capacity;
  size_t skip = 0;
  if (alerts.size() > cap) {  // more than fits at all: the oldest of these go first
    skip = alerts.size() - cap;
    s.DropLocked(skip);
  }
  size_t incoming = alerts.size() - skip;
  if (s.queue.size() + incoming > cap) {
    size_t n = s.queue.size() + incoming - cap;
    s.queue.erase(s.queue.begin(), s.queue.begin() + static_cast<std::ptrdiff_t>(n));
    s.DropLocked(n);
    TALLY_LOG(kWarn, "Alert notification queue full, dropping alerts", {{"num_dropped", n}});
  }
  for (size_t i = skip; i < alerts.size(); ++i) s.queue.push_back(std::move(alerts[i]));
}

absl::Status Notifier::ApplyConfig(const NotifierOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  absl::MutexLock l(&impl_->mu);
  absl::StatusOr<std::vector<std::shared_ptr<Target>>> targets =
      BuildTargets(options, impl_->targets);
  if (!targets.ok()) return targets.status();
  impl_->targets = *std::move(targets);
  impl_->options = options;
  if (impl_->queue.size() > options.queue_capacity) {
    size_t n = impl_->queue.size() - options.queue_capacity;
    impl_->queue.erase(impl_->queue.begin(), impl_->queue.begin() + static_cast<std::ptrdiff_t>(n));
    impl_->DropLocked(n);
  }
  return absl::OkStatus();
}

NotifierStats Notifier::Stats() const {
  absl::MutexLock l(&impl_->mu);
  NotifierStats s = impl_->stats;
  s.queue_length = static_cast<int64_t>(impl_->queue.size());
  s.alertmanagers = static_cast<int64_t>(impl_->targets.size());
  return s;
}

void Notifier::Stop() {
  absl::MutexLock stop_lock(&impl_->stop_mu);
  {
    absl::MutexLock l(&impl_->mu);
    if (!impl_->stopping) {
      impl_->stopping = true;
      impl_->flush_deadline = absl::Now() + impl_->options.timeout;
    }
  }
  if (impl_->sender.joinable()) impl_->sender.join();
}

void Notifier::Impl::Run() {
  while (true) {
    std::vector<NotifierAlert> batch;
    std::vector<std::shared_ptr<Target>> to;
    absl::Time deadline;
    {
      absl::MutexLock l(&mu);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return !queue.empty() || stopping; };
      mu.Await(absl::Condition(&ready));
      if (stopping && (queue.empty() || absl::Now() >= flush_deadline)) {
        DropLocked(queue.size());
        queue.clear();
        return;
      }
      size_t n = std::min(queue.size(), options.max_batch_size);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      to = targets;
      deadline = absl::Now() + options.timeout;
      if (stopping) deadline = std::min(deadline, flush_deadline);
    }
    const std::string body = EncodeAlertsV2(batch);
    const int64_t n = static_cast<int64_t>(batch.size());
    std::vector<absl::Status> results(to.size());
    if (to.size() == 1) {
      results[0] = Post(*to[0], body, deadline);
    } else {
      std::vector<std::thread> posts;
      for (size_t i = 0; i < to.size(); ++i) {
        posts.emplace_back([&, i] { results[i] = Post(*to[i], body, deadline); });
      }
      for (std::thread& t : posts) t.join();
    }
    absl::MutexLock l(&mu);
    bool any = false;
    for (size_t i = 0; i < to.size(); ++i) {
      if (results[i].ok()) {
        stats.sent_total += n;
        any = true;
      } else {
        stats.errors_total += n;
        TALLY_LOG(kError, "Error sending alert",
                  {{"alertmanager", to[i]->post_url.ToString()},
                   {"count", n},
                   {"err", results[i].message()}});
      }
    }
    if (!any) DropLocked(batch.size());
  }
}

absl::Status Notifier::Impl::Post(Target& t, const std::string& body, absl::Time deadline) {
  HttpClientRequest req;
  req.method = "POST";
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = body;
  req.deadline = deadline;
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<HttpClientResponse> r = t.client->Do(t.post_url, req);
    absl::Status err;
    if (r.ok()) {
      if (r->status / 100 == 2) return absl::OkStatus();
      // Prometheus compat: "bad response status 500 Internal Server Error".
      err = absl::UnavailableError(absl::StrCat("bad response status ", r->StatusText()));
      if (r->status / 100 != 5) return absl::InvalidArgumentError(err.message());
    } else {
      err = r.status();
    }
    absl::Duration wait = RetryBackoff(attempt);
    if (absl::Now() + wait >= deadline) return err;
    absl::SleepFor(wait);
  }
}

}  // namespace tally::rules
