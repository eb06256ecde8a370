// The admin API (/api/v1/admin/tsdb/*) on an in-process server over a real DB: answers as
// Prometheus 2.42 gives them with and without --web.enable-admin-api (captured side by side
// with /usr/bin/prometheus), a snapshot that opens as a data dir of its own (with and without
// the head), and delete_series over head and persisted chunks, surviving a restart.
// Also a `tally serve` started with a Prometheus unit file's command line.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server {
namespace {

using tally::testing::ClientResponse;
using tally::testing::HttpClient;

storage::Labels L(const std::string& name, const std::string& job) {
  return storage::Labels({{"__name__", name}, {"job", job}});
}

std::vector<storage::Sample> SamplesOf(storage::DB* db, const std::string& name,
                                       const std::string& job) {
  auto q = db->NewQuerier(storage::kMinTime, storage::kMaxTime);
  auto ss = q->Select(testutil::MakeMatchers({{"=", "__name__", name}, {"=", "job", job}}));
  std::vector<storage::Sample> v;
  if (!ss.ok() || ss->empty()) return v;
  EXPECT_TRUE((*ss)[0]->Samples(storage::kMinTime, storage::kMaxTime, &v).ok());
  return v;
}

class AdminApiTest : public ::testing::Test {
 protected:
  void Open() {
    absl::StatusOr<std::unique_ptr<storage::DB>> db =
        storage::DB::Open(testutil::TestOptions(dir_.Sub("data")));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  void Serve(bool admin) {
    ServerOptions o;
    o.http.listen_address = "127.0.0.1:0";
    o.api.enable_admin_api = admin;
    o.api.data_dir = dir_.Sub("data");
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o, db_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }
  // 100 samples per series at t = 1000 * i (i = 1..100): a, b in job "x", a in job "y".
  void Fill() {
    auto app = db_->NewAppender();
    for (int i = 1; i <= 100; ++i) {
      for (const auto& l : {L("a", "x"), L("b", "x"), L("a", "y")}) {
        ASSERT_TRUE(app->Append(l, 1000 * i, i).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  ClientResponse Post(const std::string& target) {
    return HttpClient(server_->port()).PostForm(target, "");
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
  std::unique_ptr<Server> server_;
};

TEST_F(AdminApiTest, DisabledAnswersAsPrometheus) {
  Open();
  Serve(false);
  for (const char* e : {"snapshot", "delete_series", "clean_tombstones"}) {
    ClientResponse r = Post(absl::StrCat("/api/v1/admin/tsdb/", e, "?match[]=a"));
    EXPECT_EQ(r.status, 500) << e;
    EXPECT_EQ(r.body,
              "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"admin APIs "
              "disabled\"}")
        << e;
    EXPECT_EQ(HttpClient(server_->port()).Get(absl::StrCat("/api/v1/admin/tsdb/", e)).status,
              405);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("data/snapshots")));
}

TEST_F(AdminApiTest, SnapshotIsRestorableWithAndWithoutHead) {
  Open();
  Fill();
  ASSERT_TRUE(db_->Flush().ok());  // samples 1..100 persisted
  {
    auto app = db_->NewAppender();  // one more, only in the head (and its log)
    ASSERT_TRUE(app->Append(L("a", "x"), 101'000, 101).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  Serve(true);
  ClientResponse with = Post("/api/v1/admin/tsdb/snapshot");
  ASSERT_EQ(with.status, 200) << with.body;
  ClientResponse without = Post("/api/v1/admin/tsdb/snapshot?skip_head=true");
  ASSERT_EQ(without.status, 200) << without.body;
  ClientResponse bad = Post("/api/v1/admin/tsdb/snapshot?skip_head=xyz");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
            "\\\"skip_head\\\": unable to parse boolean: strconv.ParseBool: parsing "
            "\\\"xyz\\\": invalid syntax\"}");
  // {"status":"success","data":{"name":"20261201T063459Z-00211ce44d0a632c"}}
  auto name_of = [](const std::string& body) {
    const std::string key = "\"name\":\"";
    size_t p = body.find(key);
    return body.substr(p + key.size(), body.find('"', p + key.size()) - p - key.size());
  };
  const std::string n1 = name_of(with.body), n2 = name_of(without.body);
  EXPECT_EQ(n1.size(), 33u) << n1;
  EXPECT_EQ(n1[8], 'T');
  EXPECT_EQ(n1[15], 'Z');
  EXPECT_EQ(n1[16], '-');
  EXPECT_NE(n1, n2);
  // The server keeps writing; the snapshots must not change.
  {
    auto app = db_->NewAppender();
    ASSERT_TRUE(app->Append(L("a", "x"), 102'000, 102).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  // Restore: open each snapshot as a data dir (what --storage.tsdb.path=<it> does).
  for (const auto& [name, want] : {std::pair{n1, size_t{101}}, std::pair{n2, size_t{100}}}) {
    const std::string snap = dir_.Sub("data/snapshots/" + name);
    ASSERT_TRUE(std::filesystem::is_directory(snap)) << snap;
    absl::StatusOr<std::unique_ptr<storage::DB>> copy =
        storage::DB::Open(testutil::TestOptions(snap));
    ASSERT_TRUE(copy.ok()) << copy.status();
    EXPECT_EQ(SamplesOf(copy->get(), "a", "x").size(), want) << name;
    EXPECT_EQ(SamplesOf(copy->get(), "a", "y").size(), 100u) << name;
  }
}

TEST_F(AdminApiTest, DeleteSeriesRemovesTheRangeFromHeadAndChunksDurably) {
  Open();
  Fill();
  ASSERT_TRUE(db_->Flush().ok());  // 1..100 in persisted chunks
  {
    auto app = db_->NewAppender();  // 101..120 in the head only
    for (int i = 101; i <= 120; ++i) ASSERT_TRUE(app->Append(L("a", "x"), 1000 * i, i).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  Serve(true);
  ClientResponse r = Post("/api/v1/admin/tsdb/delete_series");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"no match[] parameter "
            "provided\"}");
  r = Post("/api/v1/admin/tsdb/delete_series?match[]=a&start=abc");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
            "\\\"start\\\": Invalid time value for 'start': cannot parse \\\"abc\\\" to a valid "
            "timestamp\"}");
  // Delete a{job="x"} in [50 s, 110 s]: crosses the persisted chunks and the head.
  r = Post("/api/v1/admin/tsdb/delete_series?match[]=a%7Bjob%3D%22x%22%7D&start=50&end=110");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.body, "");
  auto check = [&](storage::DB* db) {
    std::vector<storage::Sample> v = SamplesOf(db, "a", "x");
    ASSERT_EQ(v.size(), 49u + 10u);
    EXPECT_EQ(v[48].t_ms, 49'000);
    EXPECT_EQ(v[49].t_ms, 111'000);
    EXPECT_EQ(v.back().v, 120);
    EXPECT_EQ(SamplesOf(db, "a", "y").size(), 100u);  // other series untouched
    EXPECT_EQ(SamplesOf(db, "b", "x").size(), 100u);
  };
  check(db_.get());
  // New samples after the deleted range still append (the series' order is unchanged).
  {
    auto app = db_->NewAppender();
    ASSERT_TRUE(app->Append(L("a", "x"), 121'000, 121).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  // Everything of b, all time.
  EXPECT_EQ(Post("/api/v1/admin/tsdb/delete_series?match[]=b").status, 204);
  EXPECT_TRUE(SamplesOf(db_.get(), "b", "x").empty());
  EXPECT_EQ(Post("/api/v1/admin/tsdb/clean_tombstones").status, 204);
  // Restart: the log must not bring deleted samples back.
  server_->Shutdown();
  server_.reset();
  db_.reset();
  Open();
  std::vector<storage::Sample> v = SamplesOf(db_.get(), "a", "x");
  EXPECT_EQ(v.size(), 49u + 10u + 1u);
  EXPECT_TRUE(SamplesOf(db_.get(), "b", "x").empty());
  EXPECT_EQ(SamplesOf(db_.get(), "a", "y").size(), 100u);
}

// A systemd unit written for Prometheus 2.42, flags unchanged.
TEST(PrometheusCommandLineTest, TallyServeAcceptsAPrometheusUnitFile) {
  const std::string tally = TALLY_BINARY_DIR "/tally";
  if (access(tally.c_str(), X_OK) != 0) GTEST_SKIP() << "build/tally not built";
  testutil::TempDir dir;
  std::ofstream(dir.Sub("prometheus.yml")) << "global:\n  scrape_interval: 15s\n";
  // An empty web config file is valid (no TLS, no auth), as in Prometheus.
  std::ofstream(dir.Sub("web.yml")) << "";
  const int port = testutil::FreePort();
  auto child = testutil::ChildProcess::Start(
      tally,
      {"serve", "--config.file=" + dir.Sub("prometheus.yml"),
       "--storage.tsdb.path=" + dir.Sub("data"), "--storage.tsdb.retention.time=15d",
       absl::StrCat("--web.listen-address=127.0.0.1:", port),
       "--web.external-url=http://prom.example.com/prom/", "--web.enable-lifecycle",
       "--web.enable-admin-api", "--web.enable-remote-write-receiver",
       "--web.page-title=Example Prometheus", "--query.max-concurrency=4",
       "--enable-feature=exemplar-storage,promql-at-modifier", "--enable-feature=made-up",
       "--web.config.file=" + dir.Sub("web.yml"), "--log.level=info"},
      dir.Sub("serve.log"));
  ASSERT_NE(child, nullptr);
  // The route prefix comes from the external URL's path, as in 2.42.
  bool up = testutil::PollUntil(
      [&] { return HttpClient(port).Get("/prom/-/ready").status == 200; }, absl::Seconds(30));
  ASSERT_TRUE(up) << child->Log();
  EXPECT_EQ(HttpClient(port).Get("/prom/api/v1/query?query=1").status, 200);
  EXPECT_EQ(HttpClient(port).Get("/api/v1/query?query=1").status, 404);
  ClientResponse root = HttpClient(port).Get("/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(root.headers["location"], "/prom");
  ClientResponse flags = HttpClient(port).Get("/prom/api/v1/status/flags");
  EXPECT_TRUE(absl::StrContains(flags.body, "\"query.max-concurrency\":\"4\"")) << flags.body;
  EXPECT_TRUE(absl::StrContains(flags.body, "\"web.page-title\":\"Example Prometheus\""));
  const std::string log = child->Log();
  EXPECT_TRUE(absl::StrContains(log, "Unknown option for --enable-feature\" option=made-up"))
      << log;
  EXPECT_TRUE(absl::StrContains(log, "option=exemplar-storage")) << log;
}

}  // namespace
}  // namespace tally::server
