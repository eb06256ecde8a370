// Remote-write-out and remote read end to end, on loopback with real receivers:
// `tally serve` forwards to a Prometheus 2.42 (--web.enable-remote-write-receiver) and to a
// VictoriaMetrics; both receivers are killed for a while, Tally itself is restarted during the
// outage, and afterwards every sample has arrived exactly once (per-series counts and values
// compared). A Prometheus with remote_read pointed at Tally answers a query over Tally's data,
// and `tally rules eval` uses VictoriaMetrics as its query backend and writes back there.
// Skips when a binary is absent; every wait is bounded.
#include <signal.h>

#include <fstream>
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/ingest/remote_write_encoder.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::tools {
namespace {

using tally::testing::HttpClient;

constexpr char kProm[] = "/usr/bin/prometheus";
constexpr char kVm[] = "/usr/bin/victoria-metrics";

// One sample as compared: "<seconds with ms>,<value, round-trip precision>".
std::string Fmt(double t_s, double v) { return absl::StrFormat("%.3f,%.17g", t_s, v); }

// Remote-writes `series` series x `n` samples (t = t0 + i*1000, v = i + offset) to a receiver.
bool Push(int port, int series, int64_t t0, int n, int first_i) {
  std::vector<storage::RemoteSeriesInput> in;
  for (int s = 0; s < series; ++s) {
    storage::RemoteSeriesInput x;
    x.labels = {{"__name__", "rw_e2e"}, {"s", absl::StrCat("s", s)}};
    for (int i = first_i; i < first_i + n; ++i) {
      x.samples.push_back(storage::Sample{t0 + int64_t{i} * 1000, i * 1.5 + s});
    }
    in.push_back(std::move(x));
  }
  std::string proto;
  storage::EncodeWriteRequest(in, {}, &proto);
  tally::testing::ClientResponse r = HttpClient(port).Do(
      "POST", "/api/v1/write", storage::SnappyCompressBlock(proto),
      {{"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}});
  return r.status == 204;
}

// series -> "t=v" lines from a Prometheus range-vector query result (JSON).
std::map<std::string, std::vector<std::string>> PromSamples(int port, int64_t at_ms) {
  std::map<std::string, std::vector<std::string>> out;
  const std::string body =
      HttpClient(port)
          .Get(absl::StrCat("/api/v1/query?query=rw_e2e%5B1h%5D&time=", at_ms / 1000))
          .body;
  // {"metric":{"__name__":"rw_e2e","s":"s0"},"values":[[1700000000.5,"1.5"],...]}
  for (absl::string_view part : absl::StrSplit(body, "{\"metric\":")) {
    const size_t s = part.find("\"s\":\"");
    const size_t v = part.find("\"values\":[");
    if (s == absl::string_view::npos || v == absl::string_view::npos) continue;
    const std::string name(part.substr(s + 5, part.find('"', s + 5) - s - 5));
    absl::string_view vals = part.substr(v + 10, part.find("]]", v) - v - 10);
    for (absl::string_view pair : absl::StrSplit(vals, "],[")) {
      std::string p(pair);
      p.erase(std::remove(p.begin(), p.end(), '['), p.end());
      p.erase(std::remove(p.begin(), p.end(), '"'), p.end());
      out[name].push_back(p);
    }
  }
  return out;
}

// series -> "t=v" from VictoriaMetrics' /api/v1/export (one JSON line per series).
std::map<std::string, std::vector<std::string>> VmSamples(int port, const std::string& match) {
  std::map<std::string, std::vector<std::string>> out;
  const std::string body =
      HttpClient(port).Get(absl::StrCat("/api/v1/export?match%5B%5D=", match)).body;
  for (absl::string_view line : absl::StrSplit(body, '\n', absl::SkipEmpty())) {
    const size_t s = line.find("\"s\":\"");
    const size_t v = line.find("\"values\":[");
    const size_t t = line.find("\"timestamps\":[");
    if (v == absl::string_view::npos || t == absl::string_view::npos) continue;
    const std::string name =
        s == absl::string_view::npos ? std::string("")
                                     : std::string(line.substr(s + 5, line.find('"', s + 5) - s - 5));
    std::vector<std::string> vs = absl::StrSplit(line.substr(v + 10, line.find(']', v) - v - 10), ',');
    std::vector<std::string> ts = absl::StrSplit(line.substr(t + 14, line.find(']', t) - t - 14), ',');
    for (size_t i = 0; i < vs.size() && i < ts.size(); ++i) {
      out[name].push_back(Fmt(std::stod(ts[i]) / 1000.0, std::stod(vs[i])));
    }
  }
  return out;
}

// What Tally must have forwarded: the same "t,v" strings as PromSamples prints them.
std::map<std::string, std::vector<std::string>> Expected(int series, int64_t t0, int n) {
  std::map<std::string, std::vector<std::string>> out;
  for (int s = 0; s < series; ++s) {
    for (int i = 0; i < n; ++i) {
      out[absl::StrCat("s", s)].push_back(Fmt((t0 + int64_t{i} * 1000) / 1000.0, i * 1.5 + s));
    }
  }
  return out;
}

// Normalises Prometheus's "1700000000.5,1.5" strings through doubles, as Expected() prints.
std::map<std::string, std::vector<std::string>> Normalise(
    const std::map<std::string, std::vector<std::string>>& in) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [k, vs] : in) {
    for (const std::string& p : vs) {
      std::vector<std::string> tv = absl::StrSplit(p, ',');
      if (tv.size() != 2) continue;
      out[k].push_back(Fmt(std::stod(tv[0]), std::stod(tv[1])));
    }
  }
  return out;
}

class Receivers {
 public:
  explicit Receivers(testutil::TempDir* dir) : dir_(dir) {}
  int prom_port = testutil::FreePort();
  int vm_port = testutil::FreePort();
  void StartProm() {
    std::ofstream(dir_->Sub("recv.yml")) << "global: {}\n";
    prom = testutil::ChildProcess::Start(
        kProm,
        {"--config.file=" + dir_->Sub("recv.yml"), "--storage.tsdb.path=" + dir_->Sub("recvdata"),
         absl::StrCat("--web.listen-address=127.0.0.1:", prom_port),
         "--web.enable-remote-write-receiver"},
        dir_->Sub("recv.log"));
  }
  void StartVm() {
    vm = testutil::ChildProcess::Start(
        kVm,
        {"-storageDataPath=" + dir_->Sub("vmdata"), absl::StrCat("-httpListenAddr=127.0.0.1:", vm_port),
         "-retentionPeriod=1", "-search.latencyOffset=0s", "-loggerLevel=ERROR"},
        dir_->Sub("vm.log"));
  }
  bool Ready() {
    return HttpClient(prom_port).Get("/-/ready").status == 200 &&
           HttpClient(vm_port).Get("/health").status == 200;
  }
  std::unique_ptr<testutil::ChildProcess> prom, vm;

 private:
  testutil::TempDir* dir_;
};

std::unique_ptr<testutil::ChildProcess> StartTally(testutil::TempDir& dir, int port,
                                                   const std::string& log) {
  return testutil::ChildProcess::Start(
      TALLY_BINARY_DIR "/tally",
      {"serve", "--config.file=" + dir.Sub("tally.yml"), "--storage.tsdb.path=" + dir.Sub("tallydata"),
       absl::StrCat("--web.listen-address=127.0.0.1:", port)},
      dir.Sub(log));
}

void StopChild(std::unique_ptr<testutil::ChildProcess>& c) {
  if (c == nullptr) return;
  kill(c->pid(), SIGTERM);
  testutil::PollUntil([&] { return !c->Running(); }, absl::Seconds(20));
  c.reset();  // SIGKILLs if still running
}

TEST(RemoteWriteE2ETest, ForwardsEverySampleExactlyOnceAcrossReceiverOutageAndTallyRestart) {
  if (!testutil::HaveBinary(kProm)) GTEST_SKIP() << "prometheus not installed";
  if (!testutil::HaveBinary(kVm)) GTEST_SKIP() << "victoria-metrics not installed";
  testutil::TempDir dir;
  Receivers rx(&dir);
  rx.StartProm();
  rx.StartVm();
  ASSERT_TRUE(testutil::PollUntil([&] { return rx.Ready(); }, absl::Seconds(30)))
      << rx.prom->Log() << rx.vm->Log();
  const int tally_port = testutil::FreePort();
  std::ofstream(dir.Sub("tally.yml")) << absl::StrCat(
      "remote_write:\n"
      "- url: http://127.0.0.1:", rx.prom_port, "/api/v1/write\n  name: prom\n"
      "  queue_config: {batch_send_deadline: 100ms, max_samples_per_send: 200, min_backoff: 10ms,"
      " max_backoff: 200ms}\n"
      "- url: http://127.0.0.1:", rx.vm_port, "/api/v1/write\n  name: vm\n"
      "  queue_config: {batch_send_deadline: 100ms, max_samples_per_send: 200, min_backoff: 10ms,"
      " max_backoff: 200ms}\n");
  auto tally = StartTally(dir, tally_port, "tally1.log");
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return HttpClient(tally_port).Get("/-/ready").status == 200; }, absl::Seconds(30)))
      << tally->Log();

  const int kSeries = 10;
  const int64_t t0 = (absl::ToUnixMillis(absl::Now()) - 20 * 60 * 1000) / 1000 * 1000;
  // Phase 1: receivers up.
  ASSERT_TRUE(Push(tally_port, kSeries, t0, 200, 0));
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return PromSamples(rx.prom_port, t0 + 1'000'000)["s9"].size() == 200; },
      absl::Seconds(30)))
      << tally->Log();
  // Phase 2: both receivers down; Tally keeps acknowledging writes, then restarts.
  StopChild(rx.prom);
  StopChild(rx.vm);
  ASSERT_TRUE(Push(tally_port, kSeries, t0, 200, 200));
  absl::SleepFor(absl::Seconds(1));  // a few failed attempts
  StopChild(tally);
  tally = StartTally(dir, tally_port, "tally2.log");
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return HttpClient(tally_port).Get("/-/ready").status == 200; }, absl::Seconds(30)))
      << tally->Log();
  ASSERT_TRUE(Push(tally_port, kSeries, t0, 200, 400));
  absl::SleepFor(absl::Seconds(1));
  // Phase 3: receivers back.
  rx.StartProm();
  rx.StartVm();
  ASSERT_TRUE(testutil::PollUntil([&] { return rx.Ready(); }, absl::Seconds(30)));
  const auto want = Expected(kSeries, t0, 600);
  std::map<std::string, std::vector<std::string>> prom_got, vm_got;
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        prom_got = Normalise(PromSamples(rx.prom_port, t0 + 1'000'000));
        return prom_got == want;
      },
      absl::Seconds(60)))
      << "prometheus has " << prom_got["s0"].size() << " samples of s0; " << tally->Log();
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        vm_got = VmSamples(rx.vm_port, "rw_e2e");
        return vm_got == want;
      },
      absl::Seconds(60)))
      << "victoria-metrics has " << vm_got["s0"].size() << " samples of s0; " << tally->Log();
  const std::string metrics = HttpClient(tally_port).Get("/metrics").body;
  EXPECT_TRUE(absl::StrContains(metrics, "prometheus_remote_storage_samples_total{remote_name=\"vm\""))
      << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "prometheus_remote_storage_samples_dropped_total{remote_name=\"prom\",url=\"http://127.0.0.1:" +
                                             std::to_string(rx.prom_port) + "/api/v1/write\"} 0\n"))
      << metrics;
}

