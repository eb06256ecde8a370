#include "tests/testutil/fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace tally::testutil {
namespace {

constexpr int kPollMs = 50;
constexpr size_t kMaxRequestBytes = 256 << 20;

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// Waits until fd is readable or stop is set; false on stop.
bool WaitReadable(int fd, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, kPollMs);
    if (r > 0) return true;
    if (r < 0) return false;
  }
  return false;
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string FakeRequest::Header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("FakeHttpServer: bind 127.0.0.1:0");
    std::abort();
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeHttpServer::~FakeHttpServer() { Stop(); }

std::string FakeHttpServer::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

void FakeHttpServer::SetHandler(Handler handler) {
  absl::MutexLock l(&mu_);
  handler_ = std::move(handler);
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  absl::MutexLock l(&mu_);
  return requests_;
}

int FakeHttpServer::request_count() const {
  absl::MutexLock l(&mu_);
  return static_cast<int>(requests_.size());
}

int FakeHttpServer::connections_accepted() const {
  absl::MutexLock l(&mu_);
  return accepted_;
}

bool FakeHttpServer::WaitForRequests(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(requests_.size()) >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

void FakeHttpServer::Stop() {
  if (stop_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    absl::MutexLock l(&mu_);
    workers.swap(workers_);
  }
  for (std::thread& t : workers) t.join();
  close(listen_fd_);
}

void FakeHttpServer::AcceptLoop() {
  while (WaitReadable(listen_fd_, stop_)) {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    absl::MutexLock l(&mu_);
    int id = ++accepted_;
    workers_.emplace_back([this, fd, id] { Serve(fd, id); });
  }
}

void FakeHttpServer::Serve(int fd, int connection_id) {
  std::string buf;
  char chunk[64 * 1024];
  while (true) {
    // Read one request: headers up to the blank line, then Content-Length bytes.
    size_t header_end;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!WaitReadable(fd, stop_)) return (void)close(fd);
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0 || buf.size() > kMaxRequestBytes) return (void)close(fd);
      buf.append(chunk, static_cast<size_t>(n));
    }
    FakeRequest req;
    req.connection_id = connection_id;
    std::vector<absl::string_view> lines =
        absl::StrSplit(absl::string_view(buf).substr(0, header_end), "\r\n");
    std::vector<absl::string_view> first = absl::StrSplit(lines[0], ' ');
    if (first.size() < 2) return (void)close(fd);
    req.method = std::string(first[0]);
    req.target = std::string(first[1]);
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    size_t content_length = 0;
    bool client_close = false;
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t c = lines[i].find(':');
      if (c == absl::string_view::npos) continue;
      std::string name = absl::AsciiStrToLower(lines[i].substr(0, c));
      std::string value(absl::StripAsciiWhitespace(lines[i].substr(c + 1)));
      if (name == "content-length") (void)absl::SimpleAtoi(value, &content_length);
      if (name == "connection" && absl::AsciiStrToLower(value) == "close") client_close = true;
      req.headers.emplace_back(std::move(name), std::move(value));
    }
    if (content_length > kMaxRequestBytes) return (void)close(fd);
    size_t need = header_end + 4 + content_length;
    while (buf.size() < need) {
      if (!WaitReadable(fd, stop_)) return (void)close(fd);
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return (void)close(fd);
      buf.append(chunk, static_cast<size_t>(n));
    }
    req.body = buf.substr(header_end + 4, content_length);
    buf.erase(0, need);

    Handler handler;
    {
      // Recorded before the handler runs, so a test can see a request its handler holds.
      absl::MutexLock l(&mu_);
      handler = handler_;
      requests_.push_back(req);
    }
    FakeResponse resp;
    if (handler) {
      resp = handler(req);
    } else {
      resp.status = 404;
      resp.body = "no handler";
    }
    absl::Time until = absl::Now() + resp.delay;
    while (absl::Now() < until && !stop_.load()) absl::SleepFor(absl::Milliseconds(5));
    if (resp.drop || stop_.load()) return (void)close(fd);
    std::string out = absl::StrCat("HTTP/1.1 ", resp.status, " ", ReasonPhrase(resp.status),
                                   "\r\nContent-Type: ", resp.content_type,
                                   "\r\nContent-Length: ", resp.body.size(), "\r\n");
    for (const auto& [k, v] : resp.headers) absl::StrAppend(&out, k, ": ", v, "\r\n");
    if (resp.close || client_close) out += "Connection: close\r\n";
    out += "\r\n";
    out += resp.body;
    if (!WriteAll(fd, out) || resp.close || client_close) return (void)close(fd);
  }
}

}  // namespace tally::testutil
