// Response bodies below were captured from Prometheus 2.42 (GET /api/v1/query on loopback).
#include "rules/client/query_response.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::rules {
namespace {

TEST(QueryResponseTest, FormatsApiTimeWithMilliseconds) {
  EXPECT_EQ(FormatApiTime(1700000000123), "1700000000.123");
  EXPECT_EQ(FormatApiTime(0), "0.000");
  EXPECT_EQ(FormatApiTime(5), "0.005");
  EXPECT_EQ(FormatApiTime(-1500), "-1.500");
  EXPECT_EQ(FormatApiTime(INT64_MIN), "-9223372036854775.808");
}

TEST(QueryResponseTest, ParsesVectors) {
  absl::StatusOr<promql::Vector> v = ParseQueryResponse(
      200, "200 OK",
      R"({"status":"success","data":{"resultType":"vector","result":[)"
      R"({"metric":{"job":"x","__name__":"up"},"value":[1700000000.123,"1"]},)"
      R"({"metric":{"a":"b"},"value":[1700000000.123,"NaN"]}]}})");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[0].metric, (storage::Labels{{"__name__", "up"}, {"job", "x"}}));
  EXPECT_EQ((*v)[0].t_ms, 1700000000123);
  EXPECT_EQ((*v)[0].v, 1);
  EXPECT_EQ((*v)[1].metric, (storage::Labels{{"a", "b"}}));
  EXPECT_TRUE(std::isnan((*v)[1].v));
}

TEST(QueryResponseTest, ScalarBecomesOneUnlabelledSample) {
  for (auto [body, want] : std::vector<std::pair<const char*, double>>{
           {R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.123,"+Inf"]}})",
            INFINITY},
           {R"({"status":"success","data":{"resultType":"scalar","result":[-1.5,"-Inf"]}})",
            -INFINITY},
           {R"({"status":"success","data":{"resultType":"scalar","result":[-1.5,"-1.5"]}})", -1.5},
       }) {
    absl::StatusOr<promql::Vector> v = ParseQueryResponse(200, "200 OK", body);
    ASSERT_TRUE(v.ok()) << v.status();
    ASSERT_EQ(v->size(), 1u);
    EXPECT_TRUE((*v)[0].metric.empty());
    EXPECT_EQ((*v)[0].v, want);
  }
  absl::StatusOr<promql::Vector> v = ParseQueryResponse(
      200, "200 OK", R"({"status":"success","data":{"resultType":"scalar","result":[-1.5,"1"]}})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0].t_ms, -1500);
}

TEST(QueryResponseTest, StringAndMatrixResultsAreNotRuleResults) {
  for (const char* body :
       {R"({"status":"success","data":{"resultType":"string","result":[1700000000.123,"a"]}})",
        R"({"status":"success","data":{"resultType":"matrix","result":[]}})"}) {
    absl::StatusOr<promql::Vector> v = ParseQueryResponse(200, "200 OK", body);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(v.status().message(), "rule result is not a vector or scalar");
  }
}

TEST(QueryResponseTest, ApiErrorsKeepTheMessageAndMapTheType) {
  absl::StatusOr<promql::Vector> v = ParseQueryResponse(
      400, "400 Bad Request",
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"})");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(v.status().message(),
            "invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis");
  v = ParseQueryResponse(
      422, "422 Unprocessable Entity",
      R"({"status":"error","errorType":"execution","error":"found duplicate series for the match group {} on the right hand-side of the operation: [{a=\"b\"}, {}];many-to-many matching not allowed: matching labels must be unique on one side"})");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(v.status().message()), ::testing::StartsWith("found duplicate series"));
  v = ParseQueryResponse(503, "503 Service Unavailable",
                         R"({"status":"error","errorType":"timeout","error":"query timed out"})");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(QueryResponseTest, NonApiBodies) {
  absl::StatusOr<promql::Vector> v =
      ParseQueryResponse(502, "502 Bad Gateway", "<html>upstream down</html>");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(v.status().message(),
            "server returned HTTP status 502 Bad Gateway: <html>upstream down</html>");
  for (const char* body : {"", "[]", "{\"status\":\"success\"}",
                           R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}})",
                           R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}})",
                           R"({"status":"success","data":{"resultType":"scalar","result":[1]}})"}) {
    v = ParseQueryResponse(200, "200 OK", body);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInternal) << body;
    EXPECT_THAT(std::string(v.status().message()),
                ::testing::StartsWith("malformed query response: "))
        << body;
  }
}

}  // namespace
}  // namespace tally::rules
