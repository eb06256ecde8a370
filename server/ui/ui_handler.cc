#include "server/ui/ui_handler.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "server/ui/ui_assets.h"

namespace tally::server::ui {
namespace {

using http::HttpRequest;
using http::HttpResponse;

std::string ETagOf(absl::string_view data) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return absl::StrFormat("\"%016x\"", h);
}

// Pages the single-page app renders; each answers with index.html.
constexpr const char* kPages[] = {"/graph", "/alerts", "/rules", "/targets", "/status", "/config"};

// What the handlers share: index.html with versioned asset links, and the ETags.
struct UiState {
  UiOptions options;
  std::string index_html;
  std::string index_etag;
  absl::flat_hash_map<std::string, std::string> etags;  // embedded asset path -> ETag
};

// Answers `body` with its ETag, or 304 when the client has it.
void Serve(const HttpRequest& req, HttpResponse* resp, absl::string_view body,
           absl::string_view content_type, const std::string& etag,
           absl::string_view cache_control) {
  resp->headers.emplace_back("ETag", etag);
  resp->headers.emplace_back("Cache-Control", std::string(cache_control));
  if (absl::StrContains(req.Header("if-none-match"), etag)) {
    resp->status = 304;
    resp->content_type.clear();
    return;
  }
  resp->status = 200;
  resp->content_type = std::string(content_type);
  resp->body = std::string(body);
}

void NotFound(HttpResponse* resp) {
  // Prometheus compat: the router's 404 body.
  resp->status = 404;
  resp->content_type = "text/plain; charset=utf-8";
  resp->body = "404 page not found\n";
}

constexpr absl::string_view kNotBuilt =
    "<!doctype html><meta charset=\"utf-8\"><title>Tally</title>"
    "<p>The web UI was not built: node and npm were not found when this binary was built "
    "(see docs/ui.md). The HTTP API answers at <a href=\"api/v1/status/buildinfo\">api/v1/</a>.\n";

void ServePage(const std::shared_ptr<const UiState>& st, const HttpRequest& req,
               HttpResponse* resp) {
  if (st->index_html.empty()) {
    resp->content_type = "text/html; charset=utf-8";
    resp->body = std::string(kNotBuilt);
    return;
  }
  Serve(req, resp, st->index_html, "text/html; charset=utf-8", st->index_etag, "no-cache");
}

bool ValidDashboardName(absl::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_')) return false;
  }
  return true;
}

void ServeDashboard(const std::shared_ptr<const UiState>& st, absl::string_view name,
                    const HttpRequest& req, HttpResponse* resp) {
  if (!ValidDashboardName(name)) return NotFound(resp);
  if (!st->options.dashboards_dir.empty()) {
    const std::filesystem::path p =
        std::filesystem::path(st->options.dashboards_dir) / absl::StrCat(name, ".json");
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) {
      const uintmax_t size = std::filesystem::file_size(p, ec);
      if (ec || size > st->options.max_dashboard_bytes) {
        resp->status = 500;
        resp->content_type = "text/plain; charset=utf-8";
        resp->body = absl::StrCat("dashboard file ", p.string(), " is larger than ",
                                  st->options.max_dashboard_bytes, " bytes\n");
        return;
      }
      std::ifstream in(p, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      if (!in.good() && !in.eof()) {
        resp->status = 500;
        resp->content_type = "text/plain; charset=utf-8";
        resp->body = absl::StrCat("cannot read dashboard file ", p.string(), "\n");
        return;
      }
      const std::string body = ss.str();
      return Serve(req, resp, body, "application/json", ETagOf(body), "no-cache");
    }
  }
  const UiAsset* a = FindUiAsset(absl::StrCat("dashboards/", name, ".json"));
  if (a == nullptr) return NotFound(resp);
  Serve(req, resp, a->data, a->content_type, st->etags.at(a->path), "no-cache");
}

}  // namespace

void RegisterUi(http::Router* router, const UiOptions& options) {
  auto st = std::make_shared<UiState>();
  st->options = options;
  for (const UiAsset& a : EmbeddedUiAssets()) st->etags[a.path] = ETagOf(a.data);
  if (const UiAsset* index = FindUiAsset("index.html"); index != nullptr) {
    // Versioned links: a new binary's bundle is never mixed with a cached old one.
    std::vector<std::pair<std::string, std::string>> repl;
    for (const UiAsset& a : EmbeddedUiAssets()) {
      if (!absl::StartsWith(a.path, "static/")) continue;
      const std::string& etag = st->etags[a.path];
      repl.emplace_back(absl::StrCat("\"", a.path, "\""),
                        absl::StrCat("\"", a.path, "?v=", etag.substr(1, etag.size() - 2), "\""));
    }
    st->index_html = absl::StrReplaceAll(index->data, repl);
    st->index_etag = ETagOf(st->index_html);
  }
  std::shared_ptr<const UiState> cst = st;

  router->Handle("GET", "/", [](const HttpRequest&, HttpResponse* resp) {
    resp->status = 302;
    resp->headers.emplace_back("Location", "graph");
    resp->content_type = "text/html; charset=utf-8";
    resp->body = "<a href=\"graph\">Found</a>.\n";
  });
  for (const char* page : kPages) {
    router->Handle("GET", page,
                   [cst](const HttpRequest& req, HttpResponse* resp) { ServePage(cst, req, resp); });
  }
  router->Handle("GET", "/dashboards/{name}", [cst](const HttpRequest& req, HttpResponse* resp) {
    absl::string_view name = req.PathParam("name");
    if (absl::ConsumeSuffix(&name, ".json")) return ServeDashboard(cst, name, req, resp);
    ServePage(cst, req, resp);
  });
  router->Handle("GET", "/static/{file}", [cst](const HttpRequest& req, HttpResponse* resp) {
    const UiAsset* a = FindUiAsset(absl::StrCat("static/", req.PathParam("file")));
    if (a == nullptr) return NotFound(resp);
    // index.html links carry ?v=<etag>: a cached copy of such a URL can never be stale.
    Serve(req, resp, a->data, a->content_type, cst->etags.at(a->path),
          req.query.empty() ? "no-cache" : "public, max-age=31536000, immutable");
  });
}

}  // namespace tally::server::ui
