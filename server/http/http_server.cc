// Beast/Asio and zlib are confined to this file: handlers see only http_types.h.
#include "server/http/http_server.h"

#include <sys/socket.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <set>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/http/gzip_stream.h"
#include "server/http/web_config_source.h"

namespace tally::server::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {
std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
}
class SessionBase;
}  // namespace

struct HttpServer::State {
  // Declared first so they outlive `ioc`: destroying the io_context destroys pending
  // handlers, which may run ~Session, which uses these.
  std::mutex mu;
  std::condition_variable cv;
  std::set<SessionBase*> sessions;  // guarded by mu; raw pointers removed in ~SessionBase
  int64_t open = 0;             // guarded by mu

  HttpServerOptions options;
  Handler handler;
  std::atomic<bool> stopping{false};
  asio::io_context ioc;
  // Keeps ioc.run() from returning while a request sits on the worker pool with no I/O
  // pending (e.g. during Shutdown, once the acceptor and idle connections are closed):
  // without it the I/O threads exit and the in-flight response is never written.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> io_work;
  std::optional<tcp::acceptor> acceptor;
  asio::thread_pool workers;  // runs handlers
  // --web.config.file (TLS, basic auth, headers); null without one.
  std::unique_ptr<WebConfigSource> web;

  State(int io_threads, int worker_threads) : ioc(io_threads), workers(worker_threads) {}
};

namespace {

// The part of a connection the server's bookkeeping (Shutdown) needs, whatever its stream.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  explicit SessionBase(HttpServer::State* state) : state_(state) {}
  virtual ~SessionBase() {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->sessions.erase(this);
    --state_->open;
    state_->cv.notify_all();
  }
  // Runs on the session's strand: closes the connection unless a request is in flight
  // (that one closes after its response is written).
  virtual void CloseIfIdle() = 0;
  virtual asio::any_io_executor executor() = 0;

 protected:
  HttpServer::State* state_;  // owned by the HttpServer, outlives every Session
};

// One connection: Stream is beast::tcp_stream (plain HTTP) or an ssl_stream over one (TLS,
// handshake first).
template <class Stream>
class Session : public SessionBase {
 public:
  Session(Stream stream, HttpServer::State* state,
          std::shared_ptr<asio::ssl::context> ssl_ctx = nullptr)
      : SessionBase(state), ssl_ctx_(std::move(ssl_ctx)), stream_(std::move(stream)) {
    beast::error_code ec;
    auto ep = Socket().remote_endpoint(ec);
    if (!ec) remote_ = absl::StrCat(ep.address().to_string(), ":", ep.port());
  }

