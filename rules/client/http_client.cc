// Beast/Asio/OpenSSL are confined to this file: callers see only http_client.h.
//
// Why asynchronous operations driven synchronously: Beast's blocking calls ignore
// tcp_stream timeouts, so a stalled peer would hang the caller. Each connection owns an
// io_context; a call starts one async operation and runs that context until the operation
// completes or the deadline passes, in which case the socket is closed (which completes the
// operation with operation_aborted) and the call fails. One io_context per connection
// keeps calls on different connections fully independent, with no shared I/O thread.
#include "rules/client/http_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace tally::rules {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

using TlsStream = asio::ssl::stream<tcp::socket>;

// One TCP connection (plain, or inside a TLS stream) and the io_context that drives its
// operations.
struct Connection {
  asio::io_context ioc{1};
  tcp::socket plain{ioc};
  std::unique_ptr<TlsStream> tls;  // https: owns its own socket
  beast::flat_buffer buffer;
  absl::Time idle_since;
  tcp::socket& socket() { return tls ? tls->next_layer() : plain; }
};

// Runs `c`'s io_context until *done or `deadline`. On timeout closes the socket (and
// cancels `resolver` if given) and drains the cancelled handlers. Returns false on timeout.
bool RunUntil(Connection& c, absl::Time deadline, const bool& done,
              tcp::resolver* resolver = nullptr) {
  c.ioc.restart();
  while (!done) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::nanoseconds(absl::ToInt64Nanoseconds(left));
    if (c.ioc.run_one_until(until) == 0 && c.ioc.stopped()) break;
  }
  if (done) return true;
  if (resolver != nullptr) resolver->cancel();
  beast::error_code ignored;
  c.socket().close(ignored);
  c.ioc.restart();
  c.ioc.run();
  return false;
}

// Go's url.Error Op: "Get", "Post".
std::string GoOp(const std::string& method) {
  if (method.empty()) return method;
  return absl::StrCat(method.substr(0, 1), absl::AsciiStrToLower(method.substr(1)));
}

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }

// Go's os.ReadFile error text: "open /x: no such file or directory".
absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("open ", path, ": ", Lower(std::strerror(errno))));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Prometheus compat (common/config, 2.42): tls_config min_version names.
absl::StatusOr<int> TlsVersion(const std::string& v) {
  if (v.empty() || v == "TLS12") return TLS1_2_VERSION;
  if (v == "TLS13") return TLS1_3_VERSION;
  if (v == "TLS11") return TLS1_1_VERSION;
  if (v == "TLS10") return TLS1_VERSION;
  return absl::InvalidArgumentError(absl::StrCat("unknown TLS version: ", v));
}

// The client context for `tls`, with Prometheus's error wording (common/config
// NewTLSConfig).
absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeClientContext(const TlsClientOptions& tls) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  absl::StatusOr<int> version = TlsVersion(tls.min_version);
  if (!version.ok()) return version.status();
  SSL_CTX_set_min_proto_version(ctx->native_handle(), *version);
  beast::error_code ec;
  if (!tls.ca_file.empty()) {
    absl::StatusOr<std::string> pem = ReadWholeFile(tls.ca_file);
    if (!pem.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("unable to load specified CA cert ",
                                                     tls.ca_file, ": ", pem.status().message()));
    }
    ctx->add_certificate_authority(asio::buffer(*pem), ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to use specified CA cert ", tls.ca_file));
    }
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (!tls.cert_file.empty() && tls.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client cert file \"", tls.cert_file, "\" specified without client key file"));
  }
  if (tls.cert_file.empty() && !tls.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client key file \"", tls.key_file, "\" specified without client cert file"));
  }
  if (!tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (!ec) ctx->use_private_key_file(tls.key_file, asio::ssl::context::pem, ec);
    if (!ec && SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      ec = asio::error::invalid_argument;
    }
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to use specified client cert (", tls.cert_file, ") & key (",
                       tls.key_file, "): ", Lower(ec.message())));
    }
  }
  return ctx;
}

