#include "server/api/params.h"

#include "gtest/gtest.h"
#include "server/api/api_error.h"
#include "server/api/json_builder.h"

namespace tally::server::api {
namespace {

int64_t T(const char* s) {
  absl::StatusOr<int64_t> t = ParseTimeMs(s);
  EXPECT_TRUE(t.ok()) << s << ": " << t.status();
  return t.value_or(-1);
}

// HTTP_API.md §3.1 examples (verified against 2.42.0).
TEST(ParamsTest, ParsesTimes) {
  EXPECT_EQ(T("1435781451"), 1435781451000);
  EXPECT_EQ(T("1.0015"), 1002);
  EXPECT_EQ(T("1.0005"), 1000);
  EXPECT_EQ(T("-1.0015"), -1002);
  EXPECT_EQ(T("1e9"), 1'000'000'000'000);
  EXPECT_EQ(T("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(T("2023-11-14T23:13:20.5+01:00"), 1700000000500);
  EXPECT_EQ(T("2023-11-14T22:13:20.1236Z"), 1700000000123);
  EXPECT_EQ(T("-292273086-05-16T16:47:06Z"), kApiMinTimeMs);
  EXPECT_EQ(T("292277025-08-18T07:12:54.999999999Z"), kApiMaxTimeMs);
  for (const char* bad : {"now", "2023-11-14", "abc", "", "NaN", "Inf"}) {
    absl::StatusOr<int64_t> t = ParseTimeMs(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().message(),
              std::string("cannot parse \"") + bad + "\" to a valid timestamp");
  }
}

TEST(ParamsTest, ParsesDurations) {
  EXPECT_EQ(*ParseDurationParam("15"), absl::Seconds(15));
  EXPECT_EQ(*ParseDurationParam("0.01"), absl::Milliseconds(10));
  EXPECT_EQ(*ParseDurationParam("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDurationParam("100ms"), absl::Milliseconds(100));
  EXPECT_EQ(ParseDurationParam("1e30").status().message(),
            "cannot parse \"1e30\" to a valid duration. It overflows int64");
  EXPECT_EQ(ParseDurationParam("abc").status().message(),
            "cannot parse \"abc\" to a valid duration");
}

TEST(ParamsTest, FormBodyWinsOverUrlAndPlusIsSpace) {
  http::HttpRequest req;
  req.method = "POST";
  req.query = "query=url&match%5B%5D=a&time=1";
  req.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  req.body = "query=1%2B1&match[]=b&x=a+b";
  RequestParams p(req);
  EXPECT_EQ(p.GetOr("query"), "1+1");
  EXPECT_EQ(p.GetOr("time"), "1");
  EXPECT_EQ(p.GetOr("x"), "a b");
  EXPECT_EQ(p.GetAll("match[]"), (std::vector<std::string>{"b", "a"}));
  EXPECT_FALSE(p.Has("nope"));
  // A JSON body is ignored.
  req.headers = {{"content-type", "application/json"}};
  EXPECT_EQ(RequestParams(req).GetOr("query"), "url");
}

TEST(ApiErrorTest, MapsStatusCodes) {
  auto c = [](absl::Status s) { return ClassifyStatus(s); };
  EXPECT_EQ(c(absl::InvalidArgumentError("x")).http_status, 400);
  EXPECT_EQ(c(absl::InvalidArgumentError("x")).type, ErrorType::kBadData);
  EXPECT_EQ(c(absl::ResourceExhaustedError("x")).type, ErrorType::kExecution);
  EXPECT_EQ(c(absl::ResourceExhaustedError("x")).http_status, 422);
  EXPECT_EQ(c(absl::DeadlineExceededError("x")).type, ErrorType::kTimeout);
  EXPECT_EQ(c(absl::DeadlineExceededError("x")).http_status, 503);
  EXPECT_EQ(c(absl::CancelledError("x")).http_status, 503);  // 2.42; 499 from 2.43
  EXPECT_EQ(c(absl::InternalError("x")).http_status, 500);
  EXPECT_EQ(c(absl::DataLossError("x")).type, ErrorType::kInternal);
  EXPECT_EQ(c(absl::NotFoundError("x")).http_status, 404);
  EXPECT_EQ(c(absl::UnimplementedError("x")).http_status, 501);
  EXPECT_EQ(ErrorBody(ErrorType::kBadData, "unexpected <by> & \"x\"\n"),
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"unexpected "
            "\\u003cby\\u003e \\u0026 \\\"x\\\"\\n\"}");
}

TEST(JsonBuilderTest, EscapesLikeGo) {
  std::string out;
  AppendJsonString(std::string("a\x01\t\xe2\x80\xa8\xff", 7), &out);
  EXPECT_EQ(out, "\"a\\u0001\\t\\u2028\xEF\xBF\xBD\"");
  JsonBuilder j;
  j.Double(0.000902418).Raw(",").Double(15).Raw(",").Double(1e-7);
  EXPECT_EQ(j.str(), "0.000902418,15,1e-07");
}

}  // namespace
}  // namespace tally::server::api
