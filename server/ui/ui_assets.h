// The web UI's files (web/, bundled by web/build.mjs) and the built-in dashboards
// (examples/llm-cost-tracker/dashboard.json), embedded in the binary at build time by
// web/embed_assets.cmake. The definitions live in a generated source file in the build tree
// (web/ui_assets_data.cc); when node/npm were absent at build time it holds the dashboards
// only and UiBuilt() is false.
//
// Thread-safety: immutable static data; any thread.
#pragma once

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tally::server::ui {

struct UiAsset {
  absl::string_view path;          // relative to the UI root: "index.html", "static/app.js"
  absl::string_view content_type;  // "text/html; charset=utf-8", ...
  absl::string_view data;          // the file's bytes; static storage
};

// Every embedded file, in no particular order.
absl::Span<const UiAsset> EmbeddedUiAssets();

// The asset at `path`, or nullptr.
const UiAsset* FindUiAsset(absl::string_view path);

// True when the frontend bundle (index.html and static/*) is embedded.
bool UiBuilt();

}  // namespace tally::server::ui
