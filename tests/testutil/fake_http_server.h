// FakeHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 for tests of Tally's HTTP clients
// (a fake Alertmanager, a fake query API, a fake remote-write receiver). Plain POSIX
// sockets, one thread per connection, keep-alive, Content-Length bodies only (what our
// clients send). It records every request and answers with the test's handler.
//
// Every blocking wait polls a stop flag at least every 50 ms, so the destructor returns
// promptly even with idle keep-alive connections open. Test-only.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tally::testutil {

struct FakeRequest {
  std::string method;
  std::string target;  // path?query
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  int connection_id = 0;  // which accepted connection carried it (keep-alive tests)

  std::string Header(const std::string& lower_name) const;
};

struct FakeResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  absl::Duration delay = absl::ZeroDuration();  // before answering (timeout tests)
  bool close = false;                           // close the connection after answering
  // Close the connection without answering at all.
  bool drop = false;
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  // Binds 127.0.0.1 on an ephemeral port and starts accepting. Aborts the test binary if
  // binding fails (loopback always works where tests run).
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:PORT"

  void SetHandler(Handler handler);
  std::vector<FakeRequest> requests() const;
  int request_count() const;
  int connections_accepted() const;
  // Waits until at least n requests were received (recorded before the handler runs) or
  // the timeout passes; returns whether they were.
  bool WaitForRequests(int n, absl::Duration timeout) const;
  // Stops accepting and closes every connection; idempotent.
  void Stop();

 private:
  void AcceptLoop();
  void Serve(int fd, int connection_id);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable absl::Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<FakeRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tally::testutil
