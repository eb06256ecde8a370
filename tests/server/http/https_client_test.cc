// The outgoing HTTP client (rules/client/http_client.h) over TLS and with credentials,
// against Tally's own HTTPS server configured by a --web.config.file: CA verification,
// server_name, insecure_skip_verify, client certificates for mTLS, basic auth with a
// password file that is re-read per request, and the load-time errors in Prometheus's
// wording.

#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/client/http_client.h"
#include "server/http/http_server.h"
#include "tests/testutil/fake_http_server.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_certs.h"

namespace tally::server::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

class HttpsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s = testutil::MakeTestCertificates(dir_.path());
    if (absl::IsFailedPrecondition(s)) GTEST_SKIP() << s.message();
    ASSERT_TRUE(s.ok()) << s;
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(2));
  }
  std::string D(const std::string& f) const { return dir_.Sub(f); }

  void Start(const std::string& web_yaml) {
    WriteFile(D("web.yml"), web_yaml);
    HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.web_config_file = D("web.yml");
    server_ = std::make_unique<HttpServer>(o, [](const HttpRequest& req, HttpResponse* resp) {
      resp->content_type = "text/plain";
      resp->body = "hello " + req.path;
    });
    ASSERT_TRUE(server_->Start().ok());
  }
  std::string Url(const std::string& host = "127.0.0.1") const {
    return absl::StrCat("https://", host, ":", server_->port(), "/x");
  }
  absl::StatusOr<rules::HttpClientResponse> Get(rules::HttpClientOptions o,
                                                const std::string& host = "127.0.0.1") {
    o.timeout = absl::Seconds(20);
    rules::HttpClient client(o);
    return client.Get(Url(host));
  }

  testutil::TempDir dir_;
  std::unique_ptr<HttpServer> server_;
};

constexpr char kTls[] = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n";

TEST_F(HttpsClientTest, VerifiesTheServerAgainstTheCa) {
  Start(kTls);
  rules::HttpClientOptions o;
  o.tls.ca_file = D("ca.pem");
  absl::StatusOr<rules::HttpClientResponse> r = Get(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello /x");
  // The certificate names 127.0.0.1 and localhost; SNI/verification use the URL's host.
  EXPECT_TRUE(Get(o, "localhost").ok());

  // Not signed by a CA we trust (the system's, or another one).
  rules::HttpClientOptions system_roots;
  r = Get(system_roots);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), StartsWith(absl::StrCat("Get \"", Url(), "\": tls: x509: ")));
  rules::HttpClientOptions rogue;
  rogue.tls.ca_file = D("rogue.pem");
  EXPECT_FALSE(Get(rogue).ok());
  // ... unless verification is off.
  rules::HttpClientOptions insecure;
  insecure.tls.insecure_skip_verify = true;
  EXPECT_TRUE(Get(insecure).ok());
}

TEST_F(HttpsClientTest, ServerNameIsWhatIsVerified) {
  Start(kTls);
  rules::HttpClientOptions o;
  o.tls.ca_file = D("ca.pem");
  o.tls.server_name = "localhost";
  EXPECT_TRUE(Get(o).ok());
  o.tls.server_name = "other.example";
  absl::StatusOr<rules::HttpClientResponse> r = Get(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("tls: x509: "));
}

