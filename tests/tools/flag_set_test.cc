#include "tools/cli/flag_set.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/util/log.h"

namespace tally::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Bound {
  std::string path = "data/";
  std::vector<std::string> match;
  int64_t limit = 10;
  double ratio = 0.5;
  bool verbose = false;
  absl::Duration window = absl::ZeroDuration();
};

FlagSet MakeFlags(Bound* b) {
  FlagSet f("tally test [<flags>] FILE", "A test command.");
  f.String("storage.tsdb.path", &b->path, "Base path.");
  f.StringList("match", &b->match, "Selectors.");
  f.Int("limit", &b->limit, "Limit.");
  f.Double("ratio", &b->ratio, "Ratio.");
  f.Bool("verbose", &b->verbose, "Verbose.");
  f.Duration("window", &b->window, "Window.");
  return f;
}

TEST(FlagSetTest, ParsesAllKindsAndPositionals) {
  Bound b;
  FlagSet f = MakeFlags(&b);
  auto pos = f.Parse({"--storage.tsdb.path", "/tmp/x", "in.om", "--match=a", "--match", "b",
                      "--limit=7", "--ratio", "1.5", "--verbose", "--window=1h30m", "-"});
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_THAT(*pos, ElementsAre("in.om", "-"));
  EXPECT_EQ(b.path, "/tmp/x");
  EXPECT_THAT(b.match, ElementsAre("a", "b"));
  EXPECT_EQ(b.limit, 7);
  EXPECT_EQ(b.ratio, 1.5);
  EXPECT_TRUE(b.verbose);
  EXPECT_EQ(b.window, absl::Minutes(90));
  EXPECT_FALSE(f.help_requested());
}

TEST(FlagSetTest, BooleanNegationAndDoubleDash) {
  Bound b;
  b.verbose = true;
  FlagSet f = MakeFlags(&b);
  auto pos = f.Parse({"--no-verbose", "--", "--limit=3"});
  ASSERT_TRUE(pos.ok());
  EXPECT_FALSE(b.verbose);
  EXPECT_THAT(*pos, ElementsAre("--limit=3"));
  EXPECT_EQ(b.limit, 10);
}

TEST(FlagSetTest, ErrorsAreKingpinLike) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"--nope"}, "unknown long flag '--nope'"},
      {{"-x"}, "unknown short flag '-x'"},
      {{"--limit"}, "expected argument for flag '--limit'"},
      {{"--limit=abc"}, "invalid value \"abc\" for flag '--limit': expected an integer"},
      {{"--window=5x"}, "invalid value \"5x\" for flag '--window'"},
      {{"--verbose=maybe"}, "expected true or false"},
      {{"--log.level=loud"}, "unrecognized log level \"loud\""},
      {{"--log.format=xml"}, "unrecognized log format \"xml\""},
  };
  for (const Case& c : cases) {
    Bound b;
    FlagSet f = MakeFlags(&b);
    auto pos = f.Parse(c.args);
    ASSERT_FALSE(pos.ok()) << c.args[0];
    EXPECT_TRUE(absl::IsInvalidArgument(pos.status()));
    EXPECT_THAT(std::string(pos.status().message()), HasSubstr(c.message));
  }
}

TEST(FlagSetTest, LogFlagsApplyToTheLogger) {
  Bound b;
  FlagSet f = MakeFlags(&b);
  ASSERT_TRUE(f.Parse({"--log.level=warn", "--log.format=json"}).ok());
  EXPECT_EQ(log::GetLevel(), log::Level::kWarn);
  EXPECT_FALSE(log::Enabled(log::Level::kInfo));
  log::SetLevel(log::Level::kInfo);
  log::SetFormat(log::Format::kLogfmt);
}

TEST(FlagSetTest, HelpListsFlagsWithDefaults) {
  Bound b;
  FlagSet f = MakeFlags(&b);
  const std::string h = f.Help();
  EXPECT_THAT(h, HasSubstr("usage: tally test [<flags>] FILE"));
  EXPECT_THAT(h, HasSubstr("A test command."));
  EXPECT_THAT(h, HasSubstr("--storage.tsdb.path=VALUE"));
  EXPECT_THAT(h, HasSubstr("(default: \"data/\")"));
  EXPECT_THAT(h, HasSubstr("--limit=INT"));
  EXPECT_THAT(h, HasSubstr("--window=DURATION"));
  EXPECT_THAT(h, HasSubstr("--log.level=VALUE"));
  EXPECT_THAT(h, HasSubstr("--log.format=VALUE"));
  EXPECT_THAT(h, HasSubstr("-h, --help"));
}

}  // namespace
}  // namespace tally::tools
