// A blocking HTTP/1.1 client for tests (Boost.Beast), plus a tiny JSON "shape" reader used to
// compare our responses with Prometheus 2.42's captured bodies. Header-only, test-only.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tally::testing {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  bool ok = false;  // transport succeeded
  std::string error;
};

// One keep-alive connection to 127.0.0.1:port.
class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port), stream_(ioc_) {}
  ~HttpClient() { Close(); }

  bool Connect() {
    boost::beast::error_code ec;
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"),
                                      static_cast<uint16_t>(port_));
    stream_.expires_after(std::chrono::seconds(30));
    stream_.connect(ep, ec);
    connected_ = !ec;
    if (connected_) {
      // Synchronous Beast calls ignore expires_after; a socket timeout bounds every read and
      // write so a server bug fails the test instead of hanging it.
      timeval tv{60, 0};
      setsockopt(stream_.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(stream_.socket().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    return connected_;
  }
  void Close() {
    boost::beast::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    connected_ = false;
  }

  ClientResponse Do(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    namespace http = boost::beast::http;
    ClientResponse out;
    if (!connected_ && !Connect()) {
      out.error = "connect failed";
      return out;
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    boost::beast::error_code ec;
    stream_.expires_after(std::chrono::seconds(60));
    http::write(stream_, req, ec);
    if (ec) {
      out.error = ec.message();
      connected_ = false;
      return out;
    }
    boost::beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    if (method == "HEAD") parser.skip(true);
    http::read(stream_, buf, parser, ec);
    if (ec) {
      out.error = ec.message();
      connected_ = false;
      return out;
    }
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    out.body = std::move(res.body());
    out.ok = true;
    if (!res.keep_alive()) Close();
    return out;
  }

  ClientResponse Get(const std::string& target) { return Do("GET", target); }
  ClientResponse PostForm(const std::string& target, const std::string& form) {
    return Do("POST", target, form,
              {{"Content-Type", "application/x-www-form-urlencoded"}});
  }

 private:
  int port_;
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  bool connected_ = false;
};

// JSON shape: objects keep their keys in order ({"a":<shape>,...}); arrays show the shape
// of their first element ([<shape>] or []); strings "s", numbers n, booleans b, null.
// With `map_keys`, object keys are replaced by "*" (for objects keyed by data).
// Returns "<invalid>" for malformed JSON.
class JsonShape {
 public:
  static std::string Of(const std::string& json, bool map_keys = false) {
    JsonShape p(json, map_keys);
    std::string out;
    p.Ws();
    if (!p.Value(&out)) return "<invalid>";
    p.Ws();
    return p.i_ == json.size() ? out : "<invalid>";
  }

 private:
  JsonShape(const std::string& s, bool map_keys) : s_(s), map_keys_(map_keys) {}
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool Str(std::string* raw) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') ++i_;
      if (raw) raw->push_back(s_[i_]);
      ++i_;
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool Value(std::string* out) {
    Ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      *out += "{";
      Ws();
      bool first = true;
      while (i_ < s_.size() && s_[i_] != '}') {
        if (!first) {
          if (s_[i_] != ',') return false;
          ++i_;
          Ws();
        }
        std::string key;
        if (!Str(&key)) return false;
        Ws();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        std::string v;
        if (!Value(&v)) return false;
        if (!map_keys_ || first) {
          if (!first) *out += ",";
          *out += (map_keys_ ? "*" : key) + ":" + v;
        }
        first = false;
        Ws();
      }
      if (i_ >= s_.size()) return false;
      ++i_;
      *out += "}";
      return true;
    }
    if (c == '[') {
      ++i_;
      *out += "[";
      Ws();
      bool first = true;
      while (i_ < s_.size() && s_[i_] != ']') {
        if (!first) {
          if (s_[i_] != ',') return false;
          ++i_;
        }
        std::string v;
        if (!Value(&v)) return false;
        if (first) *out += v;
        first = false;
        Ws();
      }
      if (i_ >= s_.size()) return false;
      ++i_;
      *out += "]";
      return true;
    }
    if (c == '"') {
      *out += "s";
      return Str(nullptr);
    }
    if (s_.compare(i_, 4, "true") == 0 || s_.compare(i_, 5, "false") == 0) {
      i_ += s_[i_] == 't' ? 4 : 5;
      *out += "b";
      return true;
    }
    if (s_.compare(i_, 4, "null") == 0) {
      i_ += 4;
      *out += "null";
      return true;
    }
    size_t st = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                              s_[i_] == '+' || s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
    }
    if (i_ == st) return false;
    *out += "n";
    return true;
  }
  const std::string& s_;
  bool map_keys_;
  size_t i_ = 0;
};

}  // namespace tally::testing
