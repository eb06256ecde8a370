// ConfigToYaml (what /api/v1/status/config shows): secrets masked as Prometheus 2.42 masks
// them, and text that always parses back to the same values.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/config/config.h"

namespace tally::server::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Testdata(const std::string& name) {
  std::ifstream in(TALLY_SOURCE_DIR "/tests/server/testdata/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every "<secret>" leaf and every "xxxxx@" URL in Prometheus's output, by path.
void CollectMasked(const YAML::Node& n, const std::string& path,
                   std::vector<std::pair<std::string, std::string>>* out) {
  if (n.IsScalar()) {
    const std::string v = n.Scalar();
    if (v == "<secret>" || absl::StrContains(v, ":xxxxx@")) out->emplace_back(path, v);
  } else if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      CollectMasked(it->second, path + "/" + it->first.Scalar(), out);
    }
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) CollectMasked(n[i], path + "/" + std::to_string(i), out);
  }
}

// The node at "/a/0/b". Node::reset rebinds; operator= would overwrite the tree.
YAML::Node At(const YAML::Node& root, const std::string& path) {
  YAML::Node n;
  n.reset(root);
  for (absl::string_view seg : absl::StrSplit(path.substr(1), '/')) {
    if (!n) return n;
    YAML::Node next = n.IsSequence() ? n[std::stoul(std::string(seg))] : n[std::string(seg)];
    n.reset(next);
  }
  return n;
}

// Before: the remote_write URL password was shown in clear; the other secret fields were
// dropped (not parsed), and values were written unquoted.
TEST(ConfigYamlTest, MasksEverySecretAsPrometheus) {
  const std::string input = Testdata("config_all_secrets.yml");
  const std::string prometheus = Testdata("config_all_secrets.prometheus-2.42.yml");
  ASSERT_FALSE(input.empty());
  ASSERT_FALSE(prometheus.empty());
  absl::StatusOr<Config> c = ParseConfig(input, "config_all_secrets.yml");
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string yaml = ConfigToYaml(*c);
  // No secret value appears anywhere (each is spelled SECRET_<where> in the input).
  EXPECT_THAT(yaml, Not(HasSubstr("SECRET_"))) << yaml;
  ASSERT_THAT(input, HasSubstr("SECRET_"));
  // It parses, and every place Prometheus masks is masked the same way in Tally's output.
  YAML::Node ours;
  ASSERT_NO_THROW(ours = YAML::Load(yaml)) << yaml;
  std::vector<std::pair<std::string, std::string>> masked;
  CollectMasked(YAML::Load(prometheus), "", &masked);
  EXPECT_EQ(masked.size(), 20u);  // the 20 secrets of the input
  for (const auto& [path, value] : masked) {
    YAML::Node n = At(ours, path);
    ASSERT_TRUE(n && n.IsScalar()) << path << " missing in\n" << yaml;
    EXPECT_EQ(n.Scalar(), value) << path;
  }
  // Non-secret neighbours stay visible, as in Prometheus.
  EXPECT_EQ(At(ours, "/remote_write/0/basic_auth/username").Scalar(), "u");
  EXPECT_EQ(At(ours, "/remote_write/0/headers/X-Scope-OrgID").Scalar(), "tenant");
  EXPECT_EQ(At(ours, "/remote_write/1/sigv4/access_key").Scalar(), "AKID");
  EXPECT_EQ(At(ours, "/scrape_configs/2/authorization/type").Scalar(), "Bearer");
}

