#include "server/ui/ui_assets.h"

namespace tally::server::ui {

const UiAsset* FindUiAsset(absl::string_view path) {
  for (const UiAsset& a : EmbeddedUiAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

bool UiBuilt() { return FindUiAsset("index.html") != nullptr; }

}  // namespace tally::server::ui
