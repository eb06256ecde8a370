#include "tests/tools/cdp_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/server/test_http_client.h"

namespace tally::testing {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using nlohmann::json;

absl::StatusOr<std::unique_ptr<CdpClient>> CdpClient::Launch(const std::string& chromium,
                                                             const std::string& profile_dir,
                                                             const std::string& log_path,
                                                             int width, int height) {
  std::unique_ptr<CdpClient> c(new CdpClient());
  const int port = testutil::FreePort();
  std::vector<std::string> args = {
      "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
      "--disable-extensions", "--disable-background-networking", "--disable-sync",
      "--hide-scrollbars", "--mute-audio",
      "--remote-debugging-address=127.0.0.1",
      absl::StrCat("--remote-debugging-port=", port),
      "--user-data-dir=" + profile_dir,
      absl::StrCat("--window-size=", width, ",", height), "about:blank"};
  // Chromium's sandbox cannot run as root; only then is it turned off.
  if (geteuid() == 0) args.insert(args.begin(), "--no-sandbox");
  c->browser_ = testutil::ChildProcess::Start(chromium, args, log_path);
  if (c->browser_ == nullptr) return absl::FailedPreconditionError("cannot start chromium");
  if (absl::Status s = c->Attach(port); !s.ok()) {
    std::ifstream in(log_path);
    std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return absl::FailedPreconditionError(absl::StrCat(s.message(), "; chromium log:\n", log));
  }
  for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable"}) {
    if (absl::StatusOr<json> r = c->Call(domain); !r.ok()) return r.status();
  }
  return c;
}

CdpClient::~CdpClient() {
  if (ws_) {
    beast::error_code ec;
    ws_->next_layer().close(ec);
  }
  browser_.reset();  // SIGTERM, bounded wait, SIGKILL
}

absl::Status CdpClient::Attach(int port) {
  std::string ws_url;
  const bool up = testutil::PollUntil(
      [&] {
        if (!browser_->Running()) return true;
        HttpClient http(port);
        ClientResponse r = http.Get("/json/list");
        if (!r.ok || r.status != 200) return false;
        json list = json::parse(r.body, nullptr, false);
        if (!list.is_array()) return false;
        for (const json& t : list) {
          if (t.value("type", "") == "page" && t.contains("webSocketDebuggerUrl")) {
            ws_url = t["webSocketDebuggerUrl"].get<std::string>();
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30), absl::Milliseconds(100));
  if (!up || ws_url.empty()) {
    return absl::FailedPreconditionError("chromium's DevTools endpoint did not come up in 30 s");
  }
  // ws://<the Host we sent>/devtools/page/<id>: only the path matters.
  const size_t at = ws_url.find("/devtools/");
  if (at == std::string::npos) {
    return absl::FailedPreconditionError("unexpected DevTools URL " + ws_url);
  }
  const std::string path = ws_url.substr(at);
  ws_ = std::make_unique<websocket::stream<boost::asio::ip::tcp::socket>>(ioc_);
  beast::error_code ec;
  ws_->next_layer().connect(
      {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)}, ec);
  if (ec) return absl::UnavailableError("connect to DevTools: " + ec.message());
  ws_->read_message_max(64 << 20);  // screenshots arrive as one base64 message
  ws_->handshake(absl::StrCat("127.0.0.1:", port), path, ec);
  if (ec) return absl::UnavailableError("DevTools WebSocket handshake: " + ec.message());
  return absl::OkStatus();
}

void CdpClient::OnEvent(const json& msg) {
  const std::string method = msg.value("method", "");
  const json& p = msg.contains("params") ? msg["params"] : json::object();
  if (method == "Runtime.exceptionThrown") {
    const json& d = p.value("exceptionDetails", json::object());
    std::string text = d.value("text", "");
    if (d.contains("exception")) text += " " + d["exception"].value("description", "");
    errors_.push_back("exception: " + text);
  } else if (method == "Runtime.consoleAPICalled" && p.value("type", "") == "error") {
    std::string text;
    for (const json& a : p.value("args", json::array())) {
      text += a.contains("value") ? a["value"].dump() : a.value("description", "");
      text += " ";
    }
    errors_.push_back("console.error: " + text);
  } else if (method == "Log.entryAdded") {
    const json& e = p.value("entry", json::object());
    if (e.value("level", "") == "error") {
      errors_.push_back("log: " + e.value("text", "") + " " + e.value("url", ""));
    }
  }
}

absl::StatusOr<json> CdpClient::Call(const std::string& method, json params,
                                     absl::Duration timeout) {
  const int id = next_id_++;
  json msg = {{"id", id}, {"method", method}, {"params", std::move(params)}};
  beast::error_code ec;
  ws_->text(true);
  ws_->write(boost::asio::buffer(msg.dump()), ec);
  if (ec) return absl::UnavailableError(absl::StrCat(method, ": write: ", ec.message()));
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(method, ": no answer in ", absl::FormatDuration(timeout)));
    }
    timeval tv{static_cast<time_t>(absl::ToInt64Seconds(left)) + 1, 0};
    setsockopt(ws_->next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    beast::flat_buffer buf;
    ws_->read(buf, ec);
    if (ec) return absl::UnavailableError(absl::StrCat(method, ": read: ", ec.message()));
    json in = json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
    if (in.is_discarded()) continue;
    if (!in.contains("id")) {
      OnEvent(in);
      continue;
    }
    if (in["id"].get<int>() != id) continue;
    if (in.contains("error")) {
      return absl::InternalError(absl::StrCat(method, ": ", in["error"].dump()));
    }
    return in.value("result", json::object());
  }
}

