#include "server/scrape/scrape_loop.h"

#include <cmath>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/scrape/scrape_fetch.h"
#include "server/http/http_server.h"
#include "storage/model/sample.h"
#include "tests/testutil/fake_http_server.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server::scrape {
namespace {

using ::testing::HasSubstr;
using testutil::FakeRequest;
using testutil::FakeResponse;

constexpr int64_t kT0 = 1'700'000'000'000;

class ScrapeLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.path()));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    server_ = std::make_unique<testutil::FakeHttpServer>(
        [this](const FakeRequest&) { return Respond(); });
  }

  FakeResponse Respond() {
    absl::MutexLock l(&mu_);
    return response_;
  }
  void Serve(const std::string& body, const std::string& content_type = "text/plain; version=0.0.4") {
    absl::MutexLock l(&mu_);
    response_ = FakeResponse{};
    response_.body = body;
    response_.content_type = content_type;
  }
  void ServeResponse(FakeResponse r) {
    absl::MutexLock l(&mu_);
    response_ = std::move(r);
  }

  std::unique_ptr<ScrapeLoop> MakeLoop(LoopOptions o = {}) {
    if (o.timeout == absl::Seconds(10)) o.timeout = absl::Seconds(5);
    return std::make_unique<ScrapeLoop>(
        db_.get(), &fetcher_, &counters_,
        storage::Labels{{"job", "test"}, {"instance", absl::StrCat("127.0.0.1:", server_->port())}},
        server_->url() + "/metrics", std::make_shared<const LoopOptions>(std::move(o)));
  }

  // Samples of the series with this exact __name__ (all labels shown as a string).
  std::vector<std::pair<std::string, std::vector<storage::Sample>>> Get(const std::string& name) {
    return testutil::QueryAll(db_.get(), testutil::MakeMatchers({{"=", "__name__", name}}));
  }
  // The single value of `name` at t, or NaN if absent.
  double ValueAt(const std::string& name, int64_t t) {
    for (const auto& [l, samples] : Get(name)) {
      for (const storage::Sample& s : samples) {
        if (s.t_ms == t) return s.v;
      }
    }
    return std::nan("");
  }
  static absl::Time T(int64_t ms) { return absl::FromUnixMillis(ms); }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
  std::unique_ptr<testutil::FakeHttpServer> server_;
  ScrapeFetcher fetcher_;
  ScrapeCounters counters_;
  absl::Mutex mu_;
  FakeResponse response_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ScrapeLoopTest, ScrapesWithPrometheusHeadersAndReports) {
  Serve("# TYPE a counter\na_total 3\nb{x=\"y\"} 1.5\n");
  auto loop = MakeLoop();
  ScrapeResult r = loop->ScrapeOnce(T(kT0));
  ASSERT_TRUE(r.error.ok()) << r.error;
  EXPECT_EQ(r.scraped, 2);
  EXPECT_EQ(r.series_added, 2);

  auto b = Get("b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].first,
            absl::StrCat("{__name__=\"b\", instance=\"127.0.0.1:", server_->port(),
                         "\", job=\"test\", x=\"y\"}"));
  ASSERT_EQ(b[0].second.size(), 1u);
  EXPECT_EQ(b[0].second[0].t_ms, kT0);
  EXPECT_EQ(b[0].second[0].v, 1.5);
  EXPECT_EQ(ValueAt("up", kT0), 1);
  EXPECT_EQ(ValueAt("scrape_samples_scraped", kT0), 2);
  EXPECT_EQ(ValueAt("scrape_samples_post_metric_relabeling", kT0), 2);
  EXPECT_EQ(ValueAt("scrape_series_added", kT0), 2);
  EXPECT_GE(ValueAt("scrape_duration_seconds", kT0), 0);

  std::vector<FakeRequest> reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, "/metrics");
  EXPECT_EQ(reqs[0].Header("accept"), std::string(kScrapeAcceptHeader));
  EXPECT_EQ(reqs[0].Header("accept-encoding"), "gzip");
  EXPECT_EQ(reqs[0].Header("user-agent"), "Prometheus/2.42.0");
  EXPECT_EQ(reqs[0].Header("x-prometheus-scrape-timeout-seconds"), "5");

  TargetStatus st = loop->status();
  EXPECT_EQ(st.health, TargetHealth::kUp);
  EXPECT_EQ(st.last_error, "");
  EXPECT_EQ(st.last_scrape, T(kT0));
}