// The Authorization header of `auth`, or "" for none; reads the files now.
absl::StatusOr<std::string> AuthorizationHeader(const HttpAuthOptions& auth) {
  auto secret = [](const std::string& inline_value, const std::string& file,
                   const char* what) -> absl::StatusOr<std::string> {
    if (file.empty()) return inline_value;
    absl::StatusOr<std::string> b = ReadWholeFile(file);
    if (!b.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("unable to read ", what, " ", file, ": ", b.status().message()));
    }
    return std::string(absl::StripAsciiWhitespace(*b));
  };
  if (auth.basic) {
    absl::StatusOr<std::string> password =
        secret(auth.password, auth.password_file, "basic auth password file");
    if (!password.ok()) return password.status();
    return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(auth.username, ":", *password)));
  }
  if (!auth.type.empty()) {
    absl::StatusOr<std::string> cred =
        secret(auth.credentials, auth.credentials_file, "authorization credentials file");
    if (!cred.ok()) return cred.status();
    return absl::StrCat(auth.type, " ", *cred);
  }
  return std::string();
}

}  // namespace

absl::Status ValidateTlsClientOptions(const TlsClientOptions& tls) {
  return MakeClientContext(tls).status();
}

absl::string_view HttpClientResponse::Header(absl::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

std::string HttpClientResponse::StatusText() const {
  return reason.empty() ? absl::StrCat(status) : absl::StrCat(status, " ", reason);
}

absl::Duration RetryBackoff(int attempt, absl::Duration initial, absl::Duration max) {
  absl::Duration d = initial;
  for (int i = 0; i < attempt && d < max; ++i) d *= 2;
  return std::min(d, max);
}

struct HttpClient::Pool {
  absl::Mutex mu;
  // Built at the first https request; the status of that attempt is kept.
  std::shared_ptr<asio::ssl::context> tls_ctx ABSL_GUARDED_BY(mu);
  std::optional<absl::Status> tls_status ABSL_GUARDED_BY(mu);
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle ABSL_GUARDED_BY(mu);
  int64_t opened ABSL_GUARDED_BY(mu) = 0;
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()) {}

HttpClient::~HttpClient() = default;

int64_t HttpClient::connections_opened() const {
  absl::MutexLock l(&pool_->mu);
  return pool_->opened;
}

namespace {

// The outcome of one attempt on one connection.
struct Attempt {
  absl::Status status;
  HttpClientResponse response;
  bool keep_alive = false;
  // Failed before any response byte arrived (safe to repeat on a fresh connection).
  bool nothing_received = false;
};

absl::Status Connect(Connection& c, const HttpUrl& url, absl::Time deadline,
                     const std::string& err_prefix) {
  beast::error_code ec;
  asio::ip::address addr = asio::ip::make_address(url.host, ec);
  std::vector<tcp::endpoint> endpoints;
  if (!ec) {
    endpoints.emplace_back(addr, static_cast<uint16_t>(url.port));
  } else {
    tcp::resolver resolver(c.ioc);
    bool done = false;
    beast::error_code rec;
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             rec = e;
                             for (const auto& entry : r) endpoints.push_back(entry.endpoint());
                             done = true;
                           });
    if (!RunUntil(c, deadline, done, &resolver)) {
      return absl::DeadlineExceededError(
          absl::StrCat(err_prefix, "dial tcp: lookup ", url.host, ": i/o timeout"));
    }
    if (rec || endpoints.empty()) {
      return absl::UnavailableError(absl::StrCat(err_prefix, "dial tcp: lookup ", url.host, ": ",
                                                 Lower(rec ? rec.message() : "no such host")));
    }
  }
  bool done = false;
  beast::error_code cec;
  asio::async_connect(c.socket(), endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    cec = e;
    done = true;
  });
  if (!RunUntil(c, deadline, done)) {
    return absl::DeadlineExceededError(
        absl::StrCat(err_prefix, "dial tcp ", url.HostPort(), ": i/o timeout"));
  }
  if (cec) {
    return absl::UnavailableError(absl::StrCat(err_prefix, "dial tcp ", url.HostPort(),
                                               ": connect: ", Lower(cec.message())));
  }
  c.socket().set_option(tcp::no_delay(true), cec);
  return absl::OkStatus();
}

// The TLS handshake of a connected https connection: SNI and the verified name are
// server_name or the URL's host (an IP address is checked against the certificate's IP
// SANs, as Go does).
absl::Status Handshake(Connection& c, const HttpUrl& url, const TlsClientOptions& tls,
                       absl::Time deadline, const std::string& err_prefix) {
  const std::string& name = tls.server_name.empty() ? url.host : tls.server_name;
  beast::error_code ec;
  asio::ip::make_address(name, ec);
  if (ec) SSL_set_tlsext_host_name(c.tls->native_handle(), name.c_str());
  if (tls.insecure_skip_verify) {
    c.tls->set_verify_mode(asio::ssl::verify_none);
  } else {
    c.tls->set_verify_mode(asio::ssl::verify_peer);
    c.tls->set_verify_callback(asio::ssl::host_name_verification(name));
  }
  bool done = false;
  c.tls->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!RunUntil(c, deadline, done)) {
    return absl::DeadlineExceededError(
        absl::StrCat(err_prefix, "net/http: TLS handshake timeout"));
  }
  if (ec) {
    std::string what = Lower(ec.message());
    const long verify = SSL_get_verify_result(c.tls->native_handle());
    if (verify != X509_V_OK) {
      what = absl::StrCat("x509: ", X509_verify_cert_error_string(verify));
    }
    return absl::UnavailableError(absl::StrCat(err_prefix, "tls: ", what));
  }
  return absl::OkStatus();
}

