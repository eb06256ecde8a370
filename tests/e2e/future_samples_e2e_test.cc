// Remote write of a far-future sample to a real DB behind the real HTTP server: 400 naming
// the reason and the limit, counted in tally_rejected_samples_total{reason=
// "too_far_in_future"}, the rest of the request stored, and later current samples still
// accepted (before the fix: 204, and from then on every current sample was "too old").
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "storage/ingest/remote_write.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server {
namespace {

using tally::testing::ClientResponse;
using tally::testing::HttpClient;
using ::testing::HasSubstr;

constexpr int64_t kYear3000Ms = 32503680000000;

std::string Body(const std::vector<storage::RemoteSeriesInput>& series) {
  std::string proto;
  storage::EncodeWriteRequest(series, {}, &proto);
  return storage::SnappyCompressBlock(proto);
}

ClientResponse PostWrite(int port, const std::string& body) {
  return HttpClient(port).Do("POST", "/api/v1/write", body,
                             {{"Content-Type", "application/x-protobuf"},
                              {"Content-Encoding", "snappy"},
                              {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
}

TEST(FutureSamplesE2ETest, RemoteWriteRefusesFarFutureSampleAndStoresTheRest) {
  testutil::TempDir dir;
  auto db = storage::DB::Open(testutil::TestOptions(dir.Sub("data")));
  ASSERT_TRUE(db.ok()) << db.status();
  ServerOptions o;
  o.http.listen_address = "127.0.0.1:0";
  auto srv = Server::Start(o, db->get());
  ASSERT_TRUE(srv.ok()) << srv.status();
  const int port = (*srv)->port();
  const int64_t now = absl::ToUnixMillis(absl::Now());

  ClientResponse r =
      PostWrite(port, Body({{{{"__name__", "clock"}, {"job", "a"}}, {{now, 1}}},
                            {{{"__name__", "clock"}, {"job", "b"}}, {{kYear3000Ms, 2}}},
                            {{{"__name__", "clock"}, {"job", "c"}}, {{now, 3}}}}));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("too far in the future sample for series "
                                "{__name__=\"clock\", job=\"b\"}"));
  EXPECT_THAT(r.body, HasSubstr("more than 2h after the current time"));
  EXPECT_THAT(r.body, HasSubstr("--storage.tsdb.max-future"));
  EXPECT_THAT(r.body, HasSubstr("(1 of 3 samples rejected; the others were stored)"));
  HttpClient c(port);
  EXPECT_THAT(c.Get("/metrics").body,
              HasSubstr("tally_rejected_samples_total{reason=\"too_far_in_future\"} 1\n"));
  ClientResponse q = c.Get("/api/v1/query?query=count(clock)");
  EXPECT_THAT(q.body, HasSubstr("\"value\":["));
  EXPECT_THAT(q.body, HasSubstr(",\"2\"]"));

  // Current samples keep landing.
  r = PostWrite(port, Body({{{{"__name__", "clock"}, {"job", "a"}}, {{now + 15'000, 4}}},
                            {{{"__name__", "clock"}, {"job", "b"}}, {{now + 15'000, 5}}}}));
  EXPECT_EQ(r.status, 204) << r.body;
  (*srv)->Shutdown();
}

}  // namespace
}  // namespace tally::server
