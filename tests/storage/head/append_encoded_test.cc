// Appender::AppendEncoded (the remote-write receiver's path): it finds the same series as
// Append(labels) in a live DB and after a reopen (the head re-files loaded series under
// Head::HashEncoded), creates new ones with the same validation, and refuses a malformed
// encoding.
#include <string>

#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/kv/key_codec.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

std::string Enc(const Labels& l) {
  std::string out;
  kv::EncodeLabels(l, &out);
  return out;
}

TEST(AppendEncodedTest, SameSeriesAsAppendLabelsBeforeAndAfterReopen) {
  testutil::TempDir dir;
  const Labels a{{"__name__", "m"}, {"job", "x"}};
  const Labels b{{"__name__", "m"}, {"job", "y"}};
  SeriesRef ref_a;
  {
    auto db = DB::Open(testutil::TestOptions(dir.path()));
    ASSERT_TRUE(db.ok());
    auto app = (*db)->NewAppender();
    auto r = app->Append(a, 1000, 1);
    ASSERT_TRUE(r.ok());
    ref_a = *r;
    auto e = app->AppendEncoded(Enc(a), 2000, 2);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(*e, ref_a);
    auto nb = app->AppendEncoded(Enc(b), 2000, 5);  // new series through the encoded path
    ASSERT_TRUE(nb.ok()) << nb.status();
    EXPECT_NE(*nb, ref_a);
    ASSERT_TRUE(app->Commit().ok());
  }
  auto db = DB::Open(testutil::TestOptions(dir.path()));
  ASSERT_TRUE(db.ok());
  auto app = (*db)->NewAppender();
  auto e = app->AppendEncoded(Enc(a), 3000, 3);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, ref_a);  // loaded series are found by their encoding
  auto l = app->Append(b, 3000, 6);
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(app->Commit().ok());
  auto st = (*db)->Stats(0);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->num_series, 2);
  auto all = testutil::QueryAll(db->get(), testutil::MakeMatchers({{"=", "__name__", "m"}}));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].second.size(), 3u);
  EXPECT_EQ(all[1].second.size(), 2u);
}

TEST(AppendEncodedTest, ValidatesNewSeriesAndRefusesMalformedEncodings) {
  testutil::TempDir dir;
  auto db = DB::Open(testutil::TestOptions(dir.path()));
  ASSERT_TRUE(db.ok());
  auto app = (*db)->NewAppender();
  std::string bad_utf8;
  kv::AppendEncodedLabel(&bad_utf8, "__name__", "m");
  kv::AppendEncodedLabel(&bad_utf8, "x", "\xff");
  EXPECT_TRUE(absl::IsInvalidArgument(app->AppendEncoded(bad_utf8, 1, 1).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(app->AppendEncoded("\x05" "ab", 1, 1).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(app->AppendEncoded("", 1, 1).status()));
}

}  // namespace
}  // namespace tally::storage