absl::StatusOr<json> CdpClient::Eval(const std::string& expression, absl::Duration timeout) {
  absl::StatusOr<json> r = Call("Runtime.evaluate",
                                {{"expression", expression},
                                 {"returnByValue", true},
                                 {"awaitPromise", true}},
                                timeout);
  if (!r.ok()) return r.status();
  if (r->contains("exceptionDetails")) {
    return absl::InternalError("evaluate: " + (*r)["exceptionDetails"].dump());
  }
  return (*r)["result"].value("value", json());
}

absl::Status CdpClient::NavigateAndWait(const std::string& url, const std::string& ready,
                                        absl::Duration timeout) {
  absl::StatusOr<json> nav = Call("Page.navigate", {{"url", url}});
  if (!nav.ok()) return nav.status();
  if (nav->contains("errorText")) {
    return absl::UnavailableError("navigate " + url + ": " + (*nav)["errorText"].dump());
  }
  absl::Status last = absl::OkStatus();
  const bool done = testutil::PollUntil(
      [&] {
        absl::StatusOr<json> v = Eval(absl::StrCat("!!(", ready, ")"), absl::Seconds(10));
        if (!v.ok()) {
          last = v.status();
          return false;
        }
        return v->is_boolean() && v->get<bool>();
      },
      timeout, absl::Milliseconds(100));
  if (!done) {
    return absl::DeadlineExceededError(absl::StrCat(url, ": not ready (", ready, ") in ", absl::FormatDuration(timeout),
                                                    last.ok() ? "" : "; " + last.ToString()));
  }
  return absl::OkStatus();
}

absl::Status CdpClient::Screenshot(const std::string& png_path) {
  absl::StatusOr<json> r =
      Call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
  if (!r.ok()) return r.status();
  std::string png;
  if (!absl::Base64Unescape((*r).value("data", ""), &png)) {
    return absl::InternalError("screenshot: bad base64");
  }
  std::ofstream out(png_path, std::ios::binary);
  out << png;
  return out.good() ? absl::OkStatus() : absl::InternalError("cannot write " + png_path);
}

std::vector<std::string> CdpClient::TakeErrors() {
  // Events may still sit in the socket: a cheap round trip drains them.
  (void)Call("Runtime.evaluate", {{"expression", "0"}});
  return std::exchange(errors_, {});
}

}  // namespace tally::testing
