// UiHandler: serves the web UI from the embedded assets (ui_assets.h).
//   GET /                        302 to graph (relative, so it holds under a route prefix)
//   GET /graph, /alerts, /rules, /targets, /status, /config, /dashboards/<name>
//                                index.html (the page picks its view from the path); a short
//                                "UI not built" page when node was absent at build time
//   GET /static/<file>           the bundle: app.js, app.css
//   GET /dashboards/<name>.json  <dashboards_dir>/<name>.json when that file exists, else the
//                                built-in dashboard of that name; 404 otherwise
// Every answer carries an ETag (FNV-1a of the bytes) and Cache-Control; If-None-Match gets
// 304. index.html refers to static files with ?v=<etag>, so those are cached as immutable.
// Gzip is the HTTP server's (Accept-Encoding).
//
// Thread-safety: immutable after construction; handlers run on any thread.
#pragma once

#include <cstddef>
#include <string>

#include "server/http/router.h"

namespace tally::server::ui {

struct UiOptions {
  // --web.dashboards-dir: folder of Grafana-style dashboard JSON files (<name>.json) read at
  // request time, so panels can be added without rebuilding; "" = built-in dashboards only.
  std::string dashboards_dir;
  // Largest dashboard file served from dashboards_dir.
  size_t max_dashboard_bytes = 4 << 20;
};

// Installs the routes above. REQUIRES: called before the router serves; `options` is copied.
void RegisterUi(http::Router* router, const UiOptions& options);

}  // namespace tally::server::ui
