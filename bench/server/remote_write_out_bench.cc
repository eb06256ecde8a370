// Remote-write-out on loopback: a DB with a RemoteWriteManager forwarding to an in-process
// receiver (Tally's HTTP server decoding every WriteRequest and counting its samples).
//
// BM_ForwardThroughput: samples appended (commits of 10k samples, 1,000 series, 1 s apart) and
//   forwarded until the receiver has them all; items/s = end-to-end forwarding rate, which
//   includes the queue write on the commit path.
// BM_CatchUpAfterOutage/<minutes>: the receiver refuses (503) while an outage of <minutes>
//   at 10k samples/s (a mid-size Prometheus: 150k series at 15 s) is appended, then comes
//   back; the time reported is from "receiver back" to "backlog delivered" (manual time).
//   catch_up_samples_per_s is the backlog divided by that time.
// Default queue_config (max_shards 200, max_samples_per_send 500) except
// batch_send_deadline 50ms and min/max backoff 10ms/100ms, so the bench is not idle-bound.
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/http/http_server.h"
#include "server/remote/remote_write_manager.h"
#include "storage/ingest/remote_write.h"

namespace tally::server::remote {
namespace {

class Receiver {
 public:
  Receiver() {
    http::HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<http::HttpServer>(
        o, [this](const http::HttpRequest& req, http::HttpResponse* resp) {
          if (refuse_.load()) {
            resp->status = 503;
            return;
          }
          thread_local storage::WriteRequestDecoder d;
          if (!d.DecodeSnappy(req.body).ok()) {
            resp->status = 400;
            return;
          }
          samples_ += static_cast<int64_t>(d.samples().size());
          resp->status = 204;
          resp->content_type = "";
        });
    (void)server_->Start();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", server_->port(), "/w"); }
  std::atomic<int64_t> samples_{0};
  std::atomic<bool> refuse_{false};

 private:
  std::unique_ptr<http::HttpServer> server_;
};

struct Setup {
  explicit Setup(const std::string& name) {
    dir = (std::filesystem::temp_directory_path() / absl::StrCat("tally_rwout_", name, getpid()))
              .string();
    std::filesystem::remove_all(dir);
    storage::DBOptions o;
    o.path = dir + "/db";
    o.sync_commits = false;
    o.retention_check_interval_ms = 0;
    db = *storage::DB::Open(o);
    config::Config c;
    config::RemoteWriteConfig r;
    r.url = rx.url();
    r.name = "bench";
    r.queue_config.batch_send_deadline_ms = 50;
    r.queue_config.min_backoff_ms = 10;
    r.queue_config.max_backoff_ms = 100;
    r.metadata_config.send = false;
    c.remote_write.push_back(r);
    mgr = std::make_unique<RemoteWriteManager>(db.get(), ForwardLogOptions{.dir = dir + "/q"});
    (void)mgr->ApplyConfig(c);
  }
  ~Setup() {
    mgr->Stop();
    mgr.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }
  // Appends `n` samples over 1,000 series in commits of 10k, timestamps from *t.
  void Append(int64_t n, int64_t* t) {
    std::vector<storage::SeriesRef> refs;
    for (int64_t done = 0; done < n;) {
      auto app = db->NewAppender();
      for (int k = 0; k < 10; ++k, *t += 1000) {
        for (int s = 0; s < 1000; ++s) {
          if (refs.size() < 1000) {
            refs.push_back(*app->Append(
                storage::Labels{{"__name__", "llm_cost_tracker_requests_total"},
                                {"instance", absl::StrCat("host-", s / 50, ":8000")},
                                {"job", "llm"},
                                {"model", absl::StrCat("model-", s % 50)}},
                *t, s));
          } else {
            (void)app->Append(refs[s], *t, s + *t * 1e-6);
          }
        }
      }
      (void)app->Commit();
      done += 10'000;
    }
  }
  bool WaitFor(int64_t total, absl::Duration timeout) {
    const absl::Time end = absl::Now() + timeout;
    while (rx.samples_.load() < total) {
      if (absl::Now() > end) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }
  std::string dir;
  Receiver rx;
  std::unique_ptr<storage::DB> db;
  std::unique_ptr<RemoteWriteManager> mgr;
};

void BM_ForwardThroughput(benchmark::State& state) {
  Setup s("tp");
  int64_t t = absl::ToUnixMillis(absl::Now()) - int64_t{3} * 3600 * 1000;
  const int64_t n = 1'000'000;
  int64_t total = 0;
  for (auto _ : state) {
    s.Append(n, &t);
    total += n;
    if (!s.WaitFor(total, absl::Minutes(5))) state.SkipWithError("not delivered in 5 minutes");
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ForwardThroughput)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_CatchUpAfterOutage(benchmark::State& state) {
  const int64_t minutes = state.range(0);
  const int64_t backlog = minutes * 60 * 10'000;
  int64_t total = 0;
  double seconds = 0;
  for (auto _ : state) {
    Setup s(absl::StrCat("cu", minutes));
    int64_t t = absl::ToUnixMillis(absl::Now()) - int64_t{3} * 3600 * 1000;
    s.rx.refuse_ = true;
    s.Append(backlog, &t);
    const absl::Time back = absl::Now();
    s.rx.refuse_ = false;
    if (!s.WaitFor(backlog, absl::Minutes(10))) state.SkipWithError("not caught up in 10 min");
    const double d = absl::ToDoubleSeconds(absl::Now() - back);
    state.SetIterationTime(d);
    seconds += d;
    total += backlog;
  }
  state.counters["backlog_samples"] = static_cast<double>(backlog);
  state.counters["catch_up_samples_per_s"] = static_cast<double>(total) / seconds;
}
BENCHMARK(BM_CatchUpAfterOutage)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond)
    ->Iterations(1)->UseManualTime();

}  // namespace
}  // namespace tally::server::remote
