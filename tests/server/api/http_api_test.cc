// End-to-end tests of the HTTP API over real loopback HTTP, against an in-memory FakeDB
// holding series shaped like the data set of Prometheus 2.42's captured responses, so most
// bodies can be compared byte for byte with ../shared/compliance/prometheus-2.42-responses.
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "storage/ingest/remote_write.h"
#include "tests/server/fake_db.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server {
namespace {

using tally::testing::ClientResponse;
using tally::testing::HttpClient;
using tally::testing::JsonShape;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kT = 1735686000000;  // the goldens' evaluation time

std::string GoldenDir() {
  return TALLY_SOURCE_DIR "/../shared/compliance/prometheus-2.42-responses/";
}

std::string ReadFile(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const storage::Labels base = {{"instance", "127.0.0.1:8000"}, {"job", "llm-cost-tracker"}};
    auto with = [&](std::initializer_list<std::pair<absl::string_view, absl::string_view>> extra) {
      storage::LabelsBuilder b(base);
      for (const auto& [k, v] : extra) b.Set(k, v);
      return b.Build();
    };
    const storage::Labels chatbot =
        with({{"__name__", "llm_cost_tracker_daily_budget_limit"}, {"application", "chatbot"}});
    for (int64_t back : {60'000, 45'000, 30'000, 15'000}) db_.Add(chatbot, kT - back, 300);
    for (const char* app : {"chatbot", "code-assistant", "search", "summarizer"}) {
      db_.Add(with({{"__name__", "llm_cost_tracker_daily_budget_limit"}, {"application", app}}),
              kT, 300);
    }
    db_.Add(with({{"__name__", "up"}}), kT, 1);
    for (const char* name :
         {"llm_cost_tracker_cache_hit_ratio", "llm_cost_tracker_completion_tokens_total",
          "llm_cost_tracker_concurrent_requests", "llm_cost_tracker_cpu_usage_ratio",
          "llm_cost_tracker_database_connections", "llm_cost_tracker_memory_usage_bytes",
          "llm_cost_tracker_monthly_budget_limit", "llm_cost_tracker_prompt_tokens_total",
          "llm_cost_tracker_request_duration_seconds_count",
          "llm_cost_tracker_request_duration_seconds_sum", "llm_cost_tracker_total_cost_usd"}) {
      db_.Add(with({{"__name__", name}, {"model", "gpt-4o"}}), kT, 2);
    }
    db_.Add(with({{"__name__", "llm_cost_tracker_errors_total"}, {"model", "gpt-4o"},
                  {"type", "api_error"}}),
            kT, 3);
    db_.Add(with({{"__name__", "llm_cost_tracker_request_duration_seconds_bucket"},
                  {"le", "0.5"}, {"model", "gpt-4o"}}),
            kT, 4);
    db_.Add(with({{"__name__", "llm_cost_tracker_requests_total"}, {"model", "gpt-4o"},
                  {"status", "ok"}, {"user_id", "u1"}}),
            kT, 5);
    config_path_ = dir_.Sub("tally.yml");
    WriteConfig("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n");
    Start();
  }

  void WriteConfig(const std::string& text) {
    std::ofstream out(config_path_, std::ios::trunc);
    out << text;
  }

  void Start() {
    ServerOptions o;
    o.config_file = config_path_;
    o.http.listen_address = "127.0.0.1:0";
    o.http.max_body_bytes = 1 << 20;
    o.api.flags = {{"query.timeout", "2m"}, {"storage.tsdb.path", "data/"}};
    o.api.enable_lifecycle = true;  // StatusConfigShowsDefaultsAndReloads posts /-/reload
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o, &db_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  ClientResponse Get(const std::string& target) { return HttpClient(server_->port()).Get(target); }
  ClientResponse Post(const std::string& target, const std::string& form) {
    return HttpClient(server_->port()).PostForm(target, form);
  }
  // Compares with a golden body (byte for byte), skipping when the shared data is absent.
  void ExpectGolden(const ClientResponse& r, const std::string& name, int status = 200) {
    const std::string path = GoldenDir() + name;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared compliance data absent: " << path;
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.body, ReadFile(path));
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
  }
  void ExpectShape(const ClientResponse& r, const std::string& name, bool map_keys = false) {
    const std::string path = GoldenDir() + name;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared compliance data absent: " << path;
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(JsonShape::Of(r.body, map_keys), JsonShape::Of(ReadFile(path), map_keys)) << r.body;
  }

