#include "server/server.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rules/alert_sender.h"
#include "rules/notifier/notifier_metrics.h"
#include "server/config/http_client_options.h"
#include "server/http/route_prefix.h"
#include "storage/model/labels.h"
#include "storage/util/log.h"

namespace tally::server {

Server::Server(ServerOptions options, storage::DB* db)
    : options_(std::move(options)), db_(db) {}

Server::~Server() {
  Shutdown(absl::Seconds(5));
  metrics_.ClearCollectors();
}

namespace {

// Prometheus compat: computeExternalURL: http://<hostname>:<port> when --web.external-url
// is empty; the path keeps no trailing slash.
std::string ExternalUrl(const std::string& flag, int port) {
  std::string u = flag;
  if (u.empty()) {
    char host[256] = {0};
    if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
    u = absl::StrCat("http://", host, ":", port, "/");
  }
  while (absl::EndsWith(u, "/") && !absl::EndsWith(u, "://")) u.pop_back();
  return u;
}

// alerting.alertmanagers -> Notifier options: one base URL per static target,
// <scheme>://<target><path_prefix> (Prometheus's alertmanager discovery for static_configs).
rules::NotifierOptions NotifierOptionsFor(const config::Config& cfg) {
  rules::NotifierOptions o;
  o.external_labels = cfg.global.external_labels;
  for (const config::AlertmanagerConfig& am : cfg.alerting.alertmanagers) {
    std::string prefix = am.path_prefix;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    if (!prefix.empty() && prefix[0] != '/') prefix = "/" + prefix;
    for (const config::StaticConfig& sc : am.static_configs) {
      for (const std::string& t : sc.targets) {
        o.alertmanager_urls.push_back(absl::StrCat(am.scheme, "://", t, prefix));
        o.alertmanager_http.emplace_back(config::TlsOptionsFor(am.http_client.tls_config),
                                         config::AuthOptionsFor(am.http_client));
      }
    }
    o.timeout = absl::Milliseconds(am.timeout_ms);
  }
  return o;
}

// Prometheus compat: the scrape offsets' jitter seed is an FNV-64a hash of the hostname and
// the external labels (scrape.Manager.setJitterSeed), so two servers spread differently.
uint64_t JitterSeed(const config::Config& cfg) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : absl::StrCat(host, cfg.global.external_labels.ToString())) {
    h = (h ^ c) * 1099511628211ULL;
  }
  return h;
}

// "http://host:9090/prefix" -> "host:9090".
std::string UrlHost(const std::string& url) {
  size_t b = url.find("://");
  b = b == std::string::npos ? 0 : b + 3;
  return url.substr(b, url.find('/', b) - b);
}

}  // namespace

absl::Status Server::ApplyRules(const config::Config& cfg) {
  std::string base_dir;
  if (!cfg.source_path.empty()) {
    base_dir = std::filesystem::path(cfg.source_path).parent_path().string();
  }
  absl::StatusOr<std::vector<std::string>> files = rules::ExpandRuleFiles(cfg.rule_files, base_dir);
  if (!files.ok()) return files.status();
  rules::RuleLoadConfig rc;
  rc.default_interval = absl::Milliseconds(cfg.global.evaluation_interval_ms);
  rc.files = *std::move(files);
  rc.external_labels = cfg.global.external_labels;
  rc.external_url = external_url_;
  return rules_->Update(rc);
}