template <typename Stream>
Attempt Exchange(Stream& stream, Connection& c, const HttpUrl& url,
                 const HttpClientRequest& request, const std::string& authorization,
                 const HttpClientOptions& options, absl::Time deadline,
                 const std::string& err_prefix) {
  Attempt out;
  bhttp::request<bhttp::span_body<const char>> req;
  req.method_string(request.method);
  req.target(url.Target());
  req.version(11);
  req.set(bhttp::field::host, url.HostHeader());
  req.set(bhttp::field::user_agent, options.user_agent);
  if (!authorization.empty()) req.set(bhttp::field::authorization, authorization);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = beast::span<const char>(request.body.data(), request.body.size());
  req.prepare_payload();
  if (options.max_idle_per_host == 0) req.keep_alive(false);

  bool done = false;
  beast::error_code ec;
  bhttp::async_write(stream, req, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  if (!RunUntil(c, deadline, done)) {
    out.status = absl::DeadlineExceededError(absl::StrCat(err_prefix, "context deadline exceeded"));
    return out;
  }
  if (ec) {
    out.nothing_received = true;
    out.status = absl::UnavailableError(absl::StrCat(err_prefix, Lower(ec.message())));
    return out;
  }

  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
  parser.body_limit(options.max_response_bytes);
  if (request.method == "HEAD") parser.skip(true);
  // Header first: Beast 1.74's eager parse skips the body_limit check of a response's
  // Content-Length (the check only runs when parsing stops after the header), so we check
  // Content-Length ourselves; chunked and read-to-EOF bodies are limited by the parser.
  done = false;
  bhttp::async_read_header(stream, c.buffer, parser, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  if (!RunUntil(c, deadline, done)) {
    out.status = absl::DeadlineExceededError(absl::StrCat(err_prefix, "context deadline exceeded"));
    return out;
  }
  if (!ec && parser.content_length() && *parser.content_length() > options.max_response_bytes) {
    ec = bhttp::error::body_limit;
  }
  if (!ec && !parser.is_done()) {
    done = false;
    bhttp::async_read(stream, c.buffer, parser, [&](beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    if (!RunUntil(c, deadline, done)) {
      out.status =
          absl::DeadlineExceededError(absl::StrCat(err_prefix, "context deadline exceeded"));
      return out;
    }
  }
  // A TLS peer that closes without close_notify ends a read-to-EOF body the same way a
  // plain one does (Go accepts it too).
  if (ec == asio::ssl::error::stream_truncated && parser.got_some() && !parser.is_done() &&
      parser.need_eof()) {
    parser.put_eof(ec);
  }
  if (ec == bhttp::error::body_limit) {
    out.status = absl::ResourceExhaustedError(absl::StrCat(
        err_prefix, "response body larger than ", options.max_response_bytes, " bytes"));
    return out;
  }
  if (ec == bhttp::error::header_limit) {
    out.status = absl::ResourceExhaustedError(absl::StrCat(
        err_prefix, "response header larger than ", options.max_header_bytes, " bytes"));
    return out;
  }
  if (ec) {
    out.nothing_received = !parser.got_some();
    // Prometheus compat: Go reports a connection closed before the response as "EOF".
    std::string what = ec == bhttp::error::end_of_stream || ec == asio::error::eof
                           ? "EOF"
                           : Lower(ec.message());
    out.status = absl::UnavailableError(absl::StrCat(err_prefix, what));
    return out;
  }
  auto& res = parser.get();
  out.response.status = static_cast<int>(res.result_int());
  out.response.reason = std::string(res.reason());
  for (const auto& f : res) {
    out.response.headers.emplace_back(absl::AsciiStrToLower(std::string(f.name_string())),
                                      std::string(f.value()));
  }
  out.response.body = std::move(res.body());
  out.keep_alive = res.keep_alive() && options.max_idle_per_host > 0;
  return out;
}

}  // namespace

absl::StatusOr<HttpClientResponse> HttpClient::Do(const HttpUrl& url,
                                                  const HttpClientRequest& request) {
  const absl::Time now = absl::Now();
  const absl::Time deadline =
      request.deadline == absl::InfiniteFuture() ? now + options_.timeout : request.deadline;
  const std::string key = absl::StrCat(url.https ? "https " : "http ", url.HostPort());
  // Prometheus compat: Go's *url.Error prefix, `Post "http://host:port/path": `.
  const std::string err_prefix = absl::StrCat(GoOp(request.method), " \"", url.ToString(), "\": ");
  std::shared_ptr<asio::ssl::context> tls_ctx;
  if (url.https) {
    absl::MutexLock l(&pool_->mu);
    if (!pool_->tls_status) {
      absl::StatusOr<std::shared_ptr<asio::ssl::context>> ctx = MakeClientContext(options_.tls);
      pool_->tls_status = ctx.status();
      if (ctx.ok()) pool_->tls_ctx = *std::move(ctx);
    }
    if (!pool_->tls_status->ok()) {
      return absl::Status(pool_->tls_status->code(),
                          absl::StrCat(err_prefix, pool_->tls_status->message()));
    }
    tls_ctx = pool_->tls_ctx;
  }
  absl::StatusOr<std::string> authorization = AuthorizationHeader(options_.auth);
  if (!authorization.ok()) {
    return absl::Status(authorization.status().code(),
                        absl::StrCat(err_prefix, authorization.status().message()));
  }

  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<Connection> conn;
    if (round == 0) {
      absl::MutexLock l(&pool_->mu);
      auto it = pool_->idle.find(key);
      while (it != pool_->idle.end() && !it->second.empty()) {
        std::unique_ptr<Connection> c = std::move(it->second.back());
        it->second.pop_back();
        if (now - c->idle_since < options_.idle_timeout) {
          conn = std::move(c);
          break;
        }
      }
    }
    const bool reused = conn != nullptr;
    if (!reused) {
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(err_prefix, "context deadline exceeded"));
      }
      conn = std::make_unique<Connection>();
      if (tls_ctx) conn->tls = std::make_unique<TlsStream>(conn->ioc, *tls_ctx);
      {
        absl::MutexLock l(&pool_->mu);
        ++pool_->opened;
      }
      const absl::Time connect_deadline =
          std::min(deadline, absl::Now() + options_.connect_timeout);
      absl::Status s = Connect(*conn, url, connect_deadline, err_prefix);
      if (s.ok() && conn->tls) s = Handshake(*conn, url, options_.tls, connect_deadline, err_prefix);
      if (!s.ok()) {
        if (s.code() == absl::StatusCode::kDeadlineExceeded && absl::Now() < deadline) {
          // The connect timeout, not the call's deadline: a network error to the caller.
          return absl::UnavailableError(s.message());
        }
        return s;
      }
    }
    Attempt a = conn->tls ? Exchange(*conn->tls, *conn, url, request, *authorization, options_,
                                     deadline, err_prefix)
                          : Exchange(conn->plain, *conn, url, request, *authorization, options_,
                                     deadline, err_prefix);
    if (a.status.ok()) {
      if (a.keep_alive) {
        conn->idle_since = absl::Now();
        conn->buffer.clear();
        absl::MutexLock l(&pool_->mu);
        auto& idle = pool_->idle[key];
        if (idle.size() < options_.max_idle_per_host) idle.push_back(std::move(conn));
      }
      return std::move(a.response);
    }
    // A pooled connection the server closed while idle: once more on a fresh one.
    if (!(reused && a.nothing_received && absl::Now() < deadline)) return a.status;
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<HttpClientResponse> HttpClient::Get(absl::string_view url, absl::Time deadline) {
  absl::StatusOr<HttpUrl> u = ParseHttpUrl(url);
  if (!u.ok()) return u.status();
  HttpClientRequest req;
  req.deadline = deadline;
  return Do(*u, req);
}

absl::StatusOr<HttpClientResponse> HttpClient::Post(absl::string_view url,
                                                    absl::string_view content_type,
                                                    std::string body, absl::Time deadline) {
  absl::StatusOr<HttpUrl> u = ParseHttpUrl(url);
  if (!u.ok()) return u.status();
  HttpClientRequest req;
  req.method = "POST";
  req.headers.emplace_back("Content-Type", std::string(content_type));
  req.body = std::move(body);
  req.deadline = deadline;
  return Do(*u, req);
}

}  // namespace tally::rules
