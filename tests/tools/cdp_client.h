// CdpClient: a minimal Chrome DevTools Protocol client for browser end-to-end tests. Starts
// Debian's headless chromium on a loopback debugging port with its own profile folder,
// attaches to its first page over a WebSocket (Boost.Beast) and sends commands, keeping the
// events that arrive in between (console messages, exceptions). Test-only; one thread.
//
// Every wait is bounded: commands by their timeout (a socket receive timeout, since Beast's
// synchronous calls ignore expires_after), start-up by PollUntil.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/testutil/external_process.h"

namespace tally::testing {

class CdpClient {
 public:
  // Starts `chromium` (headless, --user-data-dir=<profile_dir>, window width x height; also
  // --no-sandbox when running as root, where chromium's sandbox refuses to start) and attaches
  // to its page. Logs go to `log_path`. FailedPrecondition when it does not come up in 30 s.
  static absl::StatusOr<std::unique_ptr<CdpClient>> Launch(const std::string& chromium,
                                                           const std::string& profile_dir,
                                                           const std::string& log_path,
                                                           int width = 1280, int height = 1000);
  ~CdpClient();

  // Sends `method` and waits for its answer: the `result` object, or the protocol error.
  absl::StatusOr<nlohmann::json> Call(const std::string& method,
                                      nlohmann::json params = nlohmann::json::object(),
                                      absl::Duration timeout = absl::Seconds(30));
  // Runtime.evaluate with returnByValue (promises awaited): the value, or the exception text.
  absl::StatusOr<nlohmann::json> Eval(const std::string& expression,
                                      absl::Duration timeout = absl::Seconds(30));
  // Navigates and polls `ready` (a JS expression) until it is true, up to `timeout`.
  absl::Status NavigateAndWait(const std::string& url, const std::string& ready,
                               absl::Duration timeout = absl::Seconds(30));
  // Page.captureScreenshot of the whole page into `png_path`.
  absl::Status Screenshot(const std::string& png_path);
  // Errors seen since the last call: uncaught exceptions, console.error calls and
  // error-level log entries (failed loads), as text.
  std::vector<std::string> TakeErrors();

 private:
  CdpClient() = default;
  absl::Status Attach(int port);
  void OnEvent(const nlohmann::json& msg);

  std::unique_ptr<testutil::ChildProcess> browser_;
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::beast::websocket::stream<boost::asio::ip::tcp::socket>> ws_;
  int next_id_ = 1;
  std::vector<std::string> errors_;
};

}  // namespace tally::testing