TEST(RemoteWriteE2ETest, PrometheusRemoteReadsTallysData) {
  if (!testutil::HaveBinary(kProm)) GTEST_SKIP() << "prometheus not installed";
  testutil::TempDir dir;
  const int tally_port = testutil::FreePort();
  std::ofstream(dir.Sub("tally.yml")) << "global: {external_labels: {site: a}}\n";
  auto tally = StartTally(dir, tally_port, "tally.log");
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return HttpClient(tally_port).Get("/-/ready").status == 200; }, absl::Seconds(30)));
  const int64_t t0 = (absl::ToUnixMillis(absl::Now()) - 10 * 60 * 1000) / 1000 * 1000;
  ASSERT_TRUE(Push(tally_port, 3, t0, 100, 0));
  const int prom_port = testutil::FreePort();
  std::ofstream(dir.Sub("prom.yml")) << absl::StrCat(
      "remote_read:\n- url: http://127.0.0.1:", tally_port, "/api/v1/read\n  read_recent: true\n");
  auto prom = testutil::ChildProcess::Start(
      kProm,
      {"--config.file=" + dir.Sub("prom.yml"), "--storage.tsdb.path=" + dir.Sub("promdata"),
       absl::StrCat("--web.listen-address=127.0.0.1:", prom_port)},
      dir.Sub("prom.log"));
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return HttpClient(prom_port).Get("/-/ready").status == 200; }, absl::Seconds(30)));
  std::map<std::string, std::vector<std::string>> got;
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        got = Normalise(PromSamples(prom_port, t0 + 200'000));
        return got == Expected(3, t0, 100);
      },
      absl::Seconds(30)))
      << got["s0"].size() << " " << prom->Log();
  // The external label is added to the results (and an equality matcher on it is dropped).
  const std::string body =
      HttpClient(prom_port)
          .Get(absl::StrCat("/api/v1/query?query=sum%20by%20(site)(rw_e2e%7Bsite%3D%22a%22%7D)&time=",
                            (t0 + 50'000) / 1000))
          .body;
  EXPECT_TRUE(absl::StrContains(body, "\"site\":\"a\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"value\":[")) << body;
}

TEST(RemoteWriteE2ETest, RulesEvalAgainstVictoriaMetricsWritesResultsBack) {
  if (!testutil::HaveBinary(kVm)) GTEST_SKIP() << "victoria-metrics not installed";
  testutil::TempDir dir;
  Receivers rx(&dir);
  rx.StartVm();
  ASSERT_TRUE(testutil::PollUntil(
      [&] { return HttpClient(rx.vm_port).Get("/health").status == 200; }, absl::Seconds(30)));
  // Recent data for the rule to see (VictoriaMetrics looks back from the evaluation time).
  const int64_t now = absl::ToUnixMillis(absl::Now()) / 1000 * 1000;
  ASSERT_TRUE(Push(rx.vm_port, 3, now - 120'000, 121, 0));
  std::ofstream(dir.Sub("rules.yml"))
      << "groups:\n- name: e\n  interval: 1s\n  rules:\n  - record: rw_e2e:count\n"
         "    expr: count(rw_e2e)\n";
  auto eval = testutil::ChildProcess::Start(
      TALLY_BINARY_DIR "/tally",
      {"rules", "eval", absl::StrCat("--query.url=http://127.0.0.1:", rx.vm_port),
       absl::StrCat("--remote-write.url=http://127.0.0.1:", rx.vm_port, "/api/v1/write"),
       "--eval-interval=1s", dir.Sub("rules.yml")},
      dir.Sub("eval.log"));
  ASSERT_NE(eval, nullptr);
  std::map<std::string, std::vector<std::string>> got;
  EXPECT_TRUE(testutil::PollUntil(
      [&] {
        got = VmSamples(rx.vm_port, "rw_e2e:count");
        return !got[""].empty();
      },
      absl::Seconds(60)))
      << eval->Log();
  ASSERT_FALSE(got[""].empty());
  EXPECT_TRUE(absl::EndsWith(got[""].front(), ",3")) << got[""].front();
  kill(eval->pid(), SIGTERM);
  EXPECT_TRUE(testutil::PollUntil([&] { return !eval->Running(); }, absl::Seconds(20)));
}

}  // namespace
}  // namespace tally::tools