  testutil::TempDir dir_;
  std::string config_path_;
  tally::testing::FakeDB db_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpApiTest, LabelsMatchPrometheusBytes) { ExpectGolden(Get("/api/v1/labels"), "labels.json"); }

TEST_F(HttpApiTest, LabelsPostWithMatchMatchPrometheusBytes) {
  ExpectGolden(Post("/api/v1/labels", "match[]=llm_cost_tracker_daily_budget_limit"),
               "labels_match.json");
}

TEST_F(HttpApiTest, NameValuesMatchPrometheusBytes) {
  ExpectGolden(Get("/api/v1/label/__name__/values"), "label_name_values.json");
}

TEST_F(HttpApiTest, LabelValuesWithMatchMatchPrometheusBytes) {
  ExpectGolden(Get("/api/v1/label/application/values?match[]=llm_cost_tracker_daily_budget_limit"),
               "label_values_match.json");
}

TEST_F(HttpApiTest, SeriesMatchPrometheusBytes) {
  ExpectGolden(Get("/api/v1/series?match%5B%5D=llm_cost_tracker_daily_budget_limit&start=0"),
               "series.json");
}

TEST_F(HttpApiTest, SeriesPostWithTwoMatchersMatchPrometheusBytes) {
  ExpectGolden(Post("/api/v1/series",
                    "match[]=llm_cost_tracker_daily_budget_limit%7Bapplication%3D%22chatbot%22%7D"
                    "&match[]=up"),
               "series_post.json");
}

TEST_F(HttpApiTest, SeriesWithoutMatchIsBadData) {
  ExpectGolden(Get("/api/v1/series"), "series_no_match.json", 400);
}

TEST_F(HttpApiTest, SeriesErrorsUseprometheusWording) {
  ClientResponse r = Get("/api/v1/series?match[]=%7Bjob%3D~%22.*%22%7D");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
            "\\\"match[]\\\": match[] must contain at least one non-empty matcher\"}");
  r = Get("/api/v1/series?match[]=up&start=abc");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("invalid parameter \\\"start\\\": Invalid time value for "
                                "'start': cannot parse \\\"abc\\\" to a valid timestamp"));
  r = Get("/api/v1/series?match[]=rate(x%5B5m%5D)");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("invalid parameter \\\"match[]\\\": 1:5: parse error"));
  // Outside the time range: no series.
  r = Get("/api/v1/series?match[]=up&start=0&end=1");
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[]}");
}

TEST_F(HttpApiTest, LabelsMatchErrorsAreNotWrapped) {
  ClientResponse r = Get("/api/v1/labels?match[]=%7Bjob%3D~%22.*%22%7D");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("\"error\":\"match[] must contain at least one non-empty matcher\""));
  r = Get("/api/v1/label/a-b/values");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("\"error\":\"invalid label name: \\\"a-b\\\"\""));
  r = Get("/api/v1/label/nope/values");
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[]}");
}

TEST_F(HttpApiTest, MetadataEmptyAndFilled) {
  ExpectGolden(Get("/api/v1/metadata"), "metadata.json");
  ExpectGolden(Get("/api/v1/metadata?metric=up"), "metadata_metric.json");
  ASSERT_TRUE(db_.SetMetadata("up", {"gauge", "Target up", ""}).ok());
  ASSERT_TRUE(db_.SetMetadata("zz_total", {"counter", "z <x>", "s"}).ok());
  EXPECT_EQ(Get("/api/v1/metadata").body,
            "{\"status\":\"success\",\"data\":{\"up\":[{\"type\":\"gauge\",\"help\":\"Target "
            "up\",\"unit\":\"\"}],\"zz_total\":[{\"type\":\"counter\",\"help\":\"z "
            "\\u003cx\\u003e\",\"unit\":\"s\"}]}}");
  EXPECT_EQ(Get("/api/v1/metadata?limit=1").body,
            "{\"status\":\"success\",\"data\":{\"up\":[{\"type\":\"gauge\",\"help\":\"Target "
            "up\",\"unit\":\"\"}]}}");
  ClientResponse r = Get("/api/v1/metadata?limit=x");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("limit must be a number"));
}

