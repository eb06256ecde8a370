// Notifier against fake Alertmanagers on 127.0.0.1 (tests/testutil/fake_http_server.h).
// Waits are bounded: a fake Alertmanager signals each request it receives, and stats are
// polled with a deadline.
#include "rules/notifier/notifier.h"

#include <atomic>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/notifier/alert_json.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/fake_http_server.h"

namespace tally::rules {
namespace {

using ::testing::ElementsAre;
using testutil::FakeHttpServer;
using testutil::FakeRequest;
using testutil::FakeResponse;

constexpr absl::Duration kWait = absl::Seconds(10);

NotifierAlert Alert(const std::string& name) {
  NotifierAlert a;
  a.labels = storage::Labels{{"alertname", name}};
  return a;
}

FakeResponse Status(int code) {
  FakeResponse r;
  r.status = code;
  return r;
}

// alertname of every alert of every request body, one vector per request.
std::vector<std::vector<std::string>> Names(const std::vector<FakeRequest>& reqs) {
  std::vector<std::vector<std::string>> out;
  for (const FakeRequest& r : reqs) {
    std::vector<std::string> names;
    for (const auto& a : nlohmann::json::parse(r.body)) {
      names.push_back(a["labels"]["alertname"].get<std::string>());
    }
    out.push_back(names);
  }
  return out;
}

bool StatsReach(const Notifier& n, const std::function<bool(const NotifierStats&)>& pred) {
  return testutil::PollUntil([&] { return pred(n.Stats()); }, kWait, absl::Milliseconds(5));
}

NotifierOptions Options(std::vector<std::string> urls) {
  NotifierOptions o;
  o.alertmanager_urls = std::move(urls);
  o.timeout = absl::Seconds(5);
  return o;
}

// Checked against a body captured from Prometheus 2.42's notifier (alert rule
// `vector(1)`, external label cluster=c1, Alertmanager replaced by a capturing listener):
//   [{"annotations":{"summary":"value 1"},"endsAt":"2026-12-01T04:00:38.506Z",
//     "startsAt":"2026-12-01T03:55:37.506Z","generatorURL":"http://vm:19794/graph?g0.expr=
//     vector%281%29\u0026g0.tab=1","labels":{"alertname":"Always","cluster":"c1",...}}]
// Same fields, same omissions, same UTC millisecond times truncated from the nanosecond
// activeAt (03:55:37.506679883); Go orders keys by struct field and escapes '&' as \u0026,
// which JSON readers do not distinguish.
TEST(AlertJsonTest, EncodesPostableAlertsLikePrometheus) {
  NotifierAlert a;
  a.labels = storage::Labels{{"alertname", "HighLatency"}, {"severity", "page"}};
  a.annotations = storage::Labels{{"summary", "p99 \"high\"\n"}};
  a.starts_at = absl::FromUnixMillis(1700000000123);
  a.ends_at = absl::FromUnixMillis(1700000300000);
  a.generator_url = "http://tally:9090/graph?g0.expr=up&g0.tab=1";
  NotifierAlert bare;  // no annotations, times or URL: all omitted, labels kept
  EXPECT_EQ(EncodeAlertsV2({a, bare}),
            "[{\"annotations\":{\"summary\":\"p99 \\\"high\\\"\\n\"},"
            "\"endsAt\":\"2023-11-14T22:18:20.000Z\","
            "\"generatorURL\":\"http://tally:9090/graph?g0.expr=up&g0.tab=1\","
            "\"labels\":{\"alertname\":\"HighLatency\",\"severity\":\"page\"},"
            "\"startsAt\":\"2023-11-14T22:13:20.123Z\"},"
            "{\"labels\":{}}]");
  EXPECT_EQ(EncodeAlertsV2({}), "[]");
}

TEST(AlertJsonTest, TimesAreTruncatedToMillisecondsInUtc) {
  // Go's time.Format(".000") truncates: 1.9999 s prints as 1.999.
  EXPECT_EQ(FormatRfc3339Millis(absl::FromUnixMicros(1999900)), "1970-01-01T00:00:01.999Z");
  EXPECT_EQ(FormatRfc3339Millis(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000Z");
}

TEST(AlertJsonTest, InvalidUtf8IsReplacedNotFatal) {
  NotifierAlert a;
  a.labels = storage::Labels{{"alertname", "bad\xff"}};
  EXPECT_EQ(EncodeAlertsV2({a}), "[{\"labels\":{\"alertname\":\"bad\xef\xbf\xbd\"}}]");
}

TEST(NotifierTest, PostsBatchesOfAtMostMaxBatchSizeInOrder) {
  FakeHttpServer am([](const FakeRequest&) { return Status(200); });
  NotifierOptions o = Options({am.url()});
  o.max_batch_size = 2;
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("a0"), Alert("a1"), Alert("a2"), Alert("a3"), Alert("a4")});
  ASSERT_TRUE(am.WaitForRequests(3, kWait));
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) { return s.sent_total == 5; }));
  std::vector<FakeRequest> reqs = am.requests();
  EXPECT_THAT(Names(reqs), ElementsAre(ElementsAre("a0", "a1"), ElementsAre("a2", "a3"),
                                       ElementsAre("a4")));
  for (const FakeRequest& r : reqs) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/api/v2/alerts");
    EXPECT_EQ(r.Header("content-type"), "application/json");
  }
  NotifierStats s = (*n)->Stats();
  EXPECT_EQ(s.errors_total, 0);
  EXPECT_EQ(s.dropped_total, 0);
  EXPECT_EQ(s.queue_length, 0);
  EXPECT_EQ(s.alertmanagers, 1);
}

