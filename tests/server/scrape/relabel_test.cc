#include "server/scrape/relabel.h"

#include <optional>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include "server/scrape/md5.h"

namespace tally::server::scrape {
namespace {

using config::RelabelConfig;
using storage::Labels;
using storage::LabelsBuilder;

RelabelConfig Rule(std::vector<std::string> src, std::string regex, std::string target,
                   std::string replacement, std::string action, uint64_t modulus = 0) {
  RelabelConfig r;
  r.source_labels = std::move(src);
  if (!regex.empty()) r.regex = std::move(regex);
  r.target_label = std::move(target);
  r.replacement = std::move(replacement);
  r.action = std::move(action);
  r.modulus = modulus;
  return r;
}

// Applies `rules` to `in`; returns the result, or nullopt when dropped.
std::optional<Labels> Relabel(const std::vector<RelabelConfig>& rules, const Labels& in) {
  absl::StatusOr<Relabeler> r = Relabeler::Compile(rules);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return std::nullopt;
  LabelsBuilder lb(in);
  if (!r->Apply(lb)) return std::nullopt;
  return lb.Build();
}

TEST(Md5Test, KnownVectors) {
  auto hex = [](const std::array<uint8_t, 16>& d) {
    std::string s;
    for (uint8_t b : d) absl::StrAppend(&s, absl::Hex(b, absl::kZeroPad2));
    return s;
  };
  EXPECT_EQ(hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(Md5("The quick brown fox jumps over the lazy dog")),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(hex(Md5(std::string(1000, 'a'))), "cabe45dcc9ae5b66ba86600cca6b8ba8");
}

TEST(RelabelerTest, EmptyKeepsEverything) {
  Relabeler r;
  EXPECT_TRUE(r.empty());
  LabelsBuilder lb(Labels{{"a", "1"}});
  EXPECT_TRUE(r.Apply(lb));
  EXPECT_EQ(lb.Build(), (Labels{{"a", "1"}}));
}

// Prometheus relabel_test.go: "a" matched by f(.*) -> d = ch.
TEST(RelabelerTest, ReplaceWithCaptureGroup) {
  auto out = Relabel({Rule({"a"}, "f(.*)", "d", "ch${1}-ch${1}", "replace")},
                 Labels{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "choo-choo"}}));
}

// The expectations below were read from Prometheus 2.42.0's /api/v1/targets "labels" for the
// same relabel_configs on static targets (side by side on loopback).

TEST(RelabelerTest, ReplaceJoinsSourcesAndSeesEarlierRules) {
  auto out = Relabel({Rule({"a", "b"}, "(f.*);(.*r)", "a", "${2}-${1}", "replace"),
                      [] {
                        RelabelConfig r = Rule({"a", "zz"}, "", "sep", "$1", "replace");
                        r.separator = "|";
                        return r;
                      }()},
                     Labels{{"a", "foo"}, {"b", "bar"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"a", "bar-foo"}, {"b", "bar"}, {"sep", "bar-foo|"}}));
}

TEST(RelabelerTest, ReplaceWithoutMatchChangesNothing) {
  auto out = Relabel({Rule({"a"}, "bar", "a", "x", "replace")}, Labels{{"a", "foo"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"a", "foo"}}));
}

TEST(RelabelerTest, ReplaceWithEmptyResultDeletesTarget) {
  auto out = Relabel({Rule({"a"}, "foo", "b", "", "replace")}, Labels{{"a", "foo"}, {"b", "bee"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"a", "foo"}}));
}

TEST(RelabelerTest, ReplaceExpandsTargetLabel) {
  auto out = Relabel({Rule({"a"}, "(.*)", "${1}", "bar", "replace"),
                      Rule({"n"}, "(.*)", "$1", "zzz", "replace"),  // "1bad": invalid, skipped
                      Rule({"a"}, "(.*)", "x_${1}", "v", "replace")},
                     Labels{{"a", "foo"}, {"x", "old"}, {"n", "1bad"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"a", "foo"}, {"foo", "bar"}, {"n", "1bad"}, {"x", "old"}, {"x_foo", "v"}}));
}

// Prometheus 2.42 deletes the label literally named "${1}" (none), so x survives; later
// versions delete x.
TEST(RelabelerTest, EmptyResultWithTemplatedTargetKeepsLabelAs242) {
  auto out = Relabel({Rule({"a"}, "(.*)", "${1}", "$2", "replace")},
                     Labels{{"a", "x"}, {"x", "old"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"a", "x"}, {"x", "old"}}));
}

