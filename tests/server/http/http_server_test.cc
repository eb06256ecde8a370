#include "server/http/http_server.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/fd_limit.h"
#include "server/http/router.h"
#include "tests/server/test_http_client.h"

namespace tally::server::http {
namespace {

using tally::testing::ClientResponse;
using tally::testing::HttpClient;

// A latch the test opens; handlers waiting on it model in-flight work without sleeping.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
  void Wait() {
    std::unique_lock<std::mutex> l(mu);
    ++waiting;
    cv.notify_all();
    cv.wait(l, [&] { return open; });
  }
  void WaitForWaiters(int n) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return waiting >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions o = {}) {
    o.listen_address = "127.0.0.1:0";
    router_.Handle("GET", "/echo", [](const HttpRequest& req, HttpResponse* resp) {
      resp->content_type = "text/plain";
      resp->body = absl::StrCat(req.method, " ", req.path, " ", req.query);
    });
    router_.Handle("POST", "/len", [](const HttpRequest& req, HttpResponse* resp) {
      resp->body = absl::StrCat(req.body.size());
    });
    router_.Handle("GET", "/slow", [this](const HttpRequest&, HttpResponse* resp) {
      gate_.Wait();
      resp->body = "done";
    });
    // Waits (bounded) for its client to disconnect and reports whether it was told.
    router_.Handle("GET", "/wait-for-disconnect", [this](const HttpRequest& req,
                                                         HttpResponse* resp) {
      std::mutex mu;
      std::condition_variable cv;
      bool gone = false;
      if (req.disconnect) {
        req.disconnect->OnFire([&] {
          std::lock_guard<std::mutex> l(mu);
          gone = true;
          cv.notify_all();
        });
      }
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait_for(l, std::chrono::seconds(20), [&] { return gone; });
      }
      if (req.disconnect) req.disconnect->Clear();
      disconnect_seen_.set_value(gone);
      resp->body = "still here";
    });
    router_.Handle("GET", "/item/{id}/x", [](const HttpRequest& req, HttpResponse* resp) {
      resp->body = std::string(req.PathParam("id"));
    });
    server_ = std::make_unique<HttpServer>(o, [this](const HttpRequest& req, HttpResponse* resp) {
      HttpRequest r = req;
      router_.Dispatch(&r, resp);
    });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }

  Router router_;
  Gate gate_;
  std::promise<bool> disconnect_seen_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  HttpClient c(server_->port());
  for (int i = 0; i < 20; ++i) {
    ClientResponse r = c.Get(absl::StrCat("/echo?i=", i));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.body, absl::StrCat("GET /echo i=", i));
  }
  EXPECT_EQ(server_->open_connections(), 1);
}

TEST_F(HttpServerTest, RouterPathParamsAnd404) {
  StartServer();
  HttpClient c(server_->port());
  EXPECT_EQ(c.Get("/item/42/x").body, "42");
  EXPECT_EQ(c.Get("/item//x").status, 404);
  EXPECT_EQ(c.Do("POST", "/echo").status, 405);
}

TEST_F(HttpServerTest, BodyLimitAnswers413) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  HttpClient c(server_->port());
  EXPECT_EQ(c.Do("POST", "/len", std::string(1000, 'x')).body, "1000");
  ClientResponse r = HttpClient(server_->port()).Do("POST", "/len", std::string(5000, 'x'));
  EXPECT_EQ(r.status, 413);
  // The server is still serving.
  EXPECT_EQ(HttpClient(server_->port()).Get("/echo").status, 200);
}

TEST_F(HttpServerTest, HeaderLimitAnswers431) {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  StartServer(o);
  ClientResponse r =
      HttpClient(server_->port()).Do("GET", "/echo", "", {{"X-Big", std::string(4096, 'a')}});
  EXPECT_EQ(r.status, 431);
}

TEST_F(HttpServerTest, SlowClientIsDisconnectedAfterHeaderTimeout) {
  HttpServerOptions o;
  o.header_timeout = absl::Milliseconds(200);
  StartServer(o);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())});
  boost::asio::write(s, boost::asio::buffer(std::string("GET /echo HTTP/1.1\r\nHost: x\r\n")));
  // Never finish the header: the server must close the connection (read returns EOF).
  char buf[64];
  boost::system::error_code ec;
  s.read_some(boost::asio::buffer(buf), ec);
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset)
      << ec.message();
}