TEST(NotifierTest, PathPrefixOfTheAlertmanagerUrlIsKept) {
  FakeHttpServer am([](const FakeRequest&) { return Status(200); });
  auto n = Notifier::Start(Options({am.url() + "/am/"}));
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("x")});
  ASSERT_TRUE(am.WaitForRequests(1, kWait));
  EXPECT_EQ(am.requests()[0].path, "/am/api/v2/alerts");
}

TEST(NotifierTest, RetriesServerErrorsUntilDelivered) {
  int calls = 0;
  FakeHttpServer am([&calls](const FakeRequest&) { return Status(++calls <= 2 ? 503 : 200); });
  auto n = Notifier::Start(Options({am.url()}));
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("flaky")});
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) { return s.sent_total == 1; }));
  EXPECT_EQ(am.request_count(), 3);
  EXPECT_THAT(Names(am.requests()), ElementsAre(ElementsAre("flaky"), ElementsAre("flaky"),
                                                ElementsAre("flaky")));
  EXPECT_EQ((*n)->Stats().errors_total, 0);
}

TEST(NotifierTest, ClientErrorsAreNotRetried) {
  FakeHttpServer am([](const FakeRequest&) { return Status(400); });
  auto n = Notifier::Start(Options({am.url()}));
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("rejected"), Alert("rejected2")});
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) { return s.errors_total == 2; }));
  // The failed post has returned: no further request for this batch can come.
  EXPECT_EQ(am.request_count(), 1);
  NotifierStats s = (*n)->Stats();
  EXPECT_EQ(s.sent_total, 0);
  EXPECT_EQ(s.dropped_total, 2);  // reached no Alertmanager
}

TEST(NotifierTest, PersistentServerErrorsGiveUpAtTheTimeout) {
  FakeHttpServer am([](const FakeRequest&) { return Status(500); });
  NotifierOptions o = Options({am.url()});
  o.timeout = absl::Milliseconds(700);
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("down")});
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) { return s.errors_total == 1; }));
  EXPECT_GE(am.request_count(), 2);  // retried with backoff (100, 200 ms, ...)
  EXPECT_LE(am.request_count(), 5);  // but no more than the timeout allows
  EXPECT_EQ((*n)->Stats().dropped_total, 1);
}

// A fake Alertmanager that holds its first request until released, so alerts sent
// meanwhile stay in the notifier's queue.
class HeldAlertmanager {
 public:
  HeldAlertmanager()
      : server_([this](const FakeRequest&) {
          if (first_.exchange(false)) release_.WaitForNotificationWithTimeout(kWait);
          return Status(200);
        }) {}
  ~HeldAlertmanager() { Release(); }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  FakeHttpServer& server() { return server_; }