TEST_F(ScrapeLoopTest, SecondScrapeReusesCachedSeries) {
  Serve("a 1\nb 2\n");
  auto loop = MakeLoop();
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0)).error.ok());
  ScrapeResult r = loop->ScrapeOnce(T(kT0 + 1000));
  ASSERT_TRUE(r.error.ok());
  EXPECT_EQ(r.series_added, 0);
  EXPECT_EQ(r.commit.appended, 2 + 5);
  EXPECT_EQ(ValueAt("scrape_series_added", kT0 + 1000), 0);
  EXPECT_EQ(Get("a")[0].second.size(), 2u);
}

TEST_F(ScrapeLoopTest, ParsesByContentType) {
  // OpenMetrics timestamps are seconds; the text format's are milliseconds.
  Serve("# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1 1700000000.5\n# EOF\n",
        "application/openmetrics-text; version=1.0.0; charset=utf-8");
  auto loop = MakeLoop();
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0 + 10'000)).error.ok());
  auto a = Get("a_seconds");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].second[0].t_ms, 1'700'000'000'500);

  // The same body as text/plain fails: `# EOF` is only a comment there but the
  // timestamp is not an integer.
  Serve("a_seconds 1 1700000000.5\n", "text/plain; version=0.0.4");
  ScrapeResult r = loop->ScrapeOnce(T(kT0 + 20'000));
  EXPECT_FALSE(r.error.ok());
  EXPECT_THAT(loop->status().last_error, HasSubstr("line 1: invalid timestamp"));
}

TEST_F(ScrapeLoopTest, DecompressesGzipBodies) {
  std::string gz;
  ASSERT_TRUE(http::GzipCompress("a 7\n", 1, &gz).ok());
  FakeResponse resp;
  resp.body = gz;
  resp.content_type = "text/plain";
  resp.headers = {{"Content-Encoding", "gzip"}};
  ServeResponse(resp);
  auto loop = MakeLoop();
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0)).error.ok());
  EXPECT_EQ(ValueAt("a", kT0), 7);
}

TEST_F(ScrapeLoopTest, VanishedSeriesGetStaleMarkers) {
  Serve("a 1\nb 2\nc 3 1699999999000\n");
  auto loop = MakeLoop();
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0)).error.ok());
  Serve("a 1\n");
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0 + 1000)).error.ok());
  EXPECT_TRUE(storage::IsStaleNaN(ValueAt("b", kT0 + 1000)));
  EXPECT_EQ(ValueAt("a", kT0 + 1000), 1);
  // Prometheus compat: samples with explicit timestamps take no part in staleness.
  EXPECT_EQ(Get("c")[0].second.size(), 1u);
  // Only once: b is forgotten after its marker.
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0 + 2000)).error.ok());
  EXPECT_EQ(Get("b")[0].second.size(), 2u);
}

