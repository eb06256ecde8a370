// --web.config.file: parsing with Prometheus 2.42's error wording (each expected message was
// produced by /usr/bin/prometheus --web.config.file=<the same YAML>), bcrypt verification,
// and the server over TLS, mTLS and basic auth driven by curl with certificates made by the
// openssl CLI in the test.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/http/basic_auth.h"
#include "server/http/http_server.h"
#include "server/http/web_config.h"
#include "server/http/web_config_source.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_certs.h"

namespace tally::server::http {
namespace {

using testutil::RunResult;
using testutil::RunToCompletion;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string ParseError(const std::string& yaml) {
  absl::StatusOr<WebConfig> c = ParseWebConfig(yaml, "/etc");
  return c.ok() ? "OK" : std::string(c.status().message());
}

TEST(WebConfigTest, ErrorsWordedAsPrometheus) {
  EXPECT_EQ(ParseError("foo: 1"),
            "yaml: unmarshal errors:\n  line 1: field foo not found in type web.Config");
  EXPECT_EQ(ParseError("tls_server_config: {foo: 1}"),
            "yaml: unmarshal errors:\n  line 1: field foo not found in type web.TLSConfig");
  EXPECT_EQ(ParseError("http_server_config: {foo: 1}"),
            "yaml: unmarshal errors:\n  line 1: field foo not found in type web.HTTPConfig");
  EXPECT_EQ(ParseError("basic_auth_users: [a]"),
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into "
            "map[string]config.Secret");
  EXPECT_EQ(ParseError("basic_auth_users: {a: notahash}"),
            "crypto/bcrypt: hashedSecret too short to be a bcrypted password");
  EXPECT_EQ(ParseError("basic_auth_users: {a: \"$3b$10$TLm4a41DHfmN8lyQSmVQzuXHQ0vLbc0ikvoR8yb8"
                       "5NKTawIhroWY.\"}"),
            "crypto/bcrypt: bcrypt algorithm version '3' requested is newer than current "
            "version '2'");
  EXPECT_EQ(ParseError("basic_auth_users: {a: \"$2b$03$TLm4a41DHfmN8lyQSmVQzuXHQ0vLbc0ikvoR8yb8"
                       "5NKTawIhroWY.\"}"),
            "crypto/bcrypt: cost 3 is outside allowed range (4,31)");
  EXPECT_EQ(ParseError("tls_server_config: {min_version: TLS14}"), "unknown TLS version: TLS14");
  EXPECT_EQ(ParseError("tls_server_config: {curve_preferences: [Foo]}"), "unknown curve: Foo");
  EXPECT_EQ(ParseError("http_server_config: {headers: {X-Foo: a}}"),
            "HTTP header \"X-Foo\" can not be configured");
  EXPECT_EQ(ParseError("http_server_config: {headers: {X-Frame-Options: foo}}"),
            "invalid value for X-Frame-Options. Expected one of: [\"deny\" \"sameorigin\"], "
            "but got: \"foo\"");
  EXPECT_EQ(ParseError("tls_server_config: {}"), "OK");
}

TEST(WebConfigTest, RelativePathsResolveAgainstTheFilesDirectory) {
  absl::StatusOr<WebConfig> c = ParseWebConfig(
      "tls_server_config: {cert_file: c.pem, key_file: /abs/k.pem, client_ca_file: ca.pem}",
      "/etc/tally");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tls.cert_file, "/etc/tally/c.pem");
  EXPECT_EQ(c->tls.key_file, "/abs/k.pem");
  EXPECT_EQ(c->tls.client_ca_file, "/etc/tally/ca.pem");
  EXPECT_EQ(c->tls.min_version, 0x0303);
}

TEST(BasicAuthTest, ChecksBcryptAndCachesWithoutKeepingPasswords) {
  const std::string hash = testutil::BcryptForTest("s3cret");
  std::map<std::string, std::string> users{{"alice", hash}};
  BasicAuthenticator a;
  auto header = [](const std::string& up) {
    std::string b64;
    absl::Base64Escape(up, &b64);
    return "Basic " + b64;
  };
  EXPECT_TRUE(a.Check(header("alice:s3cret"), users));
  EXPECT_TRUE(a.Check(header("alice:s3cret"), users));  // cached
  EXPECT_EQ(a.cache_size_for_test(), 1u);
  EXPECT_FALSE(a.Check(header("alice:s3creT"), users));
  EXPECT_FALSE(a.Check(header("bob:s3cret"), users));
  EXPECT_FALSE(a.Check(header("alice"), users));
  EXPECT_FALSE(a.Check("Bearer x", users));
  EXPECT_FALSE(a.Check("", users));
  EXPECT_TRUE(a.Check("basic " + header("alice:s3cret").substr(6), users));  // scheme case
  // A changed hash for the same password misses the cache and still verifies.
  users["alice"] = testutil::BcryptForTest("s3cret");
  EXPECT_TRUE(a.Check(header("alice:s3cret"), users));
  users["alice"] = testutil::BcryptForTest("other");
  EXPECT_FALSE(a.Check(header("alice:s3cret"), users));
  for (int i = 0; i < 150; ++i) a.Check(header(absl::StrCat("alice:x", i)), users);
  EXPECT_LE(a.cache_size_for_test(), BasicAuthenticator::kCacheSize);
}

// ---- The server over TLS, driven by curl.

class WebConfigServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testutil::HaveBinary("/usr/bin/openssl") || !testutil::HaveBinary("/usr/bin/curl")) {
      GTEST_SKIP() << "needs /usr/bin/openssl and /usr/bin/curl";
    }
    // A CA, a server certificate for 127.0.0.1 signed by it, and a client certificate
    // signed by it; plus a self-signed client certificate from no CA we trust.
    ASSERT_TRUE(testutil::MakeTestCertificates(dir_.path()).ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(2));
  }

  std::string D(const std::string& f) const { return dir_.Sub(f); }
  absl::Status Start(const std::string& web_yaml) {
    WriteFile(D("web.yml"), web_yaml);
    HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.web_config_file = D("web.yml");
    server_ = std::make_unique<HttpServer>(o, [](const HttpRequest& req, HttpResponse* resp) {
      resp->content_type = "text/plain";
      resp->body = "hello " + req.path;
    });
    return server_->Start();
  }

  // curl's status code and body ("000" when the connection or handshake failed).
  std::pair<std::string, std::string> Curl(std::vector<std::string> extra,
                                           const std::string& scheme = "https") {
    std::vector<std::string> args = {"-s", "-o", D("body"), "-w", "%{http_code}",
                                     "--max-time", "20", "-D", D("headers")};
    if (scheme == "https") {
      args.insert(args.end(), {"--cacert", D("ca.pem")});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(absl::StrCat(scheme, "://127.0.0.1:", server_->port(), "/x"));
    std::remove(D("body").c_str());
    RunResult r = RunToCompletion("/usr/bin/curl", args, D("curl"), "/dev/null",
                                  absl::Seconds(60));
    std::ifstream in(D("body"));
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return {r.out, body};
  }
  std::string Headers() {
    std::ifstream in(D("headers"));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  testutil::TempDir dir_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(WebConfigServerTest, TlsServesHttpsAndRefusesOldProtocolVersions) {
  ASSERT_TRUE(Start(absl::StrCat("tls_server_config:\n  cert_file: server.pem\n  key_file: "
                                 "server.key\n  min_version: TLS13\n"))
                  .ok());
  EXPECT_EQ(Curl({}), std::make_pair(std::string("200"), std::string("hello /x")));
  EXPECT_EQ(Curl({"--tls-max", "1.2"}).first, "000");  // below min_version
  EXPECT_EQ(Curl({}, "http").first, "000");            // plain HTTP is not served
}

TEST_F(WebConfigServerTest, MutualTlsRequiresACertificateFromTheClientCa) {
  ASSERT_TRUE(Start("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
                    "  client_auth_type: RequireAndVerifyClientCert\n"
                    "  client_ca_file: ca.pem\n")
                  .ok());
  EXPECT_EQ(Curl({"--cert", D("client.pem"), "--key", D("client.key")}).first, "200");
  EXPECT_EQ(Curl({}).first, "000");  // no client certificate
  EXPECT_EQ(Curl({"--cert", D("rogue.pem"), "--key", D("rogue.key")}).first, "000");
}

TEST_F(WebConfigServerTest, BasicAuthGoodBadMissing) {
  ASSERT_TRUE(Start(absl::StrCat("tls_server_config:\n  cert_file: server.pem\n  key_file: "
                                 "server.key\nhttp_server_config:\n  headers:\n"
                                 "    X-Frame-Options: deny\nbasic_auth_users:\n  alice: '",
                                 testutil::BcryptForTest("wonderland"), "'\n"))
                  .ok());
  EXPECT_EQ(Curl({"-u", "alice:wonderland"}),
            std::make_pair(std::string("200"), std::string("hello /x")));
  EXPECT_NE(Headers().find("X-Frame-Options: deny"), std::string::npos) << Headers();
  // Prometheus 2.42's answer, checked side by side: 401, "Unauthorized\n", Basic challenge.
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"-u", "alice:wrong"}, std::vector<std::string>{"-u", "bob:x"},
        std::vector<std::string>{}}) {
    EXPECT_EQ(Curl(bad), std::make_pair(std::string("401"), std::string("Unauthorized\n")));
    EXPECT_NE(Headers().find("WWW-Authenticate: Basic"), std::string::npos) << Headers();
    EXPECT_NE(Headers().find("X-Frame-Options: deny"), std::string::npos) << Headers();
  }
}