 private:
  std::atomic<bool> first_{true};
  absl::Notification release_;
  FakeHttpServer server_;
};

TEST(NotifierTest, FullQueueDropsTheOldestQueuedAlerts) {
  HeldAlertmanager am;
  NotifierOptions o = Options({am.server().url()});
  o.queue_capacity = 3;
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("first")});
  ASSERT_TRUE(am.server().WaitForRequests(1, kWait));  // in flight; the queue is empty
  (*n)->Send({Alert("q0"), Alert("q1")});
  (*n)->Send({Alert("q2"), Alert("q3")});  // one over capacity: q0, the oldest, goes
  NotifierStats s = (*n)->Stats();
  EXPECT_EQ(s.dropped_total, 1);
  EXPECT_EQ(s.queue_length, 3);
  am.Release();
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) { return s.sent_total == 4; }));
  EXPECT_THAT(Names(am.server().requests()),
              ElementsAre(ElementsAre("first"), ElementsAre("q1", "q2", "q3")));
}

TEST(NotifierTest, SendLargerThanTheQueueKeepsItsNewestAlerts) {
  HeldAlertmanager am;
  NotifierOptions o = Options({am.server().url()});
  o.queue_capacity = 3;
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("first")});
  ASSERT_TRUE(am.server().WaitForRequests(1, kWait));
  (*n)->Send({Alert("q0")});
  // More than the capacity at once: q4, q5 never enter, and the queued q0 is pushed out.
  (*n)->Send({Alert("q4"), Alert("q5"), Alert("q6"), Alert("q7"), Alert("q8")});
  NotifierStats s = (*n)->Stats();
  EXPECT_EQ(s.dropped_total, 3);
  EXPECT_EQ(s.queue_length, 3);
  am.Release();
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) { return s.sent_total == 4; }));
  EXPECT_THAT(Names(am.server().requests()),
              ElementsAre(ElementsAre("first"), ElementsAre("q6", "q7", "q8")));
}

TEST(NotifierTest, ExternalLabelsFillInMissingAndEmptyLabelsOnly) {
  FakeHttpServer am([](const FakeRequest&) { return Status(200); });
  NotifierOptions o = Options({am.url()});
  o.external_labels = storage::Labels{{"alertname", "ext"}, {"cluster", "c1"}, {"env", "prod"}};
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  NotifierAlert a;
  a.labels = storage::Labels{{"alertname", "Own"}, {"env", ""}, {"severity", "page"}};
  (*n)->Send({a});
  ASSERT_TRUE(am.WaitForRequests(1, kWait));
  nlohmann::json body = nlohmann::json::parse(am.requests()[0].body);
  EXPECT_EQ(body[0]["labels"], nlohmann::json::parse(
                                   R"({"alertname":"Own","cluster":"c1","env":"prod",
                                       "severity":"page"})"));
}

TEST(NotifierTest, PostsToEveryAlertmanagerConcurrently) {
  absl::Notification slow_release;
  FakeHttpServer slow([&slow_release](const FakeRequest&) {
    slow_release.WaitForNotificationWithTimeout(kWait);
    return Status(200);
  });
  FakeHttpServer fast([](const FakeRequest&) { return Status(200); });
  auto n = Notifier::Start(Options({slow.url(), fast.url()}));
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("both")});
  // The fast one is reached while the slow one still holds its request.
  ASSERT_TRUE(fast.WaitForRequests(1, kWait));
  ASSERT_TRUE(slow.WaitForRequests(1, kWait));
  slow_release.Notify();
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) { return s.sent_total == 2; }));
  EXPECT_EQ((*n)->Stats().alertmanagers, 2);
}

TEST(NotifierTest, OneFailingAlertmanagerIsAnErrorButNotADrop) {
  FakeHttpServer bad([](const FakeRequest&) { return Status(404); });
  FakeHttpServer good([](const FakeRequest&) { return Status(200); });
  auto n = Notifier::Start(Options({bad.url(), good.url()}));
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("x")});
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) {
    return s.sent_total == 1 && s.errors_total == 1;
  }));
  EXPECT_EQ((*n)->Stats().dropped_total, 0);
}