TEST_F(HttpApiTest, QueryExemplarsIsEmptyOr204) {
  ExpectGolden(Get("/api/v1/query_exemplars?query=up"), "query_exemplars.json");
  ClientResponse r = Get("/api/v1/query_exemplars?query=1%2B1");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  r = Get("/api/v1/query_exemplars?query=up&start=10&end=5");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("end timestamp must not be before start timestamp"));
}

TEST_F(HttpApiTest, StatusEndpointsHavePrometheusShapes) {
  ExpectShape(Get("/api/v1/status/buildinfo"), "status_buildinfo.json");
  ExpectShape(Get("/api/v1/status/config"), "status_config.json");
  ExpectShape(Get("/api/v1/status/flags"), "status_flags.json", /*map_keys=*/true);
  ExpectShape(Get("/api/v1/status/runtimeinfo"), "status_runtimeinfo.json");
  ExpectShape(Get("/api/v1/status/tsdb"), "status_tsdb.json", false);
  ExpectGolden(Get("/api/v1/targets"), "targets.json");
  ExpectGolden(Get("/api/v1/alertmanagers"), "alertmanagers.json");
  ExpectGolden(Get("/api/v1/targets/metadata"), "targets_metadata.json");
}

TEST_F(HttpApiTest, StatusConfigShowsDefaultsAndReloads) {
  ClientResponse r = Get("/api/v1/status/config");
  EXPECT_EQ(r.body,
            "{\"status\":\"success\",\"data\":{\"yaml\":\"global:\\n  scrape_interval: 15s\\n  "
            "scrape_timeout: 10s\\n  evaluation_interval: 15s\\n\"}}");
  WriteConfig("global:\n  scrape_interval: 30s\n");
  r = Post("/-/reload", "");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(Get("/api/v1/status/config").body, HasSubstr("scrape_interval: 30s"));
  // A broken file is rejected and the previous config stays.
  WriteConfig("global:\n  scrape_interval: 30s\n  foo: 1\n");
  r = Post("/-/reload", "");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("field foo not found in type config.plain"));
  EXPECT_THAT(Get("/api/v1/status/config").body, HasSubstr("scrape_interval: 30s"));
  EXPECT_THAT(Get("/api/v1/status/runtimeinfo").body, HasSubstr("\"reloadConfigSuccess\":false"));
  EXPECT_THAT(Get("/metrics").body, HasSubstr("tally_config_last_reload_successful 0\n"));
}

TEST_F(HttpApiTest, StatusTsdbCountsSeries) {
  ClientResponse r = Get("/api/v1/status/tsdb");
  EXPECT_THAT(r.body, HasSubstr("\"numSeries\":19,"));
  EXPECT_THAT(r.body, HasSubstr("{\"name\":\"llm_cost_tracker_daily_budget_limit\",\"value\":4}"));
}

TEST_F(HttpApiTest, RulesAndAlertsAreEmpty) {
  EXPECT_EQ(Get("/api/v1/rules").body, "{\"status\":\"success\",\"data\":{\"groups\":[]}}");
  EXPECT_EQ(Get("/api/v1/rules?type=ALERT").status, 200);
  ClientResponse r = Get("/api/v1/rules?type=foo");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
            "\\\"type\\\": not supported value \\\"foo\\\"\"}");
  EXPECT_EQ(Get("/api/v1/alerts").body, "{\"status\":\"success\",\"data\":{\"alerts\":[]}}");
}

