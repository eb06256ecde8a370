#include "server/server.h"

#include "absl/strings/str_cat.h"
#include "storage/model/labels.h"
#include "storage/util/log.h"

namespace tally::server {

Server::Server(ServerOptions options, storage::DB* db)
    : options_(std::move(options)), db_(db) {}

Server::~Server() { Shutdown(absl::Seconds(5)); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, storage::DB* db) {
  if (absl::StatusOr<api::CorsPolicy> c = api::CorsPolicy::Make(options.api.cors_origin); !c.ok()) {
    return c.status();
  }
  std::unique_ptr<Server> s(new Server(std::move(options), db));
  std::shared_ptr<const config::Config> cfg;
  if (!s->options_.config_file.empty()) {
    absl::StatusOr<config::Config> c = config::LoadConfigFile(s->options_.config_file);
    if (!c.ok()) return c.status();
    cfg = std::make_shared<const config::Config>(*std::move(c));
  } else {
    cfg = std::make_shared<const config::Config>();
  }
  {
    absl::MutexLock l(&s->mu_);
    s->config_ = std::move(cfg);
    s->config_time_ = absl::Now();
  }
  Server* self = s.get();
  api::ApiHooks hooks;
  hooks.config = [self] { return self->config(); };
  hooks.reload = [self] { return self->Reload(); };
  hooks.quit = [self] {
    if (self->options_.on_quit) self->options_.on_quit();
  };
  hooks.ready = [] { return true; };
  hooks.last_config_time = [self] {
    absl::MutexLock l(&self->mu_);
    return self->config_time_;
  };
  hooks.last_reload_ok = [self] {
    absl::MutexLock l(&self->mu_);
    return self->last_reload_ok_;
  };
  s->api_ = std::make_unique<api::HttpApi>(db, &s->metrics_, s->options_.api, std::move(hooks));
  s->api_->Register(&s->router_);
  s->http_ = std::make_unique<http::HttpServer>(
      s->options_.http, [self](const http::HttpRequest& req, http::HttpResponse* resp) {
        const absl::Time t0 = absl::Now();
        http::HttpRequest& mreq = const_cast<http::HttpRequest&>(req);
        self->router_.Dispatch(&mreq, resp);
        self->metrics_.ObserveHttp(resp->handler_name, resp->status, absl::Now() - t0);
      });
  if (absl::Status st = s->http_->Start(); !st.ok()) return st;
  return s;
}

absl::Status Server::Reload() {
  if (options_.config_file.empty()) return absl::OkStatus();
  absl::StatusOr<config::Config> c = config::LoadConfigFile(options_.config_file);
  absl::MutexLock l(&mu_);
  last_reload_ok_ = c.ok();
  metrics_.SetConfigReload(c.ok(), absl::Now());
  if (!c.ok()) {
    TALLY_LOG(kError, "Error reloading config",
              {{"file", options_.config_file}, {"err", c.status().message()}});
    // Prometheus compat: main.go reloadConfig's wrapping, as /-/reload shows it.
    return absl::Status(
        c.status().code(),
        absl::StrCat("couldn't load configuration (--config.file=",
                     storage::GoQuote(options_.config_file), "): ", c.status().message()));
  }
  config_ = std::make_shared<const config::Config>(*std::move(c));
  config_time_ = absl::Now();
  TALLY_LOG(kInfo, "Completed loading of configuration file",
            {{"filename", options_.config_file}});
  return absl::OkStatus();
}

std::shared_ptr<const config::Config> Server::config() const {
  absl::MutexLock l(&mu_);
  return config_;
}

void Server::Shutdown(absl::Duration grace) {
  if (http_) http_->Shutdown(grace);
}

}  // namespace tally::server