TEST_F(HttpServerTest, Holds600KeepAliveConnections) {
  constexpr int kConns = 600;
  // Both ends of every connection live in this process: 2 x 600 descriptors plus slack.
  if (RaiseOpenFileLimit() < 2 * kConns + 100) {
    GTEST_SKIP() << "open-file hard limit below " << 2 * kConns + 100 << "; cannot hold "
                 << kConns << " connections in one process";
  }
  StartServer();
  std::vector<std::unique_ptr<HttpClient>> clients;
  int errors = 0;
  for (int i = 0; i < kConns; ++i) {
    clients.push_back(std::make_unique<HttpClient>(server_->port()));
    if (!clients.back()->Connect()) ++errors;
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kConns; ++i) {
      ClientResponse r = clients[i]->Get(absl::StrCat("/echo?c=", i));
      if (!r.ok || r.status != 200 || r.body != absl::StrCat("GET /echo c=", i)) ++errors;
    }
  }
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(server_->open_connections(), kConns);
}

TEST_F(HttpServerTest, ShutdownFinishesInFlightRequests) {
  StartServer();
  std::promise<ClientResponse> result;
  std::thread client([&] { result.set_value(HttpClient(server_->port()).Get("/slow")); });
  gate_.WaitForWaiters(1);
  HttpClient idle(server_->port());
  ASSERT_EQ(idle.Get("/echo").status, 200);  // an idle keep-alive connection
  std::thread stopper([&] { server_->Shutdown(absl::Seconds(30)); });
  // New connections are refused once the acceptor closes; the in-flight one completes.
  gate_.Open();
  ClientResponse r = result.get_future().get();
  client.join();
  stopper.join();
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(server_->open_connections(), 0);
  EXPECT_FALSE(HttpClient(server_->port()).Get("/echo").ok);
}

TEST_F(HttpServerTest, SlowHandlerDoesNotBlockOtherConnections) {
  HttpServerOptions o;
  o.threads = 1;  // one I/O thread: a handler blocking it would stall everything
  o.worker_threads = 2;
  StartServer(o);
  std::promise<ClientResponse> slow;
  std::thread t([&] { slow.set_value(HttpClient(server_->port()).Get("/slow")); });
  gate_.WaitForWaiters(1);
  // While /slow holds a worker, another connection is served.
  ClientResponse r = HttpClient(server_->port()).Get("/echo?x=1");
  EXPECT_EQ(r.body, "GET /echo x=1");
  gate_.Open();
  EXPECT_EQ(slow.get_future().get().body, "done");
  t.join();
}

// Sends a request on a raw connection, then closes it without reading the answer.
void SendAndHangUp(int port, const std::string& request) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket sock(ioc);
  boost::system::error_code ec;
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)}, ec);
  ASSERT_FALSE(ec) << ec.message();
  boost::asio::write(sock, boost::asio::buffer(request), ec);
  ASSERT_FALSE(ec) << ec.message();
  sock.close(ec);
}

TEST_F(HttpServerTest, HandlerIsToldWhenItsClientDisconnects) {
  StartServer();
  SendAndHangUp(server_->port(),
                "GET /wait-for-disconnect HTTP/1.1\r\nHost: x\r\n\r\n");
  auto seen = disconnect_seen_.get_future();
  ASSERT_EQ(seen.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(seen.get());
}

TEST(HttpHelpersTest, AcceptsGzip) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip(""));
}

TEST(HttpHelpersTest, SplitHostPort) {
  std::string h;
  int p;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:9090", &h, &p).ok());
  EXPECT_EQ(h, "127.0.0.1");
  EXPECT_EQ(p, 9090);
  ASSERT_TRUE(SplitHostPort("[::1]:0", &h, &p).ok());
  EXPECT_EQ(h, "::1");
  ASSERT_TRUE(SplitHostPort(":80", &h, &p).ok());
  EXPECT_EQ(h, "0.0.0.0");
  EXPECT_FALSE(SplitHostPort("localhost", &h, &p).ok());
  EXPECT_FALSE(SplitHostPort("a:99999", &h, &p).ok());
}

}  // namespace
}  // namespace tally::server::http
