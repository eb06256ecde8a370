#include "server/remote/remote_write_queue.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/remote/remote_write_manager.h"
#include "storage/ingest/remote_write.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/fake_http_server.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server::remote {
namespace {

using testutil::FakeHttpServer;
using testutil::FakeRequest;
using testutil::FakeResponse;

// A receiver that decodes every WriteRequest and keeps, per series, the samples received.
class Receiver {
 public:
  explicit Receiver(int fail_first, int fail_status = 503)
      : server_([this, fail_first, fail_status](const FakeRequest& req) {
          absl::MutexLock l(&mu_);
          if (requests_++ < fail_first) return FakeResponse{.status = fail_status};
          storage::WriteRequestDecoder d;
          if (!d.DecodeSnappy(req.body).ok()) return FakeResponse{.status = 400};
          headers_ok_ = headers_ok_ && req.Header("content-encoding") == "snappy" &&
                        req.Header("x-prometheus-remote-write-version") == "0.1.0";
          for (const auto& s : d.series()) {
            std::string key;
            for (uint32_t i = s.labels_begin; i < s.labels_end; ++i) {
              absl::StrAppend(&key, d.labels()[i].name, "=", d.labels()[i].value, ",");
            }
            for (uint32_t i = s.samples_begin; i < s.samples_end; ++i) {
              got_[key].push_back(d.samples()[i]);
              ++samples_;
            }
          }
          metadata_ += static_cast<int>(d.metadata().size());
          return FakeResponse{.status = 204};
        }) {}
  std::string url() const { return server_.url() + "/api/v1/write"; }
  int64_t samples() const {
    absl::MutexLock l(&mu_);
    return samples_;
  }
  std::map<std::string, std::vector<storage::Sample>> got() const {
    absl::MutexLock l(&mu_);
    return got_;
  }
  int metadata() const {
    absl::MutexLock l(&mu_);
    return metadata_;
  }
  bool headers_ok() const {
    absl::MutexLock l(&mu_);
    return headers_ok_;
  }