TEST_F(HttpApiTest, RangeQueryValidationUsesPrometheusTexts) {
  ExpectGolden(Get("/api/v1/query_range?query=up&start=1&end=2&step=0"),
               "query_range_bad_step.json", 400);
  auto err = [&](const std::string& target) {
    ClientResponse r = Get(target);
    EXPECT_EQ(r.status, 400) << target;
    return r.body;
  };
  EXPECT_THAT(err("/api/v1/query_range?query=up&start=abc&end=2&step=1"),
              HasSubstr("invalid parameter \\\"start\\\": cannot parse \\\"abc\\\" to a valid "
                        "timestamp"));
  EXPECT_THAT(err("/api/v1/query_range?query=up&end=2&step=1"),
              HasSubstr("cannot parse \\\"\\\" to a valid timestamp"));
  EXPECT_THAT(err("/api/v1/query_range?query=up&start=5&end=2&step=1"),
              HasSubstr("invalid parameter \\\"end\\\": end timestamp must not be before start "
                        "time"));
  EXPECT_THAT(err("/api/v1/query_range?query=up&start=1&end=2&step=x"),
              HasSubstr("invalid parameter \\\"step\\\": cannot parse \\\"x\\\" to a valid "
                        "duration"));
  EXPECT_THAT(err("/api/v1/query_range?query=up&start=0&end=11001&step=1"),
              HasSubstr("\"error\":\"exceeded maximum resolution of 11,000 points per "
                        "timeseries. Try decreasing the query resolution (?step=XX)\""));
  EXPECT_THAT(err("/api/v1/query_range?query=up&start=0&end=1&step=1&timeout=abc"),
              HasSubstr("invalid parameter \\\"timeout\\\": cannot parse \\\"abc\\\" to a valid "
                        "duration"));
  EXPECT_THAT(err("/api/v1/query_range?query=up%5B5m%5D&start=0&end=1&step=1"),
              HasSubstr("invalid expression type \\\"range vector\\\" for range query, must be "
                        "Scalar or instant Vector"));
  // 11,000 steps (11,001 points) pass validation.
  EXPECT_NE(Get("/api/v1/query_range?query=up&start=0&end=11000&step=1").status, 400);
  // A sub-millisecond step is rejected with 400 (Prometheus 2.42 fails with 422 later).
  EXPECT_THAT(err("/api/v1/query_range?query=up&start=0&end=1&step=0.0005"),
              HasSubstr("zero or negative query resolution step widths"));
}

TEST_F(HttpApiTest, InstantQueryParameterErrors) {
  ClientResponse r = Get("/api/v1/query?query=up&time=abc");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("invalid parameter \\\"time\\\": Invalid time value for 'time': "
                                "cannot parse \\\"abc\\\" to a valid timestamp"));
  r = Get("/api/v1/query?query=(1");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
                                "\\\"query\\\": 1:"));
  r = Get("/api/v1/query");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("invalid parameter \\\"query\\\""));
}

TEST_F(HttpApiTest, InstantQueriesMatchPrometheusBytes) {
  ExpectGolden(Post("/api/v1/query", "query=up&time=1735686000"), "query_instant_post.json");
  ExpectGolden(Get("/api/v1/query?query=1&time=1735686000"), "query_scalar.json");
  ExpectGolden(Get("/api/v1/query?query=%22hello%22&time=1735686000"), "query_string.json");
  ExpectGolden(Get("/api/v1/query?query=llm_cost_tracker_daily_budget_limit%7Bapplication%3D"
                   "%22chatbot%22%7D%5B1m%5D&time=1735686000"),
               "query_matrix_literal.json");
  ExpectGolden(Get("/api/v1/format_query?query=sum(rate(llm_cost_tracker_requests_total%7Bstatus"
                   "%3D%22error%22%7D%5B5m%5D))%20by%20(model)"),
               "format_query.json");
  ClientResponse fe = Get("/api/v1/format_query?query=foo%7B");
  EXPECT_EQ(fe.status, 400);
  EXPECT_EQ(fe.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter "
            "\\\"query\\\": 1:5: parse error: unexpected end of input inside braces\"}");
  // Grafana's health check (HTTP_API.md §0).
  EXPECT_EQ(Post("/api/v1/query", "query=1%2B1&time=4").body,
            "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[4,\"2\"]}}");
  ClientResponse r = Post("/api/v1/query", "query=1+1&time=4");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("invalid parameter \\\"query\\\": 1:3: parse error: unexpected number"));
}

