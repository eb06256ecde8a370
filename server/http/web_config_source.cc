#include "server/http/web_config_source.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/http/tls_context.h"
#include "storage/util/log.h"

namespace tally::server::http {
namespace {

void StatInto(const std::string& path, std::string* out) {
  struct stat st {};
  if (path.empty()) return;
  if (::stat(path.c_str(), &st) != 0) {
    absl::StrAppend(out, path, ":missing;");
    return;
  }
  absl::StrAppend(out, path, ":", st.st_dev, ":", st.st_ino, ":", st.st_size, ":",
                  st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ";");
}

absl::StatusOr<std::shared_ptr<const WebConfigSource::Snapshot>> Build(const std::string& path,
                                                                        bool* tls_on) {
  absl::StatusOr<WebConfig> cfg = LoadWebConfigFile(path);
  if (!cfg.ok()) return cfg.status();
  auto snap = std::make_shared<WebConfigSource::Snapshot>();
  absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> ctx = MakeServerSslContext(cfg->tls);
  if (ctx.ok()) {
    snap->ssl = *std::move(ctx);
  } else if (!absl::IsNotFound(ctx.status())) {  // NotFound: TLS not configured
    return ctx.status();
  }
  if (tls_on != nullptr) *tls_on = snap->ssl != nullptr;
  snap->config = *std::move(cfg);
  return snap;
}

}  // namespace

absl::Status ValidateWebConfigFile(const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  return Build(path, nullptr).status();
}

absl::StatusOr<std::unique_ptr<WebConfigSource>> WebConfigSource::Open(const std::string& path) {
  std::unique_ptr<WebConfigSource> s(new WebConfigSource(path));
  absl::StatusOr<std::shared_ptr<const Snapshot>> snap = Build(path, &s->tls_);
  if (!snap.ok()) return snap.status();
  s->current_ = *std::move(snap);
  s->fingerprint_ = s->Fingerprint(&s->current_->config);
  return s;
}

std::string WebConfigSource::Fingerprint(const WebConfig* cfg) const {
  std::string fp;
  StatInto(path_, &fp);
  if (cfg != nullptr) {
    StatInto(cfg->tls.cert_file, &fp);
    StatInto(cfg->tls.key_file, &fp);
    StatInto(cfg->tls.client_ca_file, &fp);
  }
  return fp;
}

absl::StatusOr<std::shared_ptr<const WebConfigSource::Snapshot>> WebConfigSource::Current() {
  std::lock_guard<std::mutex> l(mu_);
  const WebConfig* last = current_ ? &current_->config : nullptr;
  std::string fp = Fingerprint(last);
  if (fp == fingerprint_) {
    if (current_) return current_;
    return last_error_;
  }
  bool tls_now = false;
  absl::StatusOr<std::shared_ptr<const Snapshot>> snap = Build(path_, &tls_now);
  if (snap.ok() && tls_now != tls_) {
    snap = absl::FailedPreconditionError(
        tls_ ? "TLS config is not present (the listener serves TLS since start-up)"
             : "TLS was configured after start-up; restart to serve TLS");
  }
  if (!snap.ok()) {
    TALLY_LOG(kError, "Unable to parse configuration",
              {{"file", path_}, {"err", snap.status().message()}});
    current_ = nullptr;
    last_error_ = snap.status();
    fingerprint_ = fp;  // retried when a file changes again
    return snap.status();
  }
  current_ = *std::move(snap);
  fingerprint_ = Fingerprint(&current_->config);
  TALLY_LOG(kInfo, "Reloaded web configuration file", {{"file", path_}});
  return current_;
}

void WebConfigSource::Serve(const HttpRequest& req, HttpResponse* resp, const Handler& handler) {
  absl::StatusOr<std::shared_ptr<const Snapshot>> snap = Current();
  if (!snap.ok()) {
    // Prometheus compat: exporter-toolkit answers http.Error(500) when the file fails.
    resp->status = 500;
    resp->content_type = "text/plain; charset=utf-8";
    resp->body = "Internal Server Error\n";
    resp->headers.emplace_back("X-Content-Type-Options", "nosniff");
    return;
  }
  const WebConfig& cfg = (*snap)->config;
  if (!cfg.users.empty() && !auth_.Check(req.Header("authorization"), cfg.users)) {
    resp->status = 401;
    resp->content_type = "text/plain; charset=utf-8";
    resp->body = "Unauthorized\n";
    resp->headers.emplace_back("WWW-Authenticate", "Basic");
    resp->headers.emplace_back("X-Content-Type-Options", "nosniff");
  } else {
    handler(req, resp);
  }
  // exporter-toolkit sets them before calling the handler: they are on every answer, and a
  // header the handler sets itself wins.
  for (const auto& [k, v] : cfg.headers) {
    bool present = false;
    for (const auto& [hk, hv] : resp->headers) present = present || absl::EqualsIgnoreCase(hk, k);
    if (!present) resp->headers.emplace_back(k, v);
  }
}

}  // namespace tally::server::http
