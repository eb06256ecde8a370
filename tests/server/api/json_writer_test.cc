// QueryResultWriter and the number formats of Prometheus 2.42's query API
// (shared/compliance/HTTP_API.md 4.1 and prometheus-2.42-responses/query_*.json).
#include "server/api/json_writer.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "gtest/gtest.h"

namespace tally::server::api {
namespace {

std::string Sample(double v) {
  std::string s;
  AppendSampleValue(v, &s);
  return s;
}
std::string ScalarV(double v) {
  std::string s;
  AppendScalarValue(v, &s);
  return s;
}
std::string Ts(int64_t ms) {
  std::string s;
  AppendPointTimestamp(ms, &s);
  return s;
}

TEST(JsonWriterTest, SampleValuesUseGoFormatting) {
  EXPECT_EQ(Sample(1e-7), "1e-07");
  EXPECT_EQ(Sample(9.99e-7), "9.99e-07");
  EXPECT_EQ(Sample(-1e-6), "-0.000001");
  EXPECT_EQ(Sample(0.0000012345678), "0.0000012345678");
  EXPECT_EQ(Sample(1e20), "100000000000000000000");
  EXPECT_EQ(Sample(1e21), "1e+21");
  EXPECT_EQ(Sample(1.2345678e-67), "1.2345678e-67");
  EXPECT_EQ(Sample(0.9166666666666666), "0.9166666666666666");
  EXPECT_EQ(Sample(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Sample(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Sample(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Sample(-0.0), "-0");
  EXPECT_EQ(Sample(300), "300");
}

TEST(JsonWriterTest, ScalarValuesAreAlwaysPlainDecimal) {
  EXPECT_EQ(ScalarV(1e-7), "0.0000001");
  EXPECT_EQ(ScalarV(1e21), "1000000000000000000000");
  EXPECT_EQ(ScalarV(1e300).size(), 301u);
  EXPECT_EQ(ScalarV(-0.0), "-0");
}

TEST(JsonWriterTest, PointTimestamps) {
  EXPECT_EQ(Ts(1700000600000), "1700000600");
  EXPECT_EQ(Ts(1100), "1.100");
  EXPECT_EQ(Ts(10), "0.010");
  EXPECT_EQ(Ts(-2), "-0.002");
  EXPECT_EQ(Ts(-1500), "-1.500");
  std::string f;
  AppendFloatTimestamp(1700000600781, &f);
  EXPECT_EQ(f, "1700000600.781");
  f.clear();
  AppendFloatTimestamp(4000, &f);
  EXPECT_EQ(f, "4");
}

std::string Golden(const char* name) {
  std::ifstream in(std::string(TALLY_SOURCE_DIR "/../shared/compliance/prometheus-2.42-responses/") +
                   name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(JsonWriterTest, MatchesPrometheusBodiesByteForByte) {
  if (Golden("query_scalar.json").empty()) GTEST_SKIP() << "shared/compliance not present";
  EXPECT_EQ(QuerySuccessJson(promql::Scalar{1735686000000, 1}), Golden("query_scalar.json"));
  EXPECT_EQ(QuerySuccessJson(promql::String{1735686000000, "hello"}),
            Golden("query_string.json"));
  promql::Vector v = {
      {storage::Labels({{"model", "claude-3-5-sonnet"}}), 1735686000000, 0.9166666666666666},
      {storage::Labels({{"model", "gpt-4o"}}), 1735686000000, 1.1633333333333336},
      {storage::Labels({{"model", "gpt-4o-mini"}}), 1735686000000, 1.446666666666667}};
  EXPECT_EQ(QuerySuccessJson(v), Golden("query_instant.json"));
  promql::Matrix m = {{storage::Labels({{"__name__", "llm_cost_tracker_daily_budget_limit"},
                                        {"application", "chatbot"},
                                        {"instance", "127.0.0.1:8000"},
                                        {"job", "llm-cost-tracker"}}),
                       {{1735685940000, 300}, {1735685955000, 300}, {1735685970000, 300},
                        {1735685985000, 300}, {1735686000000, 300}}}};
  EXPECT_EQ(QuerySuccessJson(m), Golden("query_matrix_literal.json"));
}

TEST(JsonWriterTest, StreamsInChunksAndEscapesStrings) {
  promql::Vector v;
  for (int i = 0; i < 1000; ++i) {
    v.push_back({storage::Labels({{"a", "<&>\"\n"}}), i * 1000, static_cast<double>(i)});
  }
  std::string whole;
  int chunks = 0;
  QueryResultWriter w(
      [&](absl::string_view c) {
        ++chunks;
        whole.append(c.data(), c.size());
      },
      1024);
  w.WriteSuccess(v);
  EXPECT_GT(chunks, 10);
  EXPECT_EQ(whole, QuerySuccessJson(v));
  EXPECT_NE(whole.find(R"({"a":"\u003c\u0026\u003e\"\n"})"), std::string::npos);
  EXPECT_EQ(QuerySuccessJson(promql::Vector{}),
            R"({"status":"success","data":{"resultType":"vector","result":[]}})");
}

}  // namespace
}  // namespace tally::server::api