absl::Status Server::ApplyRemoteWrite(const config::Config& cfg) {
  if (remote_write_ == nullptr) {
    if (cfg.remote_write.empty()) return absl::OkStatus();
    if (options_.remote_write_dir.empty()) {
      // Embedders without a data dir (tests over a fake DB): nothing to forward from.
      TALLY_LOG(kWarn, "remote_write configured but no queue directory given: not forwarding");
      return absl::OkStatus();
    }
    remote::ForwardLogOptions lo;
    lo.dir = options_.remote_write_dir;
    remote_write_ = std::make_unique<remote::RemoteWriteManager>(db_, lo);
    metrics_.AddCollector([this](std::string* out) { remote_write_->RenderMetrics(out); });
  }
  return remote_write_->ApplyConfig(cfg);
}

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

  promql::QueryOptions qo;
  qo.lookback_delta = absl::Milliseconds(s->options_.api.lookback_delta_ms);
  qo.timeout = s->options_.api.query_timeout;
  qo.max_samples = s->options_.api.max_samples;
  qo.default_subquery_step_ms = s->config()->global.evaluation_interval_ms;
  s->rule_backend_ = std::make_unique<rules::LocalBackend>(db, qo);
  rules::RuleManagerOptions ro;
  ro.backend = s->rule_backend_.get();
  ro.resend_delay = s->options_.rules.resend_delay;
  ro.outage_tolerance = s->options_.rules.outage_tolerance;
  ro.for_grace_period = s->options_.rules.for_grace_period;
  absl::StatusOr<std::unique_ptr<rules::Notifier>> notifier =
      rules::Notifier::Start(NotifierOptionsFor(*s->config()));
  if (!notifier.ok()) return notifier.status();
  s->notifier_ = *std::move(notifier);
  ro.notify = [self](const std::string& expr, const std::vector<rules::Alert>& alerts) {
    rules::NotifierSink(self->notifier_.get(), self->external_url_)(expr, alerts);
  };
  rules::LocalBackend* backend = s->rule_backend_.get();
  ro.for_state = [backend](const storage::Labels& l, int64_t mint, int64_t maxt) {
    return backend->LastSample(l, mint, maxt);
  };
  s->rules_ = std::make_unique<rules::RuleManager>(std::move(ro));
  s->metrics_.AddCollector([self](std::string* out) { self->rules_->RenderMetrics(out); });
  s->metrics_.AddCollector([self](std::string* out) {
    rules::RenderNotifierMetrics(self->notifier_->Stats(),
                                 static_cast<int64_t>(rules::NotifierOptions{}.queue_capacity),
                                 out);
  });

  if (absl::Status st = s->ApplyRemoteWrite(*s->config()); !st.ok()) return st;

  api::ApiHooks hooks;
  hooks.config = [self] { return self->config(); };
  hooks.reload = [self] { return self->Reload(); };
  hooks.quit = [self] {
    if (self->options_.on_quit) self->options_.on_quit();
  };
  hooks.ready = [] { return true; };
  hooks.rules = [self] { return self->rules_.get(); };
  hooks.scrape = [self] { return self->scrape_.get(); };
  hooks.alertmanagers = [self] {
    std::vector<std::string> out;
    for (const std::string& u : NotifierOptionsFor(*self->config()).alertmanager_urls) {
      out.push_back(u + "/api/v2/alerts");
    }
    return out;
  };
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
  ui::RegisterUi(&s->router_, s->options_.ui);
  s->http_ = std::make_unique<http::HttpServer>(
      s->options_.http, [self](const http::HttpRequest& req, http::HttpResponse* resp) {
        const absl::Time t0 = absl::Now();
        http::HttpRequest& mreq = const_cast<http::HttpRequest&>(req);
        if (!http::StripRoutePrefix(self->options_.route_prefix, &mreq, resp)) return;
        self->router_.Dispatch(&mreq, resp);
        self->metrics_.ObserveHttp(resp->handler_name, resp->status, absl::Now() - t0);
      });
  if (absl::Status st = s->http_->Start(); !st.ok()) return st;
  // Rules load once the port is known (it is part of the default external URL) and run once
  // the store is ready, as Prometheus starts its rule manager after the TSDB.
  s->external_url_ = ExternalUrl(s->options_.rules.external_url, s->http_->port());
  if (absl::Status st = s->ApplyRules(*s->config()); !st.ok()) {
    s->Shutdown(absl::Seconds(1));
    return st;
  }
  s->rules_->Run();
  scrape::ScrapeManagerOptions so = s->options_.scrape;
  so.jitter_seed = JitterSeed(*s->config());
  so.listen_port = s->http_->port();
  so.external_host = UrlHost(s->external_url_);
  s->scrape_ = std::make_unique<scrape::ScrapeManager>(db, so);
  s->metrics_.AddCollector([self](std::string* out) { self->scrape_->RenderMetrics(out); });
  if (absl::Status st = s->scrape_->ApplyConfig(*s->config()); !st.ok()) {
    s->Shutdown(absl::Seconds(1));
    return st;
  }
  return s;
}

absl::Status Server::Reload() {
  if (options_.config_file.empty()) return absl::OkStatus();
  absl::MutexLock reload_lock(&reload_mu_);
  absl::StatusOr<config::Config> c = config::LoadConfigFile(options_.config_file);
  if (c.ok()) {
    if (absl::Status st = ApplyRules(*c); !st.ok()) c = st;
  }
  if (c.ok()) {
    if (absl::Status st = notifier_->ApplyConfig(NotifierOptionsFor(*c)); !st.ok()) c = st;
  }
  if (c.ok()) {
    if (absl::Status st = ApplyRemoteWrite(*c); !st.ok()) c = st;
  }
  if (c.ok() && scrape_) {
    if (absl::Status st = scrape_->ApplyConfig(*c); !st.ok()) c = st;
  }
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
  // Scrapes and rules stop first: no append may outlive the DB the caller closes next.
  // Prometheus compat: no stale markers on shutdown.
  if (scrape_) scrape_->Stop();
  if (rules_) rules_->Stop();
  if (notifier_) notifier_->Stop();  // a last bounded attempt to deliver queued alerts
  if (http_) http_->Shutdown(grace);
  // After every writer: the last commits still reach the queue.
  if (remote_write_) remote_write_->Stop();
}

}  // namespace tally::server