TEST_F(ScrapeLoopTest, FailedScrapeStoresNothingAndMarksEverythingStale) {
  Serve("a 1\nb 2\n");
  auto loop = MakeLoop();
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0)).error.ok());
  FakeResponse err;
  err.status = 500;
  err.body = "a 5\n";
  ServeResponse(err);
  ScrapeResult r = loop->ScrapeOnce(T(kT0 + 1000));
  EXPECT_FALSE(r.error.ok());
  EXPECT_EQ(loop->status().last_error, "server returned HTTP status 500 Internal Server Error");
  EXPECT_EQ(loop->status().health, TargetHealth::kDown);
  EXPECT_TRUE(storage::IsStaleNaN(ValueAt("a", kT0 + 1000)));
  EXPECT_TRUE(storage::IsStaleNaN(ValueAt("b", kT0 + 1000)));
  EXPECT_EQ(ValueAt("up", kT0 + 1000), 0);
  EXPECT_EQ(ValueAt("scrape_samples_scraped", kT0 + 1000), 0);
  // Recovery: the series come back, no second stale marker.
  Serve("a 1\n");
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0 + 2000)).error.ok());
  EXPECT_EQ(ValueAt("a", kT0 + 2000), 1);
  EXPECT_EQ(Get("b")[0].second.size(), 2u);
  EXPECT_EQ(ValueAt("up", kT0 + 2000), 1);
}

TEST_F(ScrapeLoopTest, TimeoutFailsTheScrape) {
  FakeResponse slow;
  slow.body = "a 1\n";
  slow.content_type = "text/plain";
  slow.delay = absl::Seconds(2);
  ServeResponse(slow);
  LoopOptions o;
  o.timeout = absl::Milliseconds(200);
  auto loop = MakeLoop(o);
  const absl::Time start = absl::Now();
  ScrapeResult r = loop->ScrapeOnce(T(kT0));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1.5));
  EXPECT_EQ(loop->status().last_error,
            absl::StrCat("Get \"", server_->url(), "/metrics\": context deadline exceeded"));
  EXPECT_EQ(server_->requests()[0].Header("x-prometheus-scrape-timeout-seconds"), "0.2");
  EXPECT_EQ(ValueAt("up", kT0), 0);
  EXPECT_TRUE(Get("a").empty());
}

TEST_F(ScrapeLoopTest, ConnectionRefusedIsWordedAsPrometheus) {
  const std::string url = server_->url() + "/metrics";
  server_->Stop();
  auto loop = MakeLoop();
  EXPECT_FALSE(loop->ScrapeOnce(T(kT0)).error.ok());
  // Checked against Prometheus 2.42 on loopback: one `Get "<url>": ` prefix.
  EXPECT_EQ(loop->status().last_error,
            absl::StrCat("Get \"", url, "\": dial tcp 127.0.0.1:", server_->port(),
                         ": connect: connection refused"));
}

TEST_F(ScrapeLoopTest, SampleLimitFailsTheWholeScrape) {
  Serve("a 1\nb 2\nc 3\n");
  LoopOptions o;
  o.sample_limit = 2;
  auto loop = MakeLoop(o);
  ScrapeResult r = loop->ScrapeOnce(T(kT0));
  EXPECT_EQ(loop->status().last_error, "sample limit exceeded");
  EXPECT_TRUE(Get("a").empty());
  EXPECT_TRUE(Get("c").empty());
  EXPECT_EQ(ValueAt("up", kT0), 0);
  // Prometheus compat: parsing continues past the limit to report the full count.
  EXPECT_EQ(ValueAt("scrape_samples_scraped", kT0), 3);
  EXPECT_EQ(ValueAt("scrape_samples_post_metric_relabeling", kT0), 3);
  EXPECT_EQ(counters_.sample_limit.load(), 1);
  // Within the limit it scrapes.
  Serve("a 1\nb 2\n");
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0 + 1000)).error.ok());
  EXPECT_EQ(ValueAt("a", kT0 + 1000), 1);
}

TEST_F(ScrapeLoopTest, LabelLimitsFailTheScrape) {
  LoopOptions o;
  o.label_limits.label_limit = 3;  // __name__, instance, job + 1 exposed = 4
  auto loop = MakeLoop(o);
  Serve("ok 1\nmetric{a=\"1\"} 1\n");
  loop->ScrapeOnce(T(kT0));
  EXPECT_EQ(loop->status().last_error,
            "label_limit exceeded (metric: metric, number of labels: 4, limit: 3)");
  EXPECT_TRUE(Get("ok").empty());

  LoopOptions v;
  v.label_limits.label_value_length_limit = 4;
  auto loop2 = MakeLoop(v);
  Serve("m{a=\"toolong\"} 1\n");
  loop2->ScrapeOnce(T(kT0));
  EXPECT_THAT(loop2->status().last_error,
              HasSubstr("label_value_length_limit exceeded (metric: m, label name: "));
}