TEST(NotifierTest, UnreachableAlertmanagerCountsErrors) {
  NotifierOptions o = Options({absl::StrCat("http://127.0.0.1:", testutil::FreePort())});
  o.timeout = absl::Milliseconds(300);
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("x")});
  ASSERT_TRUE(StatsReach(**n, [](const NotifierStats& s) { return s.errors_total == 1; }));
  EXPECT_EQ((*n)->Stats().dropped_total, 1);
}

TEST(NotifierTest, ApplyConfigSwitchesAlertmanagersAndRejectsBadUrls) {
  FakeHttpServer am1([](const FakeRequest&) { return Status(200); });
  FakeHttpServer am2([](const FakeRequest&) { return Status(200); });
  auto n = Notifier::Start(Options({am1.url()}));
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("one")});
  ASSERT_TRUE(am1.WaitForRequests(1, kWait));

  absl::Status bad = (*n)->ApplyConfig(Options({"am2:9093"}));
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "alertmanager url: parse \"am2:9093\": missing protocol scheme");

  NotifierOptions o = Options({am2.url()});
  o.external_labels = storage::Labels{{"replica", "b"}};
  ASSERT_TRUE((*n)->ApplyConfig(o).ok());
  (*n)->Send({Alert("two")});
  ASSERT_TRUE(am2.WaitForRequests(1, kWait));
  EXPECT_EQ(am1.request_count(), 1);
  EXPECT_EQ(nlohmann::json::parse(am2.requests()[0].body)[0]["labels"]["replica"], "b");
  EXPECT_EQ((*n)->Stats().alertmanagers, 1);
}

TEST(NotifierTest, StartRejectsBadOptions) {
  EXPECT_EQ(Notifier::Start(Options({"http://"})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Notifier::Start(Options({"https://am:9093"})).ok());
  NotifierOptions tls = Options({"https://am:9093"});
  tls.alertmanager_http.emplace_back();
  tls.alertmanager_http[0].first.ca_file = "/nonexistent/ca.pem";
  absl::StatusOr<std::unique_ptr<Notifier>> n = Notifier::Start(tls);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(n.status().message(),
            "alertmanager https://am:9093: error creating HTTP client: unable to load specified "
            "CA cert /nonexistent/ca.pem: open /nonexistent/ca.pem: no such file or directory");
  NotifierOptions o = Options({});
  o.timeout = absl::ZeroDuration();
  EXPECT_EQ(Notifier::Start(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = Options({});
  o.queue_capacity = 0;
  EXPECT_EQ(Notifier::Start(o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NotifierTest, StopFlushesTheQueue) {
  FakeHttpServer am([](const FakeRequest&) {
    FakeResponse r = Status(200);
    r.delay = absl::Milliseconds(50);
    return r;
  });
  NotifierOptions o = Options({am.url()});
  o.max_batch_size = 1;
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("a"), Alert("b"), Alert("c")});
  (*n)->Stop();
  NotifierStats s = (*n)->Stats();
  EXPECT_EQ(s.sent_total, 3);
  EXPECT_EQ(s.queue_length, 0);
  (*n)->Send({Alert("late")});  // after Stop: dropped, counted
  EXPECT_EQ((*n)->Stats().dropped_total, 1);
  (*n)->Stop();  // idempotent
}

TEST(NotifierTest, StopIsBoundedWhenTheAlertmanagerIsDown) {
  FakeHttpServer am([](const FakeRequest&) { return Status(503); });
  NotifierOptions o = Options({am.url()});
  o.timeout = absl::Milliseconds(500);
  o.max_batch_size = 1;
  auto n = Notifier::Start(o);
  ASSERT_TRUE(n.ok()) << n.status();
  (*n)->Send({Alert("a"), Alert("b"), Alert("c"), Alert("d"), Alert("e")});
  absl::Time start = absl::Now();
  (*n)->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  NotifierStats s = (*n)->Stats();
  EXPECT_EQ(s.sent_total, 0);
  EXPECT_EQ(s.dropped_total, 5);  // every alert reached no Alertmanager or stayed queued
}

}  // namespace
}  // namespace tally::rules
