#include "storage/util/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace tally::storage {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("gpt-4o-mini, a long ASCII value past the 8-byte fast path"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));                 // U+00E9
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac 12.50"));          // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80 emoji"));      // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));            // U+10FFFF, the last code point
}

TEST(Utf8Test, RejectsWhatGoRejects) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("abcdefgh\x80"));               // stray continuation after fast path
  EXPECT_FALSE(IsValidUtf8("\xc3"));                       // truncated
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));                   // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));                   // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));               // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));               // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));           // U+110000
  EXPECT_FALSE(IsValidUtf8(std::string("ok\xc3\x28", 4)));  // bad continuation byte
}

}  // namespace
}  // namespace tally::storage

namespace tally::storage {
namespace {

TEST(Utf8Test, AppendUtf8EncodesEveryLengthAndRoundTrips) {
  for (uint32_t r : {0x24u, 0xE9u, 0x20ACu, 0x1F600u, 0x10FFFFu}) {
    std::string s;
    AppendUtf8(r, &s);
    EXPECT_TRUE(IsValidUtf8(s)) << r;
    EXPECT_EQ(s.size(), r < 0x80 ? 1u : r < 0x800 ? 2u : r < 0x10000 ? 3u : 4u);
  }
  std::string s;
  AppendUtf8(0x20AC, &s);
  EXPECT_EQ(s, "\xe2\x82\xac");
}

}  // namespace
}  // namespace tally::storage