TEST_F(ScrapeLoopTest, FailingScrapesWithChangingSeriesDoNotGrowTheCacheForever) {
  LoopOptions o;
  o.sample_limit = 1;
  auto loop = MakeLoop(o);
  for (int i = 0; i < 30; ++i) {
    std::string body;
    for (int j = 0; j < 200; ++j) absl::StrAppend(&body, "m{i=\"", i, "\",j=\"", j, "\"} 1\n");
    Serve(body);
    ASSERT_FALSE(loop->ScrapeOnce(T(kT0 + i * 1000)).error.ok());
  }
  // Flushed whenever it passed 2 x 0 + 1000 entries: never more than 1000 + one scrape.
  EXPECT_LE(loop->cache_series_for_testing(), 1200u);
}

TEST_F(ScrapeLoopTest, BodySizeLimit) {
  Serve(std::string(100, '#') + "\na 1\n");
  LoopOptions o;
  o.body_size_limit = 50;
  auto loop = MakeLoop(o);
  loop->ScrapeOnce(T(kT0));
  EXPECT_EQ(loop->status().last_error, "body size limit exceeded");
  EXPECT_EQ(counters_.body_size_limit.load(), 1);
  EXPECT_TRUE(Get("a").empty());
}

TEST_F(ScrapeLoopTest, MalformedExpositionIsAPerTargetErrorAndStoresNothing) {
  struct Case {
    std::string body;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"good 1\nbad{l=\"unterminated} 1\n", "line 2:"},                   // bad escape/quote
      {"good 1\n# TYPE x nonsense\nx 1\n", "line 2:"},                    // wrong TYPE
      {"good 1\nx 1 NaN\n", "line 2: invalid timestamp"},                 // NaN timestamp
      {"good 1\nx{a=\"1\",a=\"2\"} 1\n", "line 2:"},                      // repeated label
      {"good 1\n" + std::string(200000, 'x') + " 1 2 3\n", "line 2:"},    // huge bad line
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 60));
    testutil::TempDir dir;
    auto db = storage::DB::Open(testutil::TestOptions(dir.path()));
    ASSERT_TRUE(db.ok());
    ScrapeLoop loop(db->get(), &fetcher_, &counters_, storage::Labels{{"job", "j"}},
                    server_->url() + "/metrics", std::make_shared<const LoopOptions>());
    Serve(c.body);
    EXPECT_FALSE(loop.ScrapeOnce(T(kT0)).error.ok());
    EXPECT_THAT(loop.status().last_error, HasSubstr(c.error));
    EXPECT_TRUE(testutil::QueryAll(db->get(), testutil::MakeMatchers({{"=", "__name__", "good"}}))
                    .empty());
    auto up = testutil::QueryAll(db->get(), testutil::MakeMatchers({{"=", "__name__", "up"}}));
    ASSERT_EQ(up.size(), 1u);
    EXPECT_EQ(up[0].second[0].v, 0);
  }
}

TEST_F(ScrapeLoopTest, DuplicateSeriesKeepTheFirstSampleAsPrometheus) {
  // Prometheus compat: a repeated series is an ErrDuplicateSampleForTimestamp per sample,
  // counted, and the scrape stays up.
  Serve("a 1\na 2\n");
  auto loop = MakeLoop();
  ScrapeResult r = loop->ScrapeOnce(T(kT0));
  EXPECT_TRUE(r.error.ok()) << r.error;
  EXPECT_EQ(ValueAt("a", kT0), 1);
  EXPECT_EQ(counters_.duplicate.load(), 1);
  EXPECT_EQ(ValueAt("up", kT0), 1);
}

