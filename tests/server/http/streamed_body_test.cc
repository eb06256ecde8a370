// HttpResponse::body_writer: large answers go out chunked (and gzip-compressed on the fly),
// small ones keep a Content-Length, and a keep-alive connection serves the next request
// after a streamed answer. Also GzipStream against zlib's one-shot inflate.
#include <zlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/http/gzip_stream.h"
#include "server/http/http_server.h"
#include "tests/server/test_http_client.h"

namespace tally::server::http {
namespace {

using tally::testing::ClientResponse;
using tally::testing::HttpClient;

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

// A body of `n` pieces of ~100 bytes each, written one piece at a time.
std::string Piece(int i) { return absl::StrCat("{\"i\":", i, ",\"pad\":\"", std::string(80, 'x'), "\"},"); }

TEST(GzipStreamTest, IncrementalOutputInflatesToTheInput) {
  GzipStream gz(1);
  std::string in, out;
  for (int i = 0; i < 20000; ++i) {
    in += Piece(i);
    ASSERT_TRUE(gz.Append(Piece(i), &out).ok());
  }
  ASSERT_TRUE(gz.Finish(&out).ok());
  EXPECT_LT(out.size(), in.size() / 5);
  EXPECT_EQ(Gunzip(out), in);
}

class StreamedBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(o, [](const HttpRequest& req, HttpResponse* resp) {
      const int n = std::stoi(req.query);
      resp->content_type = "application/json";
      resp->body_writer = [n](const HttpResponse::BodyWrite& write) {
        for (int i = 0; i < n; ++i) write(Piece(i));
      };
    });
    ASSERT_TRUE(server_->Start().ok());
  }
  std::string Expected(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += Piece(i);
    return s;
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(StreamedBodyTest, LargeBodyIsChunkedSmallKeepsContentLength) {
  HttpClient c(server_->port());  // one keep-alive connection for all three
  ClientResponse big = c.Get("/x?30000");  // ~3 MB
  ASSERT_EQ(big.status, 200) << big.error;
  EXPECT_EQ(big.headers["transfer-encoding"], "chunked");
  EXPECT_EQ(big.headers.count("content-length"), 0u);
  EXPECT_EQ(big.body, Expected(30000));
  ClientResponse small = c.Get("/x?10");
  ASSERT_EQ(small.status, 200);
  EXPECT_EQ(small.headers["content-length"], absl::StrCat(Expected(10).size()));
  EXPECT_EQ(small.body, Expected(10));
  ClientResponse again = c.Get("/x?5000");
  EXPECT_EQ(again.body, Expected(5000));
}

TEST_F(StreamedBodyTest, GzipIsAppliedWhileStreaming) {
  HttpClient c(server_->port());
  ClientResponse r = c.Do("GET", "/x?30000", "", {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.headers["content-encoding"], "gzip");
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  EXPECT_EQ(Gunzip(r.body), Expected(30000));
  ClientResponse small = c.Do("GET", "/x?10", "", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(small.headers["content-encoding"], "gzip");
  EXPECT_EQ(Gunzip(small.body), Expected(10));
}

}  // namespace
}  // namespace tally::server::http
