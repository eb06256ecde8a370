// Beast/Asio are confined to this file: callers see only http_client.h.
//
// Why asynchronous operations driven synchronously: Beast's blocking calls ignore
// tcp_stream timeouts, so a stalled peer would hang the caller. Each connection owns an
// io_context; a call starts one async operation and runs that context until the operation
// completes or the deadline passes, in which case the socket is closed (which completes the
// operation with operation_aborted) and the call fails. One io_context per connection
// keeps calls on different connections fully independent, with no shared I/O thread.
#include "rules/client/http_client.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace tally::rules {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// One TCP connection and the io_context that drives its operations.
struct Connection {
  asio::io_context ioc{1};
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;
  absl::Time idle_since;
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
  c.socket.close(ignored);
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

}  // namespace

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
  asio::async_connect(c.socket, endpoints, [&](beast::error_code e, const tcp::endpoint&) {
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
  c.socket.set_option(tcp::no_delay(true), cec);
  return absl::OkStatus();
}

Attempt Exchange(Connection& c, const HttpUrl& url, const HttpClientRequest& request,
                 const HttpClientOptions& options, absl::Time deadline,
                 const std::string& err_prefix) {
  Attempt out;
  bhttp::request<bhttp::span_body<const char>> req;
  req.method_string(request.method);
  req.target(url.Target());
  req.version(11);
  req.set(bhttp::field::host, url.HostHeader());
  req.set(bhttp::field::user_agent, options.user_agent);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = beast::span<const char>(request.body.data(), request.body.size());
  req.prepare_payload();
  if (options.max_idle_per_host == 0) req.keep_alive(false);

  bool done = false;
  beast::error_code ec;
  bhttp::async_write(c.socket, req, [&](beast::error_code e, size_t) {
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
  bhttp::async_read_header(c.socket, c.buffer, parser, [&](beast::error_code e, size_t) {
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
    bhttp::async_read(c.socket, c.buffer, parser, [&](beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    if (!RunUntil(c, deadline, done)) {
      out.status =
          absl::DeadlineExceededError(absl::StrCat(err_prefix, "context deadline exceeded"));
      return out;
    }
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
  const std::string key = url.HostPort();
  // Prometheus compat: Go's *url.Error prefix, `Post "http://host:port/path": `.
  const std::string err_prefix = absl::StrCat(GoOp(request.method), " \"", url.ToString(), "\": ");

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
      {
        absl::MutexLock l(&pool_->mu);
        ++pool_->opened;
      }
      absl::Status s =
          Connect(*conn, url, std::min(deadline, absl::Now() + options_.connect_timeout),
                  err_prefix);
      if (!s.ok()) {
        if (s.code() == absl::StatusCode::kDeadlineExceeded && absl::Now() < deadline) {
          // The connect timeout, not the call's deadline: a network error to the caller.
          return absl::UnavailableError(s.message());
        }
        return s;
      }
    }
    Attempt a = Exchange(*conn, url, request, options_, deadline, err_prefix);
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