TEST_F(ScrapeLoopTest, TargetLabelsWinUnlessHonorLabels) {
  Serve("a{job=\"exp\",exported_job=\"x\"} 1\n");
  auto loop = MakeLoop();
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0)).error.ok());
  auto a = Get("a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_THAT(a[0].first, HasSubstr("exported_exported_job=\"exp\", exported_job=\"x\""));
  EXPECT_THAT(a[0].first, HasSubstr("job=\"test\""));

  LoopOptions o;
  o.honor_labels = true;
  auto honor = MakeLoop(o);
  Serve("h{job=\"exp\"} 1\n");
  ASSERT_TRUE(honor->ScrapeOnce(T(kT0)).error.ok());
  auto h = Get("h");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_THAT(h[0].first, HasSubstr("job=\"exp\""));
}

TEST_F(ScrapeLoopTest, HonorTimestampsFalseUsesScrapeTime) {
  Serve("a 1 1600000000000\n");
  LoopOptions o;
  o.honor_timestamps = false;
  auto loop = MakeLoop(o);
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0)).error.ok());
  EXPECT_EQ(ValueAt("a", kT0), 1);
}

TEST_F(ScrapeLoopTest, MetricRelabelingDropsAndRewrites) {
  LoopOptions o;
  o.metric_relabel = [](storage::LabelsBuilder& lb) {
    if (lb.Get("__name__") == "drop_me") return false;
    lb.Set("extra", "1");
    return true;
  };
  auto loop = MakeLoop(o);
  Serve("keep 1\ndrop_me 2\n");
  ScrapeResult r = loop->ScrapeOnce(T(kT0));
  ASSERT_TRUE(r.error.ok());
  EXPECT_EQ(r.scraped, 2);
  EXPECT_EQ(r.post_relabel, 1);
  EXPECT_TRUE(Get("drop_me").empty());
  EXPECT_THAT(Get("keep")[0].first, HasSubstr("extra=\"1\""));
  // Cached: the second scrape agrees without relabeling again.
  r = loop->ScrapeOnce(T(kT0 + 1000));
  EXPECT_EQ(r.post_relabel, 1);
  EXPECT_TRUE(Get("drop_me").empty());
}

TEST_F(ScrapeLoopTest, StaleMarkersWhenTheTargetGoesAway) {
  Serve("a 1\n");
  auto loop = MakeLoop();
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0)).error.ok());
  loop->WriteStaleMarkers(T(kT0 + 1000));
  EXPECT_TRUE(storage::IsStaleNaN(ValueAt("a", kT0 + 1000)));
  EXPECT_TRUE(storage::IsStaleNaN(ValueAt("up", kT0 + 1000)));
  EXPECT_TRUE(storage::IsStaleNaN(ValueAt("scrape_series_added", kT0 + 1000)));
}

TEST_F(ScrapeLoopTest, CollectsMetadata) {
  Serve("# HELP a_total Things.\n# TYPE a_total counter\na_total 1\n# TYPE u untyped\nu 1\n");
  auto loop = MakeLoop();
  ASSERT_TRUE(loop->ScrapeOnce(T(kT0)).error.ok());
  std::vector<MetadataEntry> md = loop->MetadataList();
  ASSERT_EQ(md.size(), 2u);
  EXPECT_EQ(md[0].metric, "a_total");
  EXPECT_EQ(md[0].type, "counter");
  EXPECT_EQ(md[0].help, "Things.");
  EXPECT_EQ(md[1].metric, "u");
  EXPECT_EQ(md[1].type, "unknown");
  MetadataEntry one;
  EXPECT_TRUE(loop->GetMetadata("a_total", &one));
  EXPECT_FALSE(loop->GetMetadata("nope", &one));
}

}  // namespace
}  // namespace tally::server::scrape