TEST_F(HttpsClientTest, ClientCertificateForMutualTls) {
  Start(absl::StrCat(kTls, "  client_auth_type: RequireAndVerifyClientCert\n"
                           "  client_ca_file: ca.pem\n"));
  rules::HttpClientOptions o;
  o.tls.ca_file = D("ca.pem");
  EXPECT_FALSE(Get(o).ok());  // no client certificate
  o.tls.cert_file = D("client.pem");
  o.tls.key_file = D("client.key");
  absl::StatusOr<rules::HttpClientResponse> r = Get(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  o.tls.cert_file = D("rogue.pem");
  o.tls.key_file = D("rogue.key");
  EXPECT_FALSE(Get(o).ok());
}

TEST_F(HttpsClientTest, BasicAuthPasswordFileIsReadAtEachRequest) {
  Start(absl::StrCat(kTls, "basic_auth_users:\n  alice: ", testutil::BcryptForTest("s3cret"), "\n"));
  WriteFile(D("password"), "s3cret\n");  // surrounding whitespace is trimmed
  rules::HttpClientOptions o;
  o.tls.ca_file = D("ca.pem");
  o.timeout = absl::Seconds(20);
  o.auth.basic = true;
  o.auth.username = "alice";
  o.auth.password_file = D("password");
  rules::HttpClient client(o);
  absl::StatusOr<rules::HttpClientResponse> r = client.Get(Url());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  WriteFile(D("password"), "wrong");
  r = client.Get(Url());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 401);
  std::remove(D("password").c_str());
  r = client.Get(Url());
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status()));
  EXPECT_THAT(r.status().message(),
              HasSubstr(absl::StrCat("unable to read basic auth password file ", D("password"),
                                     ": open ", D("password"), ": no such file or directory")));
}

TEST_F(HttpsClientTest, TlsOptionErrorsWordedAsPrometheus) {
  rules::TlsClientOptions t;
  EXPECT_TRUE(rules::ValidateTlsClientOptions(t).ok());
  t.ca_file = D("nope.pem");
  EXPECT_EQ(rules::ValidateTlsClientOptions(t).message(),
            absl::StrCat("unable to load specified CA cert ", D("nope.pem"), ": open ",
                         D("nope.pem"), ": no such file or directory"));
  WriteFile(D("junk.pem"), "not a certificate");
  t.ca_file = D("junk.pem");
  EXPECT_EQ(rules::ValidateTlsClientOptions(t).message(),
            absl::StrCat("unable to use specified CA cert ", D("junk.pem")));
  t.ca_file = D("ca.pem");
  t.cert_file = D("client.pem");
  EXPECT_EQ(rules::ValidateTlsClientOptions(t).message(),
            absl::StrCat("client cert file \"", D("client.pem"),
                         "\" specified without client key file"));
  t.key_file = D("server.key");  // not client.pem's key
  EXPECT_THAT(std::string(rules::ValidateTlsClientOptions(t).message()),
              StartsWith(absl::StrCat("unable to use specified client cert (", D("client.pem"),
                                      ") & key (", D("server.key"), "): ")));
  t.key_file = D("client.key");
  EXPECT_TRUE(rules::ValidateTlsClientOptions(t).ok());
  t.min_version = "TLS99";
  EXPECT_EQ(rules::ValidateTlsClientOptions(t).message(), "unknown TLS version: TLS99");
}

TEST(HttpAuthTest, AuthorizationCredentialsFromAFile) {
  testutil::FakeHttpServer server([](const testutil::FakeRequest&) {
    testutil::FakeResponse r;
    r.body = "ok";
    return r;
  });
  testutil::TempDir dir;
  WriteFile(dir.Sub("token"), "  tok3n\n");
  rules::HttpClientOptions o;
  o.auth.type = "Bearer";
  o.auth.credentials_file = dir.Sub("token");
  rules::HttpClient client(o);
  ASSERT_TRUE(client.Get(server.url() + "/m").ok());
  ASSERT_EQ(server.request_count(), 1);
  EXPECT_EQ(server.requests()[0].Header("authorization"), "Bearer tok3n");
  // A request's own Authorization header wins.
  rules::HttpClientRequest req;
  req.headers.emplace_back("Authorization", "Custom x");
  absl::StatusOr<rules::HttpUrl> u = rules::ParseHttpUrl(server.url() + "/m");
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(client.Do(*u, req).ok());
  EXPECT_EQ(server.requests()[1].Header("authorization"), "Custom x");
}

}  // namespace
}  // namespace tally::server::http
