#include "server/scrape/file_sd.h"

#include <gtest/gtest.h>

namespace tally::server::scrape {
namespace {

using storage::Labels;

TEST(FileSDTest, ParsesJsonGroups) {
  absl::StatusOr<std::vector<TargetGroup>> g = ParseFileSD(
      "/sd/t.json",
      R"([{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": ["c:3"]}])");
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->size(), 2u);
  EXPECT_EQ((*g)[0].targets,
            (std::vector<Labels>{Labels{{"__address__", "a:1"}}, Labels{{"__address__", "b:2"}}}));
  EXPECT_EQ((*g)[0].labels, (Labels{{"__meta_filepath", "/sd/t.json"}, {"env", "prod"}}));
  EXPECT_EQ((*g)[0].source, "/sd/t.json:0");
  EXPECT_EQ((*g)[1].source, "/sd/t.json:1");
  EXPECT_EQ((*g)[1].labels, (Labels{{"__meta_filepath", "/sd/t.json"}}));
}

TEST(FileSDTest, ParsesYamlGroups) {
  absl::StatusOr<std::vector<TargetGroup>> g =
      ParseFileSD("t.yml", "- targets: ['a:1']\n  labels:\n    x: y\n- targets: []\n");
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->size(), 2u);
  EXPECT_EQ((*g)[0].labels, (Labels{{"__meta_filepath", "t.yml"}, {"x", "y"}}));
  EXPECT_TRUE((*g)[1].targets.empty());
  // An empty file is an empty list, as in Prometheus.
  g = ParseFileSD("t.yaml", "");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->empty());
}

TEST(FileSDTest, RejectsBadContent) {
  EXPECT_EQ(ParseFileSD("t.json", R"([{"targets": ["a:1"], "labels": {"1a": "x"}}])")
                .status()
                .message(),
            "\"1a\" is not a valid label name");
  EXPECT_EQ(ParseFileSD("t.json", "[null]").status().message(), "nil target group item found");
  EXPECT_FALSE(ParseFileSD("t.json", "[{").ok());
  EXPECT_FALSE(ParseFileSD("t.json", R"({"targets": []})").ok());
  EXPECT_FALSE(ParseFileSD("t.json", R"([{"targets": [1]}])").ok());
  // YAML is strict: unknown keys are errors.
  absl::Status st = ParseFileSD("t.yml", "- targets: [a]\n  lables: {}\n").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("line 2: field lables not found"), absl::string_view::npos)
      << st.message();
  EXPECT_FALSE(ParseFileSD("t.yml", "- targets: [a\n").ok());
  EXPECT_FALSE(ParseFileSD("t.txt", "[]").ok());
}

}  // namespace
}  // namespace tally::server::scrape
