#include "storage/util/log.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::log {
namespace {

using ::testing::ContainsRegex;
using ::testing::MatchesRegex;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSinkForTesting(&out_);
    SetLevel(Level::kInfo);
    SetFormat(Format::kLogfmt);
  }
  void TearDown() override {
    SetSinkForTesting(nullptr);
    SetLevel(Level::kInfo);
    SetFormat(Format::kLogfmt);
  }
  std::string out_;
};

TEST_F(LogTest, WritesLogfmtWithCallerAndQuoting) {
  TALLY_LOG(kInfo, "backfill finished", {{"samples", 42}, {"file", "a b.om"}, {"ok", "yes"}});
  EXPECT_THAT(out_, MatchesRegex("ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                                 "caller=log_test\\.cc:[0-9]+ level=info msg=\"backfill finished\" "
                                 "samples=42 file=\"a b\\.om\" ok=yes\n"));
}

TEST_F(LogTest, EscapesQuotesAndNewlinesInLogfmt) {
  TALLY_LOG(kWarn, "x", {{"err", "line 1: got \"}\"\nnext"}, {"empty", ""}});
  EXPECT_THAT(out_, ContainsRegex("level=warn msg=x err=\"line 1: got \\\\\"}\\\\\"\\\\nnext\" "
                                  "empty=\"\"\n$"));
}

TEST_F(LogTest, WritesJsonObjects) {
  SetFormat(Format::kJson);
  TALLY_LOG(kError, "open failed", {{"path", "C:\\data \"x\""}});
  EXPECT_THAT(out_, MatchesRegex("\\{\"ts\":\"[0-9T:.Z-]+\",\"caller\":\"log_test\\.cc:[0-9]+\","
                                 "\"level\":\"error\",\"msg\":\"open failed\","
                                 "\"path\":\"C:\\\\\\\\data \\\\\"x\\\\\"\"\\}\n"));
}

TEST_F(LogTest, DropsEventsBelowLevel) {
  TALLY_LOG(kDebug, "hidden");
  EXPECT_EQ(out_, "");
  SetLevel(Level::kDebug);
  TALLY_LOG(kDebug, "shown");
  EXPECT_THAT(out_, ContainsRegex("level=debug msg=shown\n"));
  out_.clear();
  SetLevel(Level::kError);
  TALLY_LOG(kWarn, "hidden too");
  EXPECT_EQ(out_, "");
}

TEST_F(LogTest, ParsesFlagValues) {
  EXPECT_EQ(*ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarn);
  EXPECT_FALSE(ParseLevel("verbose").ok());
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_EQ(*ParseFormat("logfmt"), Format::kLogfmt);
  EXPECT_FALSE(ParseFormat("text").ok());
}

TEST_F(LogTest, ConcurrentWritersNeverInterleaveLines) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) TALLY_LOG(kInfo, "tick", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::string> lines = absl::StrSplit(out_, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 800u);
  for (const std::string& l : lines) {
    EXPECT_THAT(l, MatchesRegex("ts=\\S+ caller=\\S+ level=info msg=tick thread=[0-3] i=[0-9]+"));
  }
}

}  // namespace
}  // namespace tally::log
