#include "server/scrape/scrape_fetch.h"

#include "gtest/gtest.h"
#include "server/http/http_server.h"

namespace tally::server::scrape {
namespace {

TEST(ScrapeFetchTest, FormatForContentType) {
  using storage::TextFormat;
  EXPECT_EQ(FormatForContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            TextFormat::kOpenMetrics);
  EXPECT_EQ(FormatForContentType("Application/OpenMetrics-Text"), TextFormat::kOpenMetrics);
  EXPECT_EQ(FormatForContentType("text/plain; version=0.0.4"), TextFormat::kPrometheus);
  EXPECT_EQ(FormatForContentType(""), TextFormat::kPrometheus);
  EXPECT_EQ(FormatForContentType("garbage"), TextFormat::kPrometheus);
}

TEST(ScrapeFetchTest, TimeoutHeaderLikeGoFormatFloat) {
  EXPECT_EQ(FormatTimeoutSeconds(absl::Seconds(10)), "10");
  EXPECT_EQ(FormatTimeoutSeconds(absl::Milliseconds(500)), "0.5");
  EXPECT_EQ(FormatTimeoutSeconds(absl::Milliseconds(1250)), "1.25");
}

TEST(ScrapeFetchTest, GunzipEnforcesTheLimit) {
  std::string gz, out;
  ASSERT_TRUE(http::GzipCompress(std::string(1000, 'a'), 1, &gz).ok());
  ASSERT_TRUE(Gunzip(gz, 0, &out).ok());
  EXPECT_EQ(out, std::string(1000, 'a'));
  ASSERT_TRUE(Gunzip(gz, 1001, &out).ok());
  // Prometheus compat: a body of exactly the limit already fails (n >= limit).
  EXPECT_EQ(Gunzip(gz, 1000, &out).message(), "body size limit exceeded");
  EXPECT_TRUE(absl::IsDataLoss(Gunzip("not gzip", 0, &out)));
  EXPECT_TRUE(absl::IsDataLoss(Gunzip(gz.substr(0, gz.size() / 2), 0, &out)));
}

}  // namespace
}  // namespace tally::server::scrape