  void Start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::DoHandshake, Self()));
  }

  void CloseIfIdle() override {
    if (!busy_) {
      beast::error_code ec;
      Socket().shutdown(tcp::socket::shutdown_both, ec);
      Socket().close(ec);
    }
  }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  std::shared_ptr<Session> Self() {
    return std::static_pointer_cast<Session>(shared_from_this());
  }
  tcp::socket& Socket() { return beast::get_lowest_layer(stream_).socket(); }
  void ExpiresAfter(std::chrono::steady_clock::duration d) {
    beast::get_lowest_layer(stream_).expires_after(d);
  }

  void DoHandshake() {
    if constexpr (kTls) {
      // The handshake gets the header timeout: a client that connects and says nothing is
      // dropped as one that never sends its request line.
      ExpiresAfter(ToChrono(state_->options.header_timeout));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = Self()](beast::error_code ec) {
                                if (ec) return self->Close();  // bad cert, protocol, timeout
                                self->DoRead();
                              });
    } else {
      DoRead();
    }
  }

  void DoRead() {
    if (state_->stopping.load()) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    ExpiresAfter(ToChrono(state_->options.header_timeout));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, Self()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec == bhttp::error::header_limit) return SendError(431, "request header too large");
    if (ec == bhttp::error::body_limit) {  // Content-Length already over the limit
      return SendError(413, absl::StrCat("request body larger than ",
                                         state_->options.max_body_bytes, " bytes"));
    }
    if (ec) return Close();  // EOF, timeout, reset, cancelled on shutdown
    busy_ = true;
    ExpiresAfter(ToChrono(state_->options.body_timeout));
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, Self()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit) {
      return SendError(413, absl::StrCat("request body larger than ",
                                         state_->options.max_body_bytes, " bytes"));
    }
    if (ec == bhttp::error::bad_target || ec == bhttp::error::bad_method ||
        ec == bhttp::error::bad_version || ec == bhttp::error::bad_field ||
        ec == bhttp::error::bad_value || ec == bhttp::error::bad_content_length ||
        ec == bhttp::error::bad_transfer_encoding || ec == bhttp::error::bad_chunk) {
      return SendError(400, "malformed HTTP request");
    }
    if (ec) return Close();
    bhttp::request<bhttp::string_body> breq = parser_->release();
    HttpRequest req;
    req.method = std::string(breq.method_string());
    req.target = std::string(breq.target());
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& f : breq) {
      req.headers.emplace_back(absl::AsciiStrToLower(std::string(f.name_string())),
                               std::string(f.value()));
    }
    req.body = std::move(breq.body());
    req.remote_address = remote_;
    req.disconnect = std::make_shared<ClientDisconnect>();
    keep_alive_ = breq.keep_alive();
    WatchPeer(req.disconnect);

    // Handlers (and gzip) run on the worker pool so a slow query never stalls I/O; the
    // response is written back on this connection's strand.
    const bool gzip_ok = AcceptsGzip(req.Header("accept-encoding"));
    const unsigned version = breq.version();
    asio::post(state_->workers, [self = Self(), req = std::move(req), gzip_ok,
                                 version]() mutable {
      auto resp = std::make_shared<HttpResponse>();
      if (self->state_->web) {
        self->state_->web->Serve(req, resp.get(), self->state_->handler);
      } else {
        self->state_->handler(req, resp.get());
      }
      if (resp->body_writer) return self->StreamBody(resp, gzip_ok, version);
      const bool gzipped = self->MaybeGzip(resp.get(), gzip_ok);
      asio::post(self->stream_.get_executor(), [self, resp, gzipped, version] {
        self->Send(*resp, gzipped, version);
      });
    });
  }

  // ---- Streamed bodies (HttpResponse::body_writer). Runs on the worker thread that ran the
  // handler; every socket operation is posted to the strand and waited for, one at a time,
  // so a slow client slows the writer down (backpressure) instead of the body piling up.
  using Done = std::function<void(beast::error_code)>;

  // Runs op on the strand and waits for its completion; false on error or when it does not
  // complete within the write timeout (+5 s: the socket timeout fires first normally).
  bool OnStrand(std::function<void(Done)> op) {
    auto p = std::make_shared<std::promise<beast::error_code>>();
    std::future<beast::error_code> f = p->get_future();
    asio::post(stream_.get_executor(), [self = Self(), op = std::move(op), p] {
      op([p](beast::error_code ec) { p->set_value(ec); });
    });
    if (f.wait_for(ToChrono(state_->options.write_timeout) + std::chrono::seconds(5)) !=
        std::future_status::ready) {
      return false;
    }
    return !f.get();
  }

  void StreamBody(std::shared_ptr<HttpResponse> resp, bool gzip_ok, unsigned version) {
    constexpr size_t kPlainLimit = 64 << 10;  // smaller answers keep a Content-Length
    constexpr size_t kChunkBytes = 64 << 10;  // bytes per chunk on the wire
    const bool gzip = gzip_ok && resp->allow_gzip && resp->status != 204;
    std::string pending;  // the start of the body, until we know it is large
    bool streaming = false, failed = false;
    std::optional<GzipStream> gz;
    std::string out;  // bytes for the next chunk
    auto send_out = [&](bool force) {
      if (failed || out.empty() || (!force && out.size() < kChunkBytes)) return;
      auto data = std::make_shared<std::string>(std::move(out));
      out.clear();
      failed = !OnStrand([this, data](Done done) {
        ExpiresAfter(ToChrono(state_->options.write_timeout));
        asio::async_write(stream_, bhttp::make_chunk(asio::buffer(*data)),
                          [data, done](beast::error_code ec, size_t) { done(ec); });
      });
    };
    auto feed = [&](absl::string_view piece) {
      if (gz) {
        failed = failed || !gz->Append(piece, &out).ok();
      } else {
        out.append(piece.data(), piece.size());
      }
      send_out(false);
    };
    resp->body_writer([&](absl::string_view piece) {
      if (failed) return;
      if (streaming) return feed(piece);
      pending.append(piece.data(), piece.size());
      if (pending.size() < kPlainLimit || version < 11) return;  // HTTP/1.0: no chunks
      streaming = true;
      if (gzip) gz.emplace(state_->options.gzip_level);
      failed = !OnStrand([this, resp, gzip, version](Done done) {
        StartChunked(*resp, gzip, version, std::move(done));
      });
      feed(pending);
      std::string().swap(pending);
    });
    resp->body_writer = nullptr;
    if (!streaming) {
      resp->body = std::move(pending);
      const bool gzipped = MaybeGzip(resp.get(), gzip_ok);
      asio::post(stream_.get_executor(), [self = Self(), resp, gzipped, version] {
        self->Send(*resp, gzipped, version);
      });
      return;
    }
    if (gz && !failed) failed = !gz->Finish(&out).ok();
    send_out(true);
    if (!failed) {
      failed = !OnStrand([this](Done done) {
        ExpiresAfter(ToChrono(state_->options.write_timeout));
        asio::async_write(stream_, bhttp::make_chunk_last(),
                          [done](beast::error_code ec, size_t) { done(ec); });
      });
    }
    asio::post(stream_.get_executor(), [self = Self(), failed] {
      if (failed) return self->Close();
      self->OnWrite({}, 0);  // keep-alive: next request, as after a plain answer
    });
  }

  // On the strand: the status line and headers of a chunked answer.
  void StartChunked(const HttpResponse& resp, bool gzip, unsigned version, Done done) {
    beast::error_code ignored;
    Socket().cancel(ignored);  // ends WatchPeer's wait
    hdr_ = {};
    hdr_.version(version);
    hdr_.result(static_cast<unsigned>(resp.status));
    hdr_.keep_alive(keep_alive_ && !state_->stopping.load());
    if (!resp.content_type.empty()) hdr_.set(bhttp::field::content_type, resp.content_type);
    for (const auto& [k, v] : resp.headers) hdr_.set(k, v);
    if (gzip) {
      hdr_.set(bhttp::field::content_encoding, "gzip");
      hdr_.insert(bhttp::field::vary, "Accept-Encoding");
    }
    hdr_.chunked(true);
    res_ = {};
    res_.keep_alive(hdr_.keep_alive());  // what OnWrite consults afterwards
    hdr_sr_.emplace(hdr_);
    ExpiresAfter(ToChrono(state_->options.write_timeout));
    bhttp::async_write_header(stream_, *hdr_sr_,
                              [done = std::move(done)](beast::error_code ec, size_t) { done(ec); });
  }

  // While the handler runs nothing else reads this connection: wait for it to become
  // readable. If that is the end of the stream (or an error), the client has gone and the
  // handler is told (a query is cancelled); if it is data (a pipelined request), the client
  // is still there and the watch ends, leaving the bytes for the next read. Send() cancels
  // the watch. Prometheus 2.42 does not cancel (docs/compatibility.md).
  void WatchPeer(std::shared_ptr<ClientDisconnect> disconnect) {
    Socket().async_wait(
        tcp::socket::wait_read,
        [self = Self(), disconnect](beast::error_code ec) {
          if (ec == asio::error::operation_aborted) return;  // response sent, or closing
          if (ec) return disconnect->Fire();
          char c;
          ssize_t n = ::recv(self->Socket().native_handle(), &c, 1,
                             MSG_PEEK | MSG_DONTWAIT);
          if (n > 0) return;  // a pipelined request: the client is still there
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return self->WatchPeer(disconnect);  // spurious wake-up
          }
          disconnect->Fire();  // n == 0: end of stream; n < 0: reset
        });
  }

  bool MaybeGzip(HttpResponse* resp, bool gzip_ok) {
    if (!gzip_ok || !resp->allow_gzip || resp->body.empty() || resp->status == 204) {
      return false;
    }
    std::string z;
    if (!GzipCompress(resp->body, state_->options.gzip_level, &z).ok()) return false;
    resp->body = std::move(z);
    return true;
  }

  void Send(HttpResponse& resp, bool gzipped, unsigned version) {
    // Ends WatchPeer's wait (the only operation pending on the socket while a handler runs).
    beast::error_code ignored;
    Socket().cancel(ignored);
    res_ = {};
    res_.version(version);
    res_.result(static_cast<unsigned>(resp.status));
    res_.keep_alive(keep_alive_ && !state_->stopping.load());
    // An empty content_type sends none (Prometheus's 200 from /-/reload has none).
    if (resp.status != 204 && resp.status != 304 && !resp.content_type.empty()) {
      res_.set(bhttp::field::content_type, resp.content_type);
    }
    for (auto& [k, v] : resp.headers) res_.set(k, v);
    if (gzipped) {
      res_.set(bhttp::field::content_encoding, "gzip");
      // insert, not set: CORS answers already carry "Vary: Origin".
      res_.insert(bhttp::field::vary, "Accept-Encoding");
    }
    res_.body() = std::move(resp.body);
    res_.prepare_payload();
    ExpiresAfter(ToChrono(state_->options.write_timeout));
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&Session::OnWrite, Self()));
  }

  void SendError(int status, std::string msg) {
    busy_ = true;
    keep_alive_ = false;
    drain_ = true;
    HttpResponse resp;
    resp.status = status;
    resp.content_type = "text/plain; charset=utf-8";
    resp.body = std::move(msg) + "\n";
    Send(resp, false, 11);
  }

  void OnWrite(beast::error_code ec, size_t) {
    busy_ = false;
    if (!ec && drain_) return Drain();
    if (ec || !res_.keep_alive() || state_->stopping.load()) return Close();
    res_ = {};
    DoRead();
  }

  // After an error answer the client may still be sending its body; closing with unread
  // data would reset the connection and could destroy our response before the client reads
  // it. So: half-close, discard input for a bounded time and size, then close.
  void Drain() {
    beast::error_code ec;
    Socket().shutdown(tcp::socket::shutdown_send, ec);
    DrainSome(0);
  }
  void DrainSome(size_t total) {
    if (total > (size_t{64} << 20)) return Close();
    ExpiresAfter(std::chrono::seconds(2));
    stream_.async_read_some(
        asio::buffer(drain_buf_),
        [self = Self(), total](beast::error_code ec, size_t n) {
          if (ec) return self->Close();
          self->DrainSome(total + n);
        });
  }

  void Close() {
    beast::error_code ec;
    Socket().shutdown(tcp::socket::shutdown_send, ec);
    Socket().close(ec);
  }

  std::shared_ptr<asio::ssl::context> ssl_ctx_;  // TLS: outlives stream_ (declared first)
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  bhttp::response<bhttp::empty_body> hdr_;  // a streamed answer's header
  std::optional<bhttp::response_serializer<bhttp::empty_body>> hdr_sr_;
  std::string remote_;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool drain_ = false;
  std::array<char, 16384> drain_buf_;

};