TEST(RelabelerTest, ExpandsLikeGoRegexpExpand) {
  auto out = Relabel(
      {Rule({"a"}, "(?P<first>[a-z]+)-(.*)", "e1", "$$${first}|$2|$1x|${1}x|$|${9}|$0", "replace")},
      Labels{{"a", "foo-bar"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->Get("e1"), "$foo|bar||foox|$||foo-bar");
}

TEST(RelabelerTest, HashModAsPrometheus) {
  RelabelConfig h3 = Rule({"a", "b"}, "", "h3", "$1", "hashmod", 18446744073709551615ull);
  auto out = Relabel({Rule({"a"}, "", "h1", "$1", "hashmod", 1000),
                      Rule({"b"}, "", "h2", "$1", "hashmod", 7), h3},
                     Labels{{"a", "foo"}, {"b", "127.0.0.1:9100"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->Get("h1"), "696");
  EXPECT_EQ(out->Get("h2"), "5");
  EXPECT_EQ(out->Get("h3"), "3481167708372806360");
}

TEST(RelabelerTest, LabelMapCopiesMatchingNames) {
  auto out = Relabel({Rule({}, "__meta_(.+)", "", "m_$1", "labelmap"),
                      Rule({}, "m_(bar)_(.*)", "", "${2}_$1", "labelmap")},
                     Labels{{"__meta_foo", "one"}, {"__meta_bar_baz", "two"}, {"keep", "k"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"__meta_bar_baz", "two"},
                          {"__meta_foo", "one"},
                          {"baz_bar", "two"},
                          {"keep", "k"},
                          {"m_bar_baz", "two"},
                          {"m_foo", "one"}}));
}

TEST(RelabelerTest, LabelDropAndLabelKeep) {
  auto out = Relabel({Rule({}, "drop_.*", "", "$1", "labeldrop")},
                     Labels{{"drop_a", "1"}, {"drop_b", "2"}, {"keep_c", "3"}, {"job", "j"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"job", "j"}, {"keep_c", "3"}}));
  out = Relabel({Rule({}, "__.*|x.|job", "", "$1", "labelkeep")},
                Labels{{"__address__", "h:1"}, {"x1", "1"}, {"y1", "2"}, {"job", "j"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, (Labels{{"__address__", "h:1"}, {"job", "j"}, {"x1", "1"}}));
}

TEST(RelabelerTest, LowercaseAndUppercaseAsGo) {
  auto out = Relabel({Rule({"a"}, "", "lo", "$1", "lowercase"),
                      Rule({"a"}, "", "up", "$1", "uppercase")},
                     Labels{{"a", "\xc3\x84" "bC-\xc3\x9f-\xc4\xb0"}});  // "ÄbC-ß-İ"
  ASSERT_TRUE(out);
  EXPECT_EQ(out->Get("lo"), "\xc3\xa4" "bc-\xc3\x9f-i");
  EXPECT_EQ(out->Get("up"), "\xc3\x84" "BC-\xc3\x9f-\xc4\xb0");
}

TEST(RelabelerTest, KeepEqualAndDropEqual) {
  const Labels same{{"a", "1"}, {"b", "1"}};
  const Labels differ{{"a", "1"}, {"b", "2"}};
  const RelabelConfig keepeq = Rule({"a"}, "", "b", "$1", "keepequal");
  const RelabelConfig dropeq = Rule({"a"}, "", "b", "$1", "dropequal");
  EXPECT_TRUE(Relabel({keepeq}, same));
  EXPECT_FALSE(Relabel({keepeq}, differ));
  EXPECT_FALSE(Relabel({dropeq}, same));
  EXPECT_TRUE(Relabel({dropeq}, differ));
}

TEST(RelabelerTest, KeepAndDropAreAnchored) {
  const std::vector<RelabelConfig> rules = {Rule({"__address__"}, ".*:[12]", "", "$1", "keep"),
                                            Rule({"__address__"}, ".*:2", "", "$1", "drop")};
  EXPECT_TRUE(Relabel(rules, Labels{{"__address__", "127.0.0.1:1"}}));
  EXPECT_FALSE(Relabel(rules, Labels{{"__address__", "127.0.0.1:2"}}));
  EXPECT_FALSE(Relabel(rules, Labels{{"__address__", "127.0.0.1:3"}}));
  EXPECT_FALSE(Relabel(rules, Labels{{"__address__", "127.0.0.1:11"}}));  // anchored: not :1
}

TEST(RelabelerTest, ActionIsCaseInsensitive) {
  auto out = Relabel({Rule({"a"}, "x", "", "$1", "Drop")}, Labels{{"a", "x"}});
  EXPECT_FALSE(out);
}

TEST(RelabelerTest, CompileRejectsInvalidRulesWithPrometheusMessages) {
  // Messages as promtool check config 2.42 prints them.
  const std::pair<RelabelConfig, std::string> cases[] = {
      {Rule({"a"}, "", "b", "$1", "foo"), "unknown relabel action \"foo\""},
      {Rule({"a"}, "(abc", "b", "$1", "replace"),
       "error parsing regexp: missing closing ): `^(?:(abc)$`"},
      {Rule({"a"}, "", "x", "$1", "hashmod"),
       "relabel configuration for hashmod requires non-zero modulus"},
      {Rule({"a"}, "", "", "$1", "replace"),
       "relabel configuration for replace action requires 'target_label' value"},
      {Rule({}, "", "", "1x", "labelmap"), "\"1x\" is invalid 'replacement' for labelmap action"},
      {Rule({"a"}, "", "", "$1", "labeldrop"),
       "labeldrop action requires only 'regex', and no other fields"},
      {Rule({"1a"}, "", "x", "$1", "replace"), "\"1a\" is not a valid label name"},
      {Rule({"a"}, "a", "x", "$1", "keepequal"),
       "keepequal action requires only 'source_labels' and `target_label`, and no other fields"},
      {Rule({"a"}, "", "a-b", "$1", "replace"),
       "\"a-b\" is invalid 'target_label' for replace action"},
      {Rule({"a"}, "", "x", "y", "lowercase"), "'replacement' can not be set for lowercase action"},
      {Rule({"a"}, "", "x", "$1", ""), "unknown relabel action \"\""},
  };
  for (const auto& [rule, msg] : cases) {
    absl::StatusOr<Relabeler> r = Relabeler::Compile({rule});
    ASSERT_FALSE(r.ok()) << msg;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), msg);
  }
}

}  // namespace
}  // namespace tally::server::scrape
