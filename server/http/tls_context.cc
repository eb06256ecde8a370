// OpenSSL is used through Boost.Asio's context plus a few direct SSL_CTX calls for what Asio
// does not wrap (protocol bounds, cipher and group lists, verify modes).
#include "server/http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tally::server::http {
namespace {

namespace ssl = boost::asio::ssl;

// Go's os.ReadFile wording for a file we cannot open (the common mistake is a wrong path).
absl::Status Readable(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::InvalidArgumentError(absl::StrCat("open ", path, ": no such file or directory"));
  return absl::OkStatus();
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// Go's cipher suite names are the IANA ones; OpenSSL knows them as "standard names".
absl::StatusOr<std::string> OpenSslCipherList(const std::vector<std::string>& iana) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> probe(SSL_CTX_new(TLS_server_method()),
                                                          &SSL_CTX_free);
  if (!probe || SSL_CTX_set_cipher_list(probe.get(), "ALL:COMPLEMENTOFALL") != 1) {
    return absl::InternalError("OpenSSL: cannot list cipher suites");
  }
  STACK_OF(SSL_CIPHER)* all = SSL_CTX_get_ciphers(probe.get());
  std::vector<std::string> names;
  for (const std::string& want : iana) {
    std::string found;
    for (int i = 0; i < sk_SSL_CIPHER_num(all); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(all, i);
      const char* std_name = SSL_CIPHER_standard_name(c);
      if (std_name != nullptr && want == std_name) found = SSL_CIPHER_get_name(c);
    }
    if (found.empty()) return absl::InvalidArgumentError(absl::StrCat("unknown cipher: ", want));
    names.push_back(found);
  }
  return absl::StrJoin(names, ":");
}

int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

}  // namespace

absl::StatusOr<std::shared_ptr<ssl::context>> MakeServerSslContext(const TlsServerConfig& cfg) {
  if (!cfg.Enabled()) return absl::NotFoundError("TLS config is not present");
  if (cfg.cert_file.empty()) return absl::InvalidArgumentError("missing cert_file");
  if (cfg.key_file.empty()) return absl::InvalidArgumentError("missing key_file");

  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ERR_clear_error();
  for (const std::string* f : {&cfg.cert_file, &cfg.key_file}) {
    if (absl::Status st = Readable(*f); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("failed to load X509KeyPair: ", st.message()));
    }
  }
  if (SSL_CTX_use_certificate_chain_file(native, cfg.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(native, cfg.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(native) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to load X509KeyPair: ", OpenSslError()));
  }

  int verify = SSL_VERIFY_NONE;
  bool check_chain = false;
  const std::string& ca = cfg.client_auth_name;
  if (ca.empty() || ca == "NoClientCert") {
  } else if (ca == "RequestClientCert") {
    verify = SSL_VERIFY_PEER;
  } else if (ca == "RequireAnyClientCert" || ca == "RequireClientCert") {
    verify = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  } else if (ca == "VerifyClientCertIfGiven") {
    verify = SSL_VERIFY_PEER;
    check_chain = true;
  } else if (ca == "RequireAndVerifyClientCert") {
    verify = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    check_chain = true;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("Invalid ClientAuth: ", ca));
  }
  if (!cfg.client_ca_file.empty()) {
    if (absl::Status st = Readable(cfg.client_ca_file); !st.ok()) return st;
    if (verify == SSL_VERIFY_NONE) {
      return absl::InvalidArgumentError(
          "Client CA's have been configured without a Client Auth Policy");
    }
    if (SSL_CTX_load_verify_locations(native, cfg.client_ca_file.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("client_ca_file ", cfg.client_ca_file, ": ", OpenSslError()));
    }
    // The CA names sent in the CertificateRequest, so clients pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(cfg.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
    ERR_clear_error();
  } else if (check_chain) {
    // As Go with no ClientCAs: verify against the system's roots.
    SSL_CTX_set_default_verify_paths(native);
  }
  // "Request"/"RequireAny" variants take any certificate; the verifying ones use OpenSSL's
  // chain verification against the CA file.
  SSL_CTX_set_verify(native, verify, check_chain ? nullptr : &AcceptAnyCertificate);
  if (verify != SSL_VERIFY_NONE) {
    // Required by OpenSSL for session resumption when client certificates are requested.
    static const unsigned char kSid[] = "tally";
    SSL_CTX_set_session_id_context(native, kSid, sizeof(kSid) - 1);
  }

  SSL_CTX_set_min_proto_version(native, cfg.min_version);
  SSL_CTX_set_max_proto_version(native, cfg.max_version);
  long opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
  if (cfg.prefer_server_cipher_suites) opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(native, opts);
  if (!cfg.cipher_suites.empty()) {
    absl::StatusOr<std::string> list = OpenSslCipherList(cfg.cipher_suites);
    if (!list.ok()) return list.status();
    if (SSL_CTX_set_cipher_list(native, list->c_str()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("cipher_suites: ", OpenSslError()));
    }
  }
  if (!cfg.curve_preferences.empty()) {
    std::vector<std::string> groups;
    for (const std::string& c : cfg.curve_preferences) {
      groups.push_back(c == "CurveP256"   ? "P-256"
                       : c == "CurveP384" ? "P-384"
                       : c == "CurveP521" ? "P-521"
                                          : "X25519");
    }
    if (SSL_CTX_set1_groups_list(native, absl::StrJoin(groups, ":").c_str()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("curve_preferences: ", OpenSslError()));
    }
  }
  return ctx;
}

}  // namespace tally::server::http