void DoAccept(HttpServer::State* state);

void OnAccept(HttpServer::State* state, beast::error_code ec, tcp::socket socket) {
  if (state->stopping.load() || !state->acceptor || !state->acceptor->is_open()) return;
  if (!ec) {
    // Responses are streamed in several writes (header, chunks, the last chunk): with
    // Nagle on, a small final write waits for the ACK of the previous one, which a
    // keep-alive client delays by ~40 ms. Go's net/http sets TCP_NODELAY too.
    beast::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    bool admit;
    {
      std::lock_guard<std::mutex> l(state->mu);
      admit = state->open < state->options.max_connections;
    }
    std::shared_ptr<asio::ssl::context> ctx;
    if (admit && state->web && state->web->tls()) {
      // The TLS settings and certificates as they are now (re-read when a file changed).
      absl::StatusOr<std::shared_ptr<const WebConfigSource::Snapshot>> snap =
          state->web->Current();
      if (snap.ok()) ctx = (*snap)->ssl;
      admit = ctx != nullptr;  // a broken file fails this connection (logged by Current)
    }
    if (admit) {
      // Counted before Start so Shutdown sees it; ~SessionBase uncounts.
      auto count = [state](SessionBase* s) {
        std::lock_guard<std::mutex> l(state->mu);
        state->sessions.insert(s);
        ++state->open;
      };
      if (ctx) {
        using TlsStream = beast::ssl_stream<beast::tcp_stream>;
        auto s = std::make_shared<Session<TlsStream>>(
            TlsStream(beast::tcp_stream(std::move(socket)), *ctx), state, ctx);
        count(s.get());
        s->Start();
      } else {
        auto s = std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                              state);
        count(s.get());
        s->Start();
      }
    } else {
      beast::error_code ignored;
      socket.close(ignored);
    }
  }
  DoAccept(state);
}