TEST_F(HttpApiTest, RangeQueryHasPrometheusShape) {
  ExpectShape(Post("/api/v1/query_range",
                   "query=sum%20by%20(application)%20(llm_cost_tracker_daily_budget_limit)"
                   "&start=1735685700&end=1735686000&step=15"),
              "query_range.json");
  ClientResponse r = Get("/api/v1/query_range?query=up&start=1735685990&end=1735686000&step=5");
  EXPECT_EQ(r.body,
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
            "{\"__name__\":\"up\",\"instance\":\"127.0.0.1:8000\",\"job\":\"llm-cost-tracker\"},"
            "\"values\":[[1735686000,\"1\"]]}]}}");
  EXPECT_EQ(Get("/api/v1/query_range?query=nothing_here&start=0&end=10&step=1").body,
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}");
}

TEST_F(HttpApiTest, EvaluationErrorsAreExecution) {
  ClientResponse r = Get(
      "/api/v1/query?query=llm_cost_tracker_daily_budget_limit%20%2B%20on(job)%20up&time=1735686000");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_THAT(r.body, StartsWith("{\"status\":\"error\",\"errorType\":\"execution\",\"error\":"));
  EXPECT_THAT(Get("/metrics").body, HasSubstr("tally_queries_total 1\n"));
}

