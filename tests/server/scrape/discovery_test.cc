#include "server/scrape/discovery.h"

#include <cstdio>
#include <map>

#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "tests/testutil/external_process.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server::scrape {
namespace {

// Records the latest groups per job and counts updates.
class Recorder {
 public:
  DiscoveryManager::UpdateFn Fn() {
    return [this](const std::string& job, std::vector<TargetGroup> groups) {
      absl::MutexLock lock(&mu_);
      latest_[job] = std::move(groups);
      ++updates_[job];
    };
  }
  // Addresses of the job's latest groups, in order.
  std::vector<std::string> Addresses(const std::string& job) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const TargetGroup& g : latest_[job]) {
      for (const storage::Labels& t : g.targets) out.emplace_back(t.Get("__address__"));
    }
    return out;
  }
  int Updates(const std::string& job) {
    absl::MutexLock lock(&mu_);
    return updates_[job];
  }
  // Waits (bounded) until the job's addresses equal `want`.
  bool WaitFor(const std::string& job, const std::vector<std::string>& want) {
    return testutil::PollUntil([&] { return Addresses(job) == want; }, absl::Seconds(10),
                               absl::Milliseconds(10));
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<TargetGroup>> latest_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> updates_ ABSL_GUARDED_BY(mu_);
};

void WriteFile(const std::string& path, const std::string& content) {
  // Write then rename, as tools that update SD files do, so a poll never sees half a file.
  const std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs(content.c_str(), f);
  fclose(f);
  ASSERT_EQ(rename(tmp.c_str(), path.c_str()), 0);
}

config::ScrapeConfig Job(const std::string& name) {
  config::ScrapeConfig c;
  c.job_name = name;
  c.scrape_interval_ms = 15'000;
  c.scrape_timeout_ms = 10'000;
  return c;
}

TEST(DiscoveryManagerTest, StaticJobsReportedOnApply) {
  Recorder rec;
  DiscoveryManager dm(rec.Fn());
  config::ScrapeConfig j = Job("static");
  j.static_configs.push_back({{"a:1", "b:2"}, storage::Labels{{"env", "x"}}});
  j.static_configs.push_back({{"c:3"}, {}});
  ASSERT_TRUE(dm.ApplyConfig({j, Job("empty")}).ok());
  EXPECT_TRUE(rec.WaitFor("static", {"a:1", "b:2", "c:3"}));
  EXPECT_TRUE(testutil::PollUntil([&] { return rec.Updates("empty") == 1; }, absl::Seconds(10),
                                  absl::Milliseconds(10)));
}

TEST(DiscoveryManagerTest, FileSDFollowsEditsCreatesRemovalsAndKeepsLastGoodOnError) {
  testutil::TempDir dir;
  WriteFile(dir.Sub("a.json"), R"([{"targets": ["a:1"], "labels": {"k": "v"}}])");
  Recorder rec;
  DiscoveryManager dm(rec.Fn());
  dm.SetPollIntervalForTesting(20);
  config::ScrapeConfig j = Job("files");
  j.file_sd_configs.push_back({{dir.Sub("*.json"), dir.Sub("*.yml")}, 300'000});
  ASSERT_TRUE(dm.ApplyConfig({j}).ok());
  ASSERT_TRUE(rec.WaitFor("files", {"a:1"}));

  // Edited.
  WriteFile(dir.Sub("a.json"), R"([{"targets": ["a:1", "a:2"]}])");
  ASSERT_TRUE(rec.WaitFor("files", {"a:1", "a:2"}));

  // Created (a second file, YAML).
  WriteFile(dir.Sub("b.yml"), "- targets: ['b:1']\n");
  ASSERT_TRUE(rec.WaitFor("files", {"a:1", "a:2", "b:1"}));

  // Invalid: logged, counted, last good groups kept.
  const uint64_t errors_before = dm.file_read_errors();
  WriteFile(dir.Sub("a.json"), "[{not json");
  ASSERT_TRUE(testutil::PollUntil([&] { return dm.file_read_errors() > errors_before; },
                                  absl::Seconds(10), absl::Milliseconds(10)));
  EXPECT_EQ(rec.Addresses("files"), (std::vector<std::string>{"a:1", "a:2", "b:1"}));
  std::string metrics;
  dm.RenderMetrics(&metrics);
  EXPECT_NE(metrics.find("prometheus_sd_file_read_errors_total 1\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("prometheus_sd_discovered_targets{config=\"files\",name=\"scrape\"} 3\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("prometheus_sd_file_mtime_seconds{filename=\"" + dir.Sub("a.json") + "\"} "),
            std::string::npos)
      << metrics;

  // Fixed again.
  WriteFile(dir.Sub("a.json"), R"([{"targets": ["a:3"]}])");
  ASSERT_TRUE(rec.WaitFor("files", {"a:3", "b:1"}));

  // Removed.
  ASSERT_EQ(remove(dir.Sub("b.yml").c_str()), 0);
  ASSERT_TRUE(rec.WaitFor("files", {"a:3"}));

  // Renamed to a name the glob does not match, then back.
  ASSERT_EQ(rename(dir.Sub("a.json").c_str(), dir.Sub("a.json.bak").c_str()), 0);
  ASSERT_TRUE(rec.WaitFor("files", {}));
  ASSERT_EQ(rename(dir.Sub("a.json.bak").c_str(), dir.Sub("c.json").c_str()), 0);
  ASSERT_TRUE(rec.WaitFor("files", {"a:3"}));

  // Go's filepath.Glob: `*` matches a leading dot too.
  WriteFile(dir.Sub(".hidden.json"), R"([{"targets": ["h:1"]}])");
  ASSERT_TRUE(rec.WaitFor("files", {"h:1", "a:3"}));
}

TEST(DiscoveryManagerTest, ReloadReplacesJobsAndRejectsBadPatterns) {
  testutil::TempDir dir;
  Recorder rec;
  DiscoveryManager dm(rec.Fn());
  config::ScrapeConfig j = Job("one");
  j.static_configs.push_back({{"a:1"}, {}});
  ASSERT_TRUE(dm.ApplyConfig({j}).ok());
  ASSERT_TRUE(rec.WaitFor("one", {"a:1"}));
  j.static_configs[0].targets = {"a:2"};
  ASSERT_TRUE(dm.ApplyConfig({j}).ok());
  ASSERT_TRUE(rec.WaitFor("one", {"a:2"}));

  config::ScrapeConfig bad = Job("bad");
  bad.file_sd_configs.push_back({{dir.Sub("x/*/y.json")}, 300'000});
  absl::Status st = dm.ApplyConfig({bad});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "path name \"" + dir.Sub("x/*/y.json") +
                              "\" is not valid for file discovery");
  dm.Stop();
  dm.Stop();  // idempotent
}

}  // namespace
}  // namespace tally::server::scrape