void DoAccept(HttpServer::State* state) {
  auto& acc = *state->acceptor;
  acc.async_accept(asio::make_strand(state->ioc),
                   [state](beast::error_code ec, tcp::socket socket) {
                     OnAccept(state, ec, std::move(socket));
                   });
}

}  // namespace

absl::Status SplitHostPort(const std::string& addr, std::string* host, int* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("address ", addr, ": missing port in address"));
  }
  std::string h = addr.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  if (!absl::SimpleAtoi(addr.substr(colon + 1), &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address ", addr, ": invalid port"));
  }
  *host = h.empty() ? "0.0.0.0" : h;
  *port = p;
  return absl::OkStatus();
}

bool AcceptsGzip(absl::string_view accept_encoding) {
  for (absl::string_view part : absl::StrSplit(accept_encoding, ',')) {
    std::vector<absl::string_view> kv = absl::StrSplit(part, ';');
    absl::string_view token = absl::StripAsciiWhitespace(kv[0]);
    if (!absl::EqualsIgnoreCase(token, "gzip") && token != "*") continue;
    bool zero_q = false;
    for (size_t i = 1; i < kv.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(kv[i]);
      if (absl::StartsWith(p, "q=")) {
        double q = 1;
        if (absl::SimpleAtod(p.substr(2), &q) && q <= 0) zero_q = true;
      }
    }
    if (!zero_q) return true;
  }
  return false;
}