TEST_F(WebConfigServerTest, FileIsReReadOnChangeWithoutRestart) {
  const std::string tls = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n";
  ASSERT_TRUE(Start(tls).ok());
  EXPECT_EQ(Curl({}).first, "200");
  // Users added later apply to the next request; mtime resolution is 1 ns but some
  // filesystems are coarser, so the size differs too.
  WriteFile(D("web.yml"), tls + "basic_auth_users:\n  alice: '" + testutil::BcryptForTest("pw") + "'\n");
  EXPECT_EQ(Curl({}).first, "401");
  EXPECT_EQ(Curl({"-u", "alice:pw"}).first, "200");
  // A broken file: requests fail (500), nothing falls back to no auth; fixed, it serves again.
  WriteFile(D("web.yml"), tls + "basic_auth_users: {alice: short}\n");
  EXPECT_EQ(Curl({"-u", "alice:pw"}).first, "000");  // the TLS handshake needs the file too
  WriteFile(D("web.yml"), tls);
  EXPECT_EQ(Curl({}).first, "200");
}

TEST_F(WebConfigServerTest, InvalidFileFailsStart) {
  absl::Status st = Start("tls_server_config:\n  cert_file: server.pem\n");
  EXPECT_EQ(st.message(), "missing key_file");
  st = Start("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
             "  client_ca_file: ca.pem\n");
  EXPECT_EQ(st.message(), "Client CA's have been configured without a Client Auth Policy");
  st = Start("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
             "  client_auth_type: Foo\n");
  EXPECT_EQ(st.message(), "Invalid ClientAuth: Foo");
  st = Start("tls_server_config:\n  cert_file: nope.pem\n  key_file: server.key\n");
  EXPECT_EQ(st.message(),
            absl::StrCat("failed to load X509KeyPair: open ", D("nope.pem"),
                         ": no such file or directory"));
  EXPECT_EQ(ValidateWebConfigFile(D("missing.yml")).message(),
            absl::StrCat("open ", D("missing.yml"), ": no such file or directory"));
}

}  // namespace
}  // namespace tally::server::http
