// End-to-end tests of `tally serve` (in-process server::Server on a real DB, real HTTP on
// loopback) with real clients: promtool, a Prometheus 2.42 server remote-writing to Tally
// and federating from it, the Grafana data-source request sequence, and hostile input.
// Tests needing a binary skip when it is absent. External processes are polled with a
// bounded deadline (they have no completion signal to wait on).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "storage/ingest/remote_write.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server {
namespace {

using ::testing::HasSubstr;
using tally::testing::ClientResponse;
using tally::testing::HttpClient;
using tally::testing::JsonShape;

bool HaveBinary(const char* p) { return access(p, X_OK) == 0; }

// Runs a command, returns stdout (and exit status via *rc).
std::string RunCommand(const std::string& cmd, int* rc) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  int st = pclose(f);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

int FreePort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(0)});
  return a.local_endpoint().port();
}

class ServeE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<storage::DB>> db =
        storage::DB::Open(testutil::TestOptions(dir_.Sub("data")));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ServerOptions o;
    o.http.listen_address = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o, db_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    base_ = absl::StrCat("http://127.0.0.1:", server_->port());
  }
  void TearDown() override {
    if (prom_pid_ > 0) {
      kill(prom_pid_, SIGTERM);
      int st;
      waitpid(prom_pid_, &st, 0);
    }
    if (server_) server_->Shutdown();
  }

  void Append(const storage::Labels& l, int64_t t, double v) {
    auto app = db_->NewAppender();
    ASSERT_TRUE(app->Append(l, t, v).ok());
    absl::StatusOr<storage::CommitResult> r = app->Commit();
    ASSERT_TRUE(r.ok()) << r.status();
  }
  int64_t CountSamples(const std::string& metric) {
    auto q = db_->NewQuerier(storage::kMinTime, storage::kMaxTime);
    auto m = storage::Matcher::Make(storage::MatchType::kEqual, "__name__", metric);
    auto ss = q->Select({*m});
    if (!ss.ok()) return -1;
    int64_t n = 0;
    for (const auto& s : *ss) {
      std::vector<storage::Sample> v;
      if (s->Samples(storage::kMinTime, storage::kMaxTime, &v).ok()) n += v.size();
    }
    return n;
  }
  ClientResponse Get(const std::string& t) { return HttpClient(server_->port()).Get(t); }

  void StartPrometheus(const std::string& config) {
    const std::string cfg = dir_.Sub("prometheus.yml");
    std::ofstream(cfg) << config;
    prom_pid_ = fork();
    if (prom_pid_ == 0) {
      const std::string log = dir_.Sub("prometheus.log");
      freopen(log.c_str(), "w", stdout);
      freopen(log.c_str(), "a", stderr);
      execl("/usr/bin/prometheus", "prometheus", ("--config.file=" + cfg).c_str(),
            ("--storage.tsdb.path=" + dir_.Sub("promdata")).c_str(),
            ("--web.listen-address=127.0.0.1:" + std::to_string(prom_port_)).c_str(),
            "--web.enable-remote-write-receiver", static_cast<char*>(nullptr));
      _exit(127);
    }
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
  std::unique_ptr<Server> server_;
  std::string base_;
  pid_t prom_pid_ = -1;
  int prom_port_ = 0;
};