absl::Status GzipCompress(absl::string_view in, int level, std::string* out) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  out->resize(deflateBound(&zs, in.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  int rc = deflate(&zs, Z_FINISH);
  size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return absl::InternalError("gzip deflate failed");
  out->resize(n);
  return absl::OkStatus();
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler) : options_(std::move(options)) {
  if (options_.threads <= 0) {
    options_.threads = std::max(2u, std::thread::hardware_concurrency());
  }
  if (options_.worker_threads <= 0) {
    options_.worker_threads = std::max(4u, 2 * std::thread::hardware_concurrency());
  }
  state_ = std::make_unique<State>(options_.threads, options_.worker_threads);
  state_->options = options_;
  state_->handler = std::move(handler);
}

HttpServer::~HttpServer() { Shutdown(absl::Seconds(5)); }

absl::Status HttpServer::Start() {
  if (!options_.web_config_file.empty() && !state_->web) {
    absl::StatusOr<std::unique_ptr<WebConfigSource>> web =
        WebConfigSource::Open(options_.web_config_file);
    if (!web.ok()) return absl::InvalidArgumentError(web.status().message());
    state_->web = *std::move(web);
  }
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(options_.listen_address, &host, &port); !s.ok()) return s;
  beast::error_code ec;
  auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid listen address ", options_.listen_address, ": ", ec.message()));
  }
  tcp::endpoint ep(addr, static_cast<uint16_t>(port));
  state_->acceptor.emplace(asio::make_strand(state_->ioc));
  auto& acc = *state_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("listen on ", options_.listen_address, ": ", ec.message()));
  }
  port_ = acc.local_endpoint().port();
  DoAccept(state_.get());
  state_->io_work.emplace(state_->ioc.get_executor());
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([st = state_.get()] { st->ioc.run(); });
  }
  started_ = true;
  return absl::OkStatus();
}

int64_t HttpServer::open_connections() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->open;
}

void HttpServer::Shutdown(absl::Duration grace) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  state_->stopping.store(true);
  // Stop accepting (on the acceptor's strand).
  std::promise<void> closed;
  asio::post(state_->acceptor->get_executor(), [this, &closed] {
    beast::error_code ec;
    state_->acceptor->close(ec);
    closed.set_value();
  });
  closed.get_future().wait();
  // Close idle keep-alive connections; busy ones close after their response.
  // Collect strong refs under the lock but release them outside it: dropping the last ref
  // runs ~Session, which takes the same lock.
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard<std::mutex> l(state_->mu);
    for (SessionBase* s : state_->sessions) {
      if (auto sp = s->weak_from_this().lock()) live.push_back(std::move(sp));
    }
  }
  for (auto& sp : live) asio::post(sp->executor(), [sp] { sp->CloseIfIdle(); });
  live.clear();
  {
    std::unique_lock<std::mutex> l(state_->mu);
    state_->cv.wait_for(l, ToChrono(grace), [this] { return state_->open == 0; });
  }
  state_->io_work.reset();
  state_->ioc.stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  state_->workers.join();  // a handler still running past the grace period finishes first
}

}  // namespace tally::server::http