 private:
  mutable absl::Mutex mu_;
  int requests_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t samples_ ABSL_GUARDED_BY(mu_) = 0;
  int metadata_ ABSL_GUARDED_BY(mu_) = 0;
  bool headers_ok_ ABSL_GUARDED_BY(mu_) = true;
  std::map<std::string, std::vector<storage::Sample>> got_ ABSL_GUARDED_BY(mu_);
  FakeHttpServer server_;
};

config::Config ConfigFor(const std::string& url, int64_t max_shards = 4) {
  config::Config c;
  config::RemoteWriteConfig r;
  r.url = url;
  r.queue_config.max_samples_per_send = 50;
  r.queue_config.max_shards = max_shards;
  r.queue_config.batch_send_deadline_ms = 20;
  r.queue_config.min_backoff_ms = 5;
  r.queue_config.max_backoff_ms = 20;
  c.remote_write.push_back(r);
  return c;
}

void Append(storage::DB* db, int series, int64_t t0, int n) {
  auto app = db->NewAppender();
  for (int i = 0; i < n; ++i) {
    for (int s = 0; s < series; ++s) {
      ASSERT_TRUE(app->Append(storage::Labels{{"__name__", "m"}, {"s", std::to_string(s)}},
                              t0 + i * 1000, i)
                      .ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
}

TEST(RemoteWriteQueueTest, RetriesServerErrorsAndDeliversEverySampleOnceInOrderWithMetadata) {
  testutil::TempDir dir;
  auto db = storage::DB::Open(testutil::TestOptions(dir.path() + "/db"));
  ASSERT_TRUE(db.ok());
  Receiver rx(/*fail_first=*/5);
  ASSERT_TRUE((*db)->SetMetadata("m", {"counter", "help text", ""}).ok());
  RemoteWriteManager m(db->get(), {.dir = dir.path() + "/q"});
  ASSERT_TRUE(m.ApplyConfig(ConfigFor(rx.url())).ok());
  const int64_t t0 = absl::ToUnixMillis(absl::Now()) - 3'600'000;
  for (int k = 0; k < 10; ++k) Append(db->get(), 20, t0 + k * 100'000, 30);  // 6000 samples
  ASSERT_TRUE(testutil::PollUntil([&] { return rx.samples() >= 6000; }, absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(100));  // nothing more may arrive
  EXPECT_EQ(rx.samples(), 6000);
  const auto got = rx.got();
  ASSERT_EQ(got.size(), 20u);
  for (const auto& [series, samples] : got) {
    ASSERT_EQ(samples.size(), 300u) << series;
    for (size_t i = 1; i < samples.size(); ++i) ASSERT_LT(samples[i - 1].t_ms, samples[i].t_ms);
  }
  EXPECT_TRUE(rx.headers_ok());
  EXPECT_EQ(rx.metadata(), 1);  // metadata_config.send: sent at start (then every minute)
  std::string metrics;
  m.RenderMetrics(&metrics);
  EXPECT_NE(metrics.find("prometheus_remote_storage_samples_total{remote_name=\""),
            std::string::npos);
  EXPECT_NE(metrics.find("\"} 6000\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("prometheus_remote_storage_samples_retried_total"), std::string::npos);
  m.Stop();
}

TEST(RemoteWriteQueueTest, ClientErrorsDropTheBatchAndCountIt) {
  testutil::TempDir dir;
  auto db = storage::DB::Open(testutil::TestOptions(dir.path() + "/db"));
  ASSERT_TRUE(db.ok());
  Receiver rx(/*fail_first=*/1, /*fail_status=*/400);
  config::Config c = ConfigFor(rx.url(), 1);
  c.remote_write[0].name = "ep";
  RemoteWriteManager m(db->get(), {.dir = dir.path() + "/q"});
  ASSERT_TRUE(m.ApplyConfig(c).ok());
  const int64_t t0 = absl::ToUnixMillis(absl::Now()) - 3'600'000;
  Append(db->get(), 1, t0, 50);       // the first request: 400, dropped
  Append(db->get(), 1, t0 + 100'000, 50);
  ASSERT_TRUE(testutil::PollUntil([&] { return rx.samples() >= 50; }, absl::Seconds(30)));
  std::string metrics;
  ASSERT_TRUE(testutil::PollUntil([&] {
    metrics.clear();
    m.RenderMetrics(&metrics);
    return metrics.find("prometheus_remote_storage_samples_failed_total{remote_name=\"ep\",url=\"" +
                        rx.url() + "\"} 50\n") != std::string::npos;
  }, absl::Seconds(10))) << metrics;
  EXPECT_EQ(rx.samples(), 50);
}

TEST(RemoteWriteQueueTest, WriteRelabelConfigsDropAndRewriteSeriesBeforeSending) {
  testutil::TempDir dir;
  auto db = storage::DB::Open(testutil::TestOptions(dir.path() + "/db"));
  ASSERT_TRUE(db.ok());
  Receiver rx(/*fail_first=*/0);
  config::Config c = ConfigFor(rx.url(), 1);
  c.remote_write[0].name = "ep";
  config::RelabelConfig drop;  // series s="0" is not sent
  drop.source_labels = {"s"};
  drop.regex = "0";
  drop.action = "drop";
  config::RelabelConfig copy;  // the others are sent with an extra label
  copy.source_labels = {"s"};
  copy.target_label = "copy";
  c.remote_write[0].write_relabel_configs = {drop, copy};
  RemoteWriteManager m(db->get(), {.dir = dir.path() + "/q"});
  ASSERT_TRUE(m.ApplyConfig(c).ok());
  const int64_t t0 = absl::ToUnixMillis(absl::Now()) - 3'600'000;
  Append(db->get(), 3, t0, 10);  // 3 series x 10 samples
  ASSERT_TRUE(testutil::PollUntil([&] { return rx.samples() >= 20; }, absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(100));
  const auto got = rx.got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got.count("__name__=m,copy=1,s=1,"), 1u);
  EXPECT_EQ(got.count("__name__=m,copy=2,s=2,"), 1u);
  EXPECT_EQ(rx.samples(), 20);
  std::string metrics;
  m.RenderMetrics(&metrics);
  EXPECT_NE(metrics.find("prometheus_remote_storage_samples_dropped_total{remote_name=\"ep\",url=\"" +
                         rx.url() + "\"} 10\n"),
            std::string::npos)
      << metrics;
  m.Stop();
}

TEST(RemoteWriteQueueTest, BacklogSurvivesRestartWhileRemoteIsDown) {
  testutil::TempDir dir;
  auto db = storage::DB::Open(testutil::TestOptions(dir.path() + "/db"));
  ASSERT_TRUE(db.ok());
  const int64_t t0 = absl::ToUnixMillis(absl::Now()) - 3'600'000;
  std::string url;
  {
    Receiver down(/*fail_first=*/1 << 30);  // always 503
    url = down.url();
    RemoteWriteManager m(db->get(), {.dir = dir.path() + "/q"});
    ASSERT_TRUE(m.ApplyConfig(ConfigFor(url)).ok());
    Append(db->get(), 10, t0, 100);
    ASSERT_TRUE(testutil::PollUntil([&] {
      std::string s;
      m.RenderMetrics(&s);
      return s.find("samples_retried_total{remote_name") != std::string::npos &&
             s.find("samples_retried_total{remote_name=\"" +
                    RemoteWriteManager::EndpointId(ConfigFor(url).remote_write[0]) + "\",url=\"" +
                    url + "\"} 0\n") == std::string::npos;
    }, absl::Seconds(10)));
    m.Stop();
  }
  // A new manager (as after a restart) for the same endpoint; the receiver is back on a new
  // port, so the endpoint keeps its id by name.
  Receiver up(0);
  config::Config c = ConfigFor(up.url());
  RemoteWriteManager m2(db->get(), {.dir = dir.path() + "/q"});
  c.remote_write[0].name = RemoteWriteManager::EndpointId(ConfigFor(url).remote_write[0]);
  ASSERT_TRUE(m2.ApplyConfig(c).ok());
  Append(db->get(), 10, t0 + 200'000, 1);
  ASSERT_TRUE(testutil::PollUntil([&] { return up.samples() >= 1010; }, absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(up.samples(), 1010);
}

}  // namespace
}  // namespace tally::server::remote