TEST(ConfigYamlTest, ValuesAreQuotedSoTheTextParsesBack) {
  const std::vector<std::string> values = {"a: b", "- x",   "true",           "null",    "0123",
                                           "1:20", "x # y", "line\nbreak",    "'q'",     "\"dq\"",
                                           "{a}",  "[b]",   "*ref",           "&anchor", "%p",
                                           "@at",  "15s",   "127.0.0.1:9090", " lead",   "trail ",
                                           "é ✓"};
  Config c;
  std::vector<storage::Label> ls;
  for (size_t i = 0; i < values.size(); ++i) {
    ls.push_back({"l" + std::to_string(100 + i), values[i]});
  }
  c.global.external_labels = storage::Labels::FromUnsorted(ls);
  ScrapeConfig s;
  s.job_name = "job: {x}";
  s.static_configs.push_back({{"- 127.0.0.1:1", "true", ""}, {}});
  c.scrape_configs.push_back(s);
  RemoteWriteConfig rw;
  rw.url = "http://h/#frag: x";
  rw.name = "yes";
  c.remote_write.push_back(rw);
  const std::string yaml = ConfigToYaml(c);
  YAML::Node n;
  ASSERT_NO_THROW(n = YAML::Load(yaml)) << yaml;
  for (size_t i = 0; i < values.size(); ++i) {
    const YAML::Node v = n["global"]["external_labels"]["l" + std::to_string(100 + i)];
    ASSERT_TRUE(v.IsScalar()) << values[i] << "\n" << yaml;
    EXPECT_EQ(v.Scalar(), values[i]);
    // A plain (untagged, unquoted) scalar that YAML would read as bool/null/number is not
    // allowed: yaml-cpp marks quoted scalars with the "!" tag.
    if (values[i] == "true" || values[i] == "null" || values[i] == "0123" || values[i] == "1:20") {
      EXPECT_EQ(v.Tag(), "!") << values[i] << " not quoted:\n" << yaml;
    }
  }
  EXPECT_EQ(n["scrape_configs"][0]["job_name"].Scalar(), "job: {x}");
  EXPECT_EQ(n["scrape_configs"][0]["static_configs"][0]["targets"][0].Scalar(), "- 127.0.0.1:1");
  EXPECT_EQ(n["scrape_configs"][0]["static_configs"][0]["targets"][2].Scalar(), "");
  EXPECT_EQ(n["scrape_configs"][0]["static_configs"][0]["targets"][2].Tag(), "!");
  EXPECT_EQ(n["remote_write"][0]["url"].Scalar(), "http://h/#frag: x");
  EXPECT_EQ(n["remote_write"][0]["name"].Tag(), "!");
  // The parsed-back config round-trips through Tally's own parser.
  absl::StatusOr<Config> back = ParseConfig(yaml);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << yaml;
  EXPECT_EQ(back->global.external_labels, c.global.external_labels);
}

// Before: relabel configs and file SD were not shown at all.
TEST(ConfigYamlTest, RelabelAndFileSDAsPrometheus) {
  absl::StatusOr<Config> c = ParseConfig(Testdata("config_relabel.yml"));
  ASSERT_TRUE(c.ok()) << c.status();
  const std::string yaml = ConfigToYaml(*c);
  const YAML::Node ours = YAML::Load(yaml);
  const YAML::Node prom = YAML::Load(Testdata("config_relabel.prometheus-2.42.yml"));
  for (const char* path :
       {"/alerting/alert_relabel_configs", "/alerting/alertmanagers/0/relabel_configs",
        "/alerting/alertmanagers/0/static_configs", "/scrape_configs/0/relabel_configs",
        "/scrape_configs/0/metric_relabel_configs", "/scrape_configs/0/file_sd_configs",
        "/remote_write/0/write_relabel_configs"}) {
    const YAML::Node p = At(prom, path);
    ASSERT_TRUE(p) << path << " missing in Prometheus's output";
    const YAML::Node o = At(ours, path);
    ASSERT_TRUE(o) << path << " missing in\n" << yaml;
    EXPECT_EQ(YAML::Dump(o), YAML::Dump(p)) << path;
  }
}

TEST(ConfigYamlTest, RedactUrlMatchesGo) {
  // Expected values from Go's url.URL.Redacted() semantics, as Prometheus 2.42 shows them.
  EXPECT_EQ(RedactUrl("http://u:p@h:1/x"), "http://u:xxxxx@h:1/x");
  EXPECT_EQ(RedactUrl("http://u@h/x"), "http://u@h/x");          // no password: unchanged
  EXPECT_EQ(RedactUrl("http://u:@h/x"), "http://u:xxxxx@h/x");   // empty password is set
  EXPECT_EQ(RedactUrl("http://h/x?a=b@c"), "http://h/x?a=b@c");  // '@' outside authority
  EXPECT_EQ(RedactUrl("http://u:p@q@h/"), "http://u:xxxxx@h/");  // last '@' ends userinfo
  EXPECT_EQ(RedactUrl("not a url"), "not a url");
}

}  // namespace
}  // namespace tally::server::config
