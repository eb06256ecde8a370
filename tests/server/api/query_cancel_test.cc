// A query whose HTTP client hangs up is cancelled, so an abandoned query does not hold a
// worker (Prometheus 2.42 keeps evaluating it). With a single worker thread, a second
// request can only be answered once the first query has stopped.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "tests/server/fake_db.h"
#include "tests/server/test_http_client.h"

namespace tally::server {
namespace {

using tally::testing::ClientResponse;
using tally::testing::HttpClient;

// Minutes of work for the evaluator and about 30 MB: each of 10,801 steps takes the median
// of a 180,000-point subquery window.
constexpr char kSlowQuery[] =
    "/api/v1/query_range?query=quantile_over_time(0.5,vector(1)%5B30m:10ms%5D)"
    "&start=0&end=10800&step=1";

TEST(QueryCancelTest, ClientDisconnectCancelsItsQueryAndFreesTheWorker) {
  tally::testing::FakeDB db;
  ServerOptions o;
  o.http.listen_address = "127.0.0.1:0";
  o.http.worker_threads = 1;
  o.api.flags = {{"query.timeout", "2m"}};
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(o, &db);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();

  // The query really is slow: with a 1 s timeout it times out (and promptly so).
  {
    const absl::Time start = absl::Now();
    ClientResponse r = HttpClient(port).Get(absl::StrCat(kSlowQuery, "&timeout=1s"));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("\"errorType\":\"timeout\""), std::string::npos) << r.body;
    EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  }

  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket sock(ioc);
    boost::system::error_code ec;
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)},
                 ec);
    ASSERT_FALSE(ec) << ec.message();
    const std::string req = absl::StrCat("GET ", kSlowQuery, " HTTP/1.1\r\nHost: x\r\n\r\n");
    boost::asio::write(sock, boost::asio::buffer(req), ec);
    ASSERT_FALSE(ec) << ec.message();
    sock.close(ec);  // gone without reading the answer
  }

  // The only worker is free again once the abandoned query noticed the cancellation.
  const absl::Time start = absl::Now();
  ClientResponse r = HttpClient(port).Get("/api/v1/query?query=1%2B1&time=0");
  const absl::Duration waited = absl::Now() - start;
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_LT(waited, absl::Seconds(20)) << "the abandoned query kept the worker";
  (*server)->Shutdown(absl::Seconds(5));
}

}  // namespace
}  // namespace tally::server