TEST_F(HttpApiTest, RoutingErrorsAndOptions) {
  ClientResponse r = Get("/api/v1/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found\n");
  r = Post("/api/v1/label/job/values", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "Method Not Allowed\n");
  r = HttpClient(server_->port()).Do("OPTIONS", "/api/v1/query", "", {{"Origin", "x"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers["access-control-allow-origin"], "*");
  r = HttpClient(server_->port()).Do("GET", "/api/v1/labels", "", {{"Origin", "http://g"}});
  EXPECT_EQ(r.headers["access-control-allow-origin"], "*");
  EXPECT_EQ(Get("/-/healthy").status, 200);
  EXPECT_EQ(Get("/-/ready").status, 200);
}

TEST_F(HttpApiTest, GzipWhenAccepted) {
  ClientResponse plain = Get("/api/v1/label/__name__/values");
  ClientResponse z = HttpClient(server_->port())
                         .Do("GET", "/api/v1/label/__name__/values", "",
                             {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_EQ(z.status, 200);
  EXPECT_EQ(z.headers["content-encoding"], "gzip");
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  std::string out(64 * 1024, '\0');
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(z.body.data());
  zs.avail_in = static_cast<uInt>(z.body.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  EXPECT_EQ(out, plain.body);
  ClientResponse q0 = HttpClient(server_->port())
                          .Do("GET", "/api/v1/labels", "", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(q0.headers.count("content-encoding"), 0u);
}

TEST_F(HttpApiTest, SelfMetricsCountRequests) {
  Get("/api/v1/labels");
  Get("/api/v1/nope");
  std::string m = Get("/metrics").body;
  EXPECT_THAT(m, HasSubstr("tally_http_requests_total{code=\"200\",handler=\"/api/v1/labels\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("tally_http_requests_total{code=\"404\",handler=\"not_found\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("# TYPE tally_query_duration_seconds histogram\n"));
  EXPECT_THAT(m, HasSubstr("tally_active_series 19\n"));
  EXPECT_THAT(m, HasSubstr("process_resident_memory_bytes "));
  EXPECT_THAT(m, HasSubstr("process_cpu_seconds_total "));
}

// ---- remote write ----

std::string WriteBody(std::vector<storage::RemoteSeriesInput> series,
                      std::vector<storage::RemoteMetadataInput> md = {}) {
  std::string proto;
  storage::EncodeWriteRequest(series, md, &proto);
  return storage::SnappyCompressBlock(proto);
}

ClientResponse PostWrite(int port, const std::string& body) {
  return HttpClient(port).Do("POST", "/api/v1/write", body,
                             {{"Content-Type", "application/x-protobuf"},
                              {"Content-Encoding", "snappy"},
                              {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
}

TEST_F(HttpApiTest, RemoteWriteStoresSamplesAndMetadata) {
  const int64_t before = db_.NumSamples();
  std::string body = WriteBody(
      {{{{"__name__", "rw_metric"}, {"job", "a"}}, {{1000, 1.5}, {2000, 2.5}}},
       {{{"__name__", "rw_metric"}, {"job", "b"}, {"empty", ""}}, {{1000, -1}}}},
      {{1, "rw_metric", "A counter.", ""}});
  ClientResponse r = PostWrite(server_->port(), body);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(db_.NumSamples(), before + 3);
  EXPECT_EQ(Get("/api/v1/series?match[]=rw_metric&start=0").body,
            "{\"status\":\"success\",\"data\":[{\"__name__\":\"rw_metric\",\"job\":\"a\"},"
            "{\"__name__\":\"rw_metric\",\"job\":\"b\"}]}");
  EXPECT_THAT(Get("/api/v1/metadata?metric=rw_metric").body,
              HasSubstr("{\"type\":\"counter\",\"help\":\"A counter.\",\"unit\":\"\"}"));
  EXPECT_THAT(Get("/metrics").body,
              HasSubstr("tally_ingested_samples_total{source=\"remote_write\"} 3\n"));
}

TEST_F(HttpApiTest, RemoteWriteMalformedBodiesStoreNothing) {
  const int64_t before = db_.NumSamples();
  ClientResponse r = PostWrite(server_->port(), "definitely not snappy \xff\xff\xff\xff");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("snappy"));
  std::string proto;
  storage::EncodeWriteRequest({{{{"__name__", "ok_metric"}}, {{1000, 1}}},
                               {{{"__name__", "cut_metric"}}, {{1000, 1}, {2000, 2}}}},
                              {}, &proto);
  proto.resize(proto.size() - 3);  // truncated inside the last sample
  r = PostWrite(server_->port(), storage::SnappyCompressBlock(proto));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("proto: cannot decode WriteRequest"));
  EXPECT_EQ(db_.NumSamples(), before);
  // The server is still up and the data intact.
  EXPECT_EQ(Get("/api/v1/label/application/values").body,
            "{\"status\":\"success\",\"data\":[\"chatbot\",\"code-assistant\",\"search\","
            "\"summarizer\"]}");
}

TEST_F(HttpApiTest, RemoteWriteRejectsInvalidSeriesButStoresTheRest) {
  const int64_t before = db_.NumSamples();
  ClientResponse r = PostWrite(
      server_->port(),
      WriteBody({{{{"__name__", "good"}, {"k", "v"}}, {{1000, 1}}},
                 {{{"__name__", "bad"}, {"k", "\xff\xfe"}}, {{1000, 1}}},
                 {{{"__name__", "huge_ts"}}, {{std::numeric_limits<int64_t>::max(), 1}}},
                 {{{"__name__", "nan_value"}}, {{1000, std::nan("")}}}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("invalid label value for label \"k\": not valid UTF-8"));
  EXPECT_THAT(r.body, HasSubstr("2 of 4 samples rejected"));
  EXPECT_EQ(db_.NumSamples(), before + 2);
  EXPECT_THAT(Get("/metrics").body, HasSubstr("tally_rejected_samples_total{reason=\"invalid\"} 2\n"));
  // Out of order against what is stored: 400 with the storage's reason, nothing else lost.
  r = PostWrite(server_->port(), WriteBody({{{{"__name__", "good"}, {"k", "v"}}, {{500, 1}}}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("out of order sample"));
}

// Before: any label set was accepted (no per-series limits).
TEST_F(HttpApiTest, RemoteWriteRejectsSeriesOverLabelLimitsButStoresTheRest) {
  const int64_t before = db_.NumSamples();
  std::vector<storage::Label> wide = {{"__name__", "wide"}};
  for (int i = 0; i < 1000; ++i) wide.push_back({absl::StrCat("l", i), "v"});
  ClientResponse r = PostWrite(
      server_->port(),
      WriteBody({{{{"__name__", "fine"}}, {{1000, 1}}},
                 {wide, {{1000, 1}, {2000, 2}}},
                 {{{"__name__", "long_value"}, {"k", std::string(5000, 'x')}}, {{1000, 1}}}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "label_limit exceeded (metric: wide, number of labels: 1001, limit: 128) (3 of 4 "
            "samples rejected; the others were stored)\n");
  EXPECT_EQ(db_.NumSamples(), before + 1);
  EXPECT_THAT(Get("/metrics").body,
              HasSubstr("tally_rejected_samples_total{reason=\"label_limits\"} 3\n"));
  EXPECT_THAT(Get("/api/v1/labels").body, Not(HasSubstr("l999")));
}

// Before: only the decompressed size was bounded (512 MiB), answered 400.
TEST_F(HttpApiTest, RemoteWriteOverRequestLimitsIs413AndStoresNothing) {
  server_.reset();
  ServerOptions o;
  o.http.listen_address = "127.0.0.1:0";
  o.api.remote_write_limits.max_series = 2;
  absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(o, &db_);
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = *std::move(s);
  const int64_t before = db_.NumSamples();
  ClientResponse r = PostWrite(server_->port(), WriteBody({{{{"__name__", "a"}}, {{1000, 1}}},
                                                           {{{"__name__", "b"}}, {{1000, 1}}},
                                                           {{{"__name__", "c"}}, {{1000, 1}}}}));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "request exceeds the limit of 2 series\n");
  EXPECT_EQ(db_.NumSamples(), before);
  EXPECT_THAT(Get("/metrics").body,
              HasSubstr("tally_remote_write_requests_total{code=\"413\"} 1\n"));
}

// Before: a remote_write URL's password was shown in clear and other secrets were dropped.
TEST_F(HttpApiTest, StatusConfigMasksEverySecret) {
  std::ifstream in(TALLY_SOURCE_DIR "/tests/server/testdata/config_all_secrets.yml");
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_THAT(ss.str(), HasSubstr("SECRET_"));
  WriteConfig(ss.str());
  ASSERT_EQ(Post("/-/reload", "").status, 200);
  const std::string body = Get("/api/v1/status/config").body;
  EXPECT_THAT(body, Not(HasSubstr("SECRET_")));
  EXPECT_THAT(body, HasSubstr("url: http://rwuser:xxxxx@127.0.0.1:3/write"));
  EXPECT_THAT(body, HasSubstr("password: \\u003csecret\\u003e"));
}

TEST_F(HttpApiTest, RemoteWriteStorageFailureIsRetryable) {
  db_.fail_commits = absl::UnavailableError("disk busy");
  ClientResponse r = PostWrite(server_->port(), WriteBody({{{{"__name__", "x"}}, {{1, 1}}}}));
  EXPECT_EQ(r.status, 503);
  db_.fail_commits = absl::InternalError("broken");
  r = PostWrite(server_->port(), WriteBody({{{{"__name__", "x"}}, {{1, 1}}}}));
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("broken"));
}

TEST_F(HttpApiTest, FederateWritesTextFormat) {
  const int64_t now = absl::ToUnixMillis(absl::Now());
  db_.Add({{"__name__", "fed_b"}, {"job", "j"}}, now - 60'000, 1e6);
  db_.Add({{"__name__", "fed_a"}, {"job", "j"}, {"path", "a\"b\\c\nd"}}, now - 120'000, 0.5);
  db_.Add({{"__name__", "fed_a"}, {"job", "k"}}, now - 120'000, 1);
  db_.Add({{"__name__", "fed_a"}, {"job", "k"}}, now - 60'000, storage::StaleNaN());
  db_.Add({{"__name__", "fed_old"}}, now - 3'600'000, 1);  // beyond the lookback delta
  ClientResponse r = Get("/federate?match[]=%7B__name__%3D~%22fed_.*%22%7D");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, absl::StrCat("# TYPE fed_a untyped\n",
                                 "fed_a{job=\"j\",path=\"a\\\"b\\\\c\\nd\"} 0.5 ", now - 120'000,
                                 "\n# TYPE fed_b untyped\nfed_b{job=\"j\"} 1e+06 ", now - 60'000,
                                 "\n"));
  r = Get("/federate?match[]=%7B");
  EXPECT_EQ(r.status, 400);
}

}  // namespace
}  // namespace tally::server