TEST_F(ServeE2ETest, PromtoolQueriesSeeWrittenData) {
  if (!HaveBinary("/usr/bin/promtool")) GTEST_SKIP() << "promtool not installed";
  const int64_t now = absl::ToUnixMillis(absl::Now());
  for (int i = 0; i < 5; ++i) {
    Append({{"__name__", "e2e_metric"}, {"job", "e2e"}, {"instance", "a"}},
           now - (4 - i) * 15'000, i * 10);
  }
  int rc;
  std::string out = RunCommand("promtool query instant " + base_ + " 'e2e_metric'", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("e2e_metric{instance=\"a\", job=\"e2e\"} => 40"));
  out = RunCommand(absl::StrCat("promtool query range --start=", (now - 60'000) / 1000, " --end=",
                         now / 1000, " --step=15s ", base_, " 'e2e_metric * 2'"),
            &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("{instance=\"a\", job=\"e2e\"} =>"));
  EXPECT_THAT(out, HasSubstr("60 @["));
  out = RunCommand("promtool query series --match='{job=\"e2e\"}' " + base_, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("{__name__=\"e2e_metric\", instance=\"a\", job=\"e2e\"}"));
  out = RunCommand("promtool query labels " + base_ + " job", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("e2e"));
}

TEST_F(ServeE2ETest, PrometheusRemoteWritesToTallyAndFederatesFromIt) {
  if (!HaveBinary("/usr/bin/prometheus")) GTEST_SKIP() << "prometheus not installed";
  const int64_t now = absl::ToUnixMillis(absl::Now());
  for (int i = 0; i < 3; ++i) {
    Append({{"__name__", "tally_side_metric"}, {"src", "tally"}}, now - (2 - i) * 1000, 42);
  }
  prom_port_ = FreePort();
  StartPrometheus(absl::StrCat(R"(global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prom_self
    static_configs:
      - targets: ['127.0.0.1:)",
                               prom_port_, R"(']
  - job_name: federate_tally
    honor_labels: true
    metrics_path: /federate
    params:
      'match[]': ['{__name__="tally_side_metric"}']
    static_configs:
      - targets: ['127.0.0.1:)",
                               server_->port(), R"(']
remote_write:
  - url: )",
                               base_, R"(/api/v1/write
    queue_config:
      batch_send_deadline: 1s
)"));
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  bool remote_written = false, federated = false;
  while (absl::Now() < deadline && !(remote_written && federated)) {
    if (!remote_written) remote_written = CountSamples("up") > 0 && CountSamples("prometheus_build_info") > 0;
    if (!federated) {
      HttpClient pc(prom_port_);
      ClientResponse r = pc.Get("/api/v1/query?query=tally_side_metric");
      federated = r.ok && absl::StrContains(r.body, "\"src\":\"tally\"") &&
                  absl::StrContains(r.body, "\"42\"");
    }
    if (!(remote_written && federated)) usleep(250'000);
  }
  EXPECT_TRUE(remote_written) << "no remote-written samples arrived";
  EXPECT_TRUE(federated) << "Prometheus did not federate tally_side_metric";
  // What arrived is queryable through Tally's API, with Prometheus's labels.
  ClientResponse r = Get("/api/v1/series?match[]=up%7Bjob%3D%22prom_self%22%7D");
  EXPECT_THAT(r.body, HasSubstr("\"job\":\"prom_self\""));
  EXPECT_THAT(Get("/metrics").body, HasSubstr("tally_remote_write_requests_total{code=\"204\"}"));
}

TEST_F(ServeE2ETest, GrafanaDataSourceSequence) {
  const int64_t now = absl::ToUnixMillis(absl::Now());
  for (int i = 0; i < 10; ++i) {
    Append({{"__name__", "grafana_metric"}, {"job", "g"}}, now - (9 - i) * 15'000, i);
  }
  HttpClient c(server_->port());  // one keep-alive connection, as Grafana uses
  ClientResponse r = c.Get("/api/v1/status/buildinfo");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"version\":\"2.42.0\""));
  r = c.PostForm("/api/v1/query", "query=1%2B1&time=4");
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[4,\"2\"]}}");
  r = c.Get(absl::StrCat("/api/v1/labels?start=", now / 1000 - 3600, "&end=", now / 1000));
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"__name__\",\"job\"]}");
  r = c.Get(absl::StrCat("/api/v1/label/__name__/values?start=", now / 1000 - 3600,
                         "&end=", now / 1000));
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"grafana_metric\"]}");
  r = c.Get(absl::StrCat("/api/v1/series?match%5B%5D=grafana_metric&start=", now / 1000 - 3600,
                         "&end=", now / 1000));
  EXPECT_EQ(r.body,
            "{\"status\":\"success\",\"data\":[{\"__name__\":\"grafana_metric\",\"job\":\"g\"}]}");
  r = c.PostForm("/api/v1/query_range",
                 absl::StrCat("query=sum(grafana_metric)&start=", now / 1000 - 300,
                              "&end=", now / 1000, "&step=15"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonShape::Of(r.body),
            "{status:s,data:{resultType:s,result:[{metric:{},values:[[n]]}]}}");
  r = c.Get("/api/v1/metadata");
  EXPECT_EQ(r.status, 200);
}

TEST_F(ServeE2ETest, HostileInputLeavesServerUpAndDataIntact) {
  const int64_t now = absl::ToUnixMillis(absl::Now());
  Append({{"__name__", "keep_me"}}, now, 7);
  auto write = [&](const std::string& body) {
    return HttpClient(server_->port())
        .Do("POST", "/api/v1/write", body, {{"Content-Encoding", "snappy"}});
  };
  EXPECT_EQ(write("\x01\x02garbage").status, 400);
  std::string proto;
  storage::EncodeWriteRequest({{{{"__name__", "partial"}}, {{now, 1}, {now + 1, 2}}}}, {},
                              &proto);
  proto.resize(proto.size() - 4);
  EXPECT_EQ(write(storage::SnappyCompressBlock(proto)).status, 400);
  EXPECT_EQ(CountSamples("partial"), 0);
  // NaN values are stored; out-of-range timestamps rejected with a reason.
  proto.clear();
  storage::EncodeWriteRequest(
      {{{{"__name__", "nan_metric"}}, {{now, std::numeric_limits<double>::quiet_NaN()}}},
       {{{"__name__", "huge_ts"}}, {{std::numeric_limits<int64_t>::max(), 1}}},
       {{{"__name__", "bad_utf8"}, {"v", "\xc3\x28"}}, {{now, 1}}}},
      {}, &proto);
  ClientResponse r = write(storage::SnappyCompressBlock(proto));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("2 of 3 samples rejected"));
  EXPECT_EQ(CountSamples("nan_metric"), 1);
  EXPECT_EQ(CountSamples("huge_ts"), 0);
  // A 10 MB query: in a URL it exceeds the header limit; in a form body it is evaluated or
  // rejected, never fatal.
  const std::string big(10 << 20, 'a');
  r = HttpClient(server_->port()).Get("/api/v1/query?query=" + big);
  EXPECT_EQ(r.status, 431);
  r = HttpClient(server_->port()).PostForm("/api/v1/query", "query=" + big);
  EXPECT_TRUE(r.status == 200 || r.status == 400 || r.status == 422) << r.status;
  r = HttpClient(server_->port()).PostForm("/api/v1/query", "query=" + std::string(1 << 20, '('));
  EXPECT_EQ(r.status, 400);
  // Unknown parameters are ignored, as Prometheus does.
  r = Get("/api/v1/query?query=keep_me&bogus=1&lookback_delta=1s");
  EXPECT_THAT(r.body, HasSubstr("\"7\""));
  EXPECT_EQ(Get("/-/healthy").status, 200);
  EXPECT_EQ(CountSamples("keep_me"), 1);
}

// The real binary: SIGHUP reloads, SIGTERM exits 0 after persisting what remote write sent.
TEST(ServeBinaryTest, SignalsReloadAndShutDownCleanly) {
  const std::string tally = TALLY_BINARY_DIR "/tally";
  if (!HaveBinary(tally.c_str())) GTEST_SKIP() << "tally binary not built: " << tally;
  testutil::TempDir dir;
  const std::string cfg = dir.Sub("tally.yml");
  std::ofstream(cfg) << "global:\n  scrape_interval: 15s\n";
  const int port = FreePort();
  const std::string log = dir.Sub("serve.log");
  pid_t pid = fork();
  if (pid == 0) {
    freopen(log.c_str(), "w", stderr);
    execl(tally.c_str(), "tally", "serve", ("--config.file=" + cfg).c_str(),
          ("--storage.tsdb.path=" + dir.Sub("data")).c_str(),
          ("--web.listen-address=127.0.0.1:" + std::to_string(port)).c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  bool up = false;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30);
       !up && absl::Now() < deadline; usleep(50'000)) {
    up = HttpClient(port).Get("/-/ready").status == 200;
  }
  ASSERT_TRUE(up) << "tally serve did not come up";
  const int64_t now = absl::ToUnixMillis(absl::Now());
  std::string proto;
  storage::EncodeWriteRequest({{{{"__name__", "persist_me"}}, {{now - 1000, 1}, {now, 2}}}}, {},
                              &proto);
  EXPECT_EQ(HttpClient(port)
                .Do("POST", "/api/v1/write", storage::SnappyCompressBlock(proto),
                    {{"Content-Encoding", "snappy"}})
                .status,
            204);
  std::ofstream(cfg, std::ios::trunc) << "global:\n  scrape_interval: 42s\n";
  kill(pid, SIGHUP);
  bool reloaded = false;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30);
       !reloaded && absl::Now() < deadline; usleep(50'000)) {
    reloaded = absl::StrContains(HttpClient(port).Get("/api/v1/status/config").body,
                                 "scrape_interval: 42s");
  }
  EXPECT_TRUE(reloaded);
  kill(pid, SIGTERM);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
  // Reopen the data dir: both samples are there.
  absl::StatusOr<std::unique_ptr<storage::DB>> db =
      storage::DB::Open(testutil::TestOptions(dir.Sub("data")));
  ASSERT_TRUE(db.ok()) << db.status();
  auto q = (*db)->NewQuerier(storage::kMinTime, storage::kMaxTime);
  auto m = storage::Matcher::Make(storage::MatchType::kEqual, "__name__", "persist_me");
  auto ss = q->Select({*m});
  ASSERT_TRUE(ss.ok());
  ASSERT_EQ(ss->size(), 1u);
  std::vector<storage::Sample> v;
  ASSERT_TRUE((*ss)[0]->Samples(storage::kMinTime, storage::kMaxTime, &v).ok());
  EXPECT_EQ(v.size(), 2u);
}

// A `tally serve` child on a free loopback port; Stop() sends SIGTERM and reaps it.
class ServeProcess {
 public:
  // Starts build/tally serve with `extra` flags; false (with *why) when it is not up in 30 s.
  bool Start(const testutil::TempDir& dir, const std::string& cfg,
             const std::vector<std::string>& extra, std::string* why) {
    const std::string tally = TALLY_BINARY_DIR "/tally";
    port_ = FreePort();
    log_ = dir.Sub("serve.log");
    std::vector<std::string> args = {"tally", "serve", "--config.file=" + cfg,
                                     "--storage.tsdb.path=" + dir.Sub("data"),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      freopen(log_.c_str(), "w", stderr);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(tally.c_str(), argv.data());
      _exit(127);
    }
    for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;
         usleep(50'000)) {
      if (HttpClient(port_).Get("/-/ready").status == 200) return true;
    }
    *why = "tally serve did not come up";
    return false;
  }
  // Waits up to `limit` for the child to exit; its exit code, or -1.
  int Wait(absl::Duration limit) {
    for (const absl::Time deadline = absl::Now() + limit; absl::Now() < deadline; usleep(20'000)) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
    }
    return -1;
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

// Before: /-/quit did not exist and /-/reload needed no flag.
TEST(ServeBinaryTest, QuitNeedsLifecycleFlagAndStopsCleanly) {
  const std::string tally = TALLY_BINARY_DIR "/tally";
  if (!HaveBinary(tally.c_str())) GTEST_SKIP() << "tally binary not built: " << tally;
  testutil::TempDir dir;
  const std::string cfg = dir.Sub("tally.yml");
  std::ofstream(cfg) << "global:\n  scrape_interval: 15s\n";
  {
    ServeProcess p;
    std::string why;
    ASSERT_TRUE(p.Start(dir, cfg, {}, &why)) << why;
    EXPECT_EQ(HttpClient(p.port()).Do("POST", "/-/quit").status, 403);
    EXPECT_EQ(HttpClient(p.port()).Do("POST", "/-/reload").status, 403);
    kill(p.pid(), SIGTERM);
    EXPECT_EQ(p.Wait(absl::Seconds(60)), 0);
  }
  ServeProcess p;
  std::string why;
  ASSERT_TRUE(p.Start(dir, cfg, {"--web.enable-lifecycle"}, &why)) << why;
  ClientResponse r = HttpClient(p.port()).Do("POST", "/-/quit");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Requesting termination... Goodbye!");
  EXPECT_EQ(p.Wait(absl::Seconds(60)), 0);
  EXPECT_THAT(p.Log(), HasSubstr("Received termination request via web service"));
}

// Before: SIGHUP with the config file replaced by a directory loaded an empty config.
TEST(ServeBinaryTest, SighupOfADirectoryKeepsTheRunningConfig) {
  const std::string tally = TALLY_BINARY_DIR "/tally";
  if (!HaveBinary(tally.c_str())) GTEST_SKIP() << "tally binary not built: " << tally;
  testutil::TempDir dir;
  const std::string cfg = dir.Sub("tally.yml");
  std::ofstream(cfg) << "global:\n  external_labels:\n    site: keep-me\n";
  ServeProcess p;
  std::string why;
  ASSERT_TRUE(p.Start(dir, cfg, {}, &why)) << why;
  std::filesystem::remove(cfg);
  std::filesystem::create_directory(cfg);
  kill(p.pid(), SIGHUP);
  bool failed = false;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30);
       !failed && absl::Now() < deadline; usleep(50'000)) {
    failed = absl::StrContains(HttpClient(p.port()).Get("/metrics").body,
                               "\nprometheus_config_last_reload_successful 0\n");
  }
  EXPECT_TRUE(failed) << p.Log();
  EXPECT_THAT(HttpClient(p.port()).Get("/api/v1/status/config").body, HasSubstr("site: keep-me"));
  kill(p.pid(), SIGTERM);
  EXPECT_EQ(p.Wait(absl::Seconds(60)), 0);
}

TEST(ServeBinaryTest, BadCorsRegexIsAUsageError) {
  const std::string tally = TALLY_BINARY_DIR "/tally";
  if (!HaveBinary(tally.c_str())) GTEST_SKIP() << "tally binary not built: " << tally;
  testutil::TempDir dir;
  int rc = 0;
  const std::string out = RunCommand(tally + " serve --storage.tsdb.path=" + dir.Sub("d") +
                                         " --web.listen-address=127.0.0.1:0 "
                                         "'--web.cors.origin=('",
                                     &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("could not compile CORS regex string \"(\""));
}

// Before: a series with 1,000,000 labels was stored (204) and every /api/v1/labels call
// afterwards took 5.7 s and returned 11 MB.
TEST_F(ServeE2ETest, MillionLabelSeriesIsRefusedAndLabelsStaySmall) {
  std::vector<storage::Label> wide = {{"__name__", "wide"}};
  wide.reserve(1'000'001);
  for (int i = 0; i < 1'000'000; ++i) wide.push_back({absl::StrCat("l", i), "v"});
  const int64_t now = absl::ToUnixMillis(absl::Now());
  std::string proto;
  storage::EncodeWriteRequest({{std::move(wide), {{now, 1}}}, {{{"__name__", "ok"}}, {{now, 1}}}},
                              {}, &proto);
  ClientResponse r = HttpClient(server_->port())
                         .Do("POST", "/api/v1/write", storage::SnappyCompressBlock(proto),
                             {{"Content-Encoding", "snappy"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("label_limit exceeded (metric: wide, number of labels: 1000001, "
                                "limit: 128)"));
  EXPECT_EQ(CountSamples("ok"), 1);
  EXPECT_EQ(CountSamples("wide"), 0);
  r = Get("/api/v1/labels");
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"__name__\"]}");
}

}  // namespace
}  // namespace tally::server
