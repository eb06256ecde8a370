// The UI embedded in the binary is the UI the build produced (no stale bundle) and the
// built-in dashboard is examples/llm-cost-tracker/dashboard.json.
#include "server/ui/ui_assets.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace tally::server::ui {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(UiAssetsTest, EmbeddedBundleMatchesTheBuiltFiles) {
  const std::filesystem::path dist = TALLY_BINARY_DIR "/web/dist";
  if (!std::filesystem::exists(dist / "index.html")) {
    EXPECT_FALSE(UiBuilt()) << "a UI is embedded but the build has none";
    GTEST_SKIP() << "the web UI was not built (node/npm absent at build time)";
  }
  ASSERT_TRUE(UiBuilt());
  std::set<std::string> built;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dist)) {
    if (e.is_regular_file()) built.insert(std::filesystem::relative(e.path(), dist).string());
  }
  ASSERT_EQ(built, (std::set<std::string>{"index.html", "static/app.css", "static/app.js"}));
  for (const std::string& path : built) {
    const UiAsset* a = FindUiAsset(path);
    ASSERT_NE(a, nullptr) << path << " is not embedded";
    EXPECT_TRUE(a->data == ReadFile(dist / path)) << path << " in the binary is stale";
  }
  for (const UiAsset& a : EmbeddedUiAssets()) {
    if (a.path.substr(0, 11) == "dashboards/") continue;
    EXPECT_TRUE(built.count(std::string(a.path))) << a.path << " embedded but not built";
  }
}

TEST(UiAssetsTest, BuiltInDashboardIsTheExampleFile) {
  const UiAsset* a = FindUiAsset("dashboards/llm-cost.json");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->content_type, "application/json");
  EXPECT_TRUE(a->data == ReadFile(TALLY_SOURCE_DIR "/examples/llm-cost-tracker/dashboard.json"));
}

TEST(UiAssetsTest, FindsOnlyWhatIsEmbedded) {
  EXPECT_EQ(FindUiAsset("static/missing.js"), nullptr);
  EXPECT_EQ(FindUiAsset(""), nullptr);
}

}  // namespace
}  // namespace tally::server::ui
