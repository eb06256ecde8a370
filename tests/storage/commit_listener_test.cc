#include "storage/commit_listener.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/db.h"
#include "tests/testutil/temp_dir.h"

namespace tally::storage {
namespace {

using testutil::TempDir;
using testutil::TestOptions;

struct Seen {
  std::string labels;
  int64_t t;
  double v;
};

class RecordingListener : public CommitListener {
 public:
  void OnCommit(absl::Span<const CommittedSample> samples,
                absl::FunctionRef<void(SeriesRef, Labels*)> labels_of) override {
    ++calls;
    for (const CommittedSample& s : samples) {
      Labels l;
      labels_of(s.ref, &l);
      seen.push_back(Seen{l.ToString(), s.t_ms, s.v});
    }
  }
  int calls = 0;
  std::vector<Seen> seen;
};

TEST(CommitListenerTest, SeesStoredSamplesOnlyBeforeCommitReturns) {
  TempDir dir;
  auto db = DB::Open(TestOptions(dir.path()));
  ASSERT_TRUE(db.ok()) << db.status();
  RecordingListener rec;
  (*db)->SetCommitListener(&rec);
  const Labels a{{"__name__", "a"}, {"job", "x"}};
  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(a, 1000, 1).ok());
  ASSERT_TRUE(app->Append(a, 2000, 2).ok());
  auto r = app->Commit();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(rec.seen.size(), 2u);
  EXPECT_EQ(rec.seen[0].labels, "{__name__=\"a\", job=\"x\"}");
  EXPECT_EQ(rec.seen[1].t, 2000);
  EXPECT_EQ(rec.seen[1].v, 2);

  // Out of order (rejected) and same-value duplicates (no-op) are not stored: not seen.
  app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(a, 1500, 9).ok());
  ASSERT_TRUE(app->Append(a, 2000, 2).ok());
  ASSERT_TRUE(app->Append(a, 3000, 3).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_EQ(rec.seen.size(), 3u);
  EXPECT_EQ(rec.seen[2].t, 3000);

  // A commit that stores nothing does not call the listener.
  const int calls = rec.calls;
  app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(a, 100, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(rec.calls, calls);

  (*db)->SetCommitListener(nullptr);
  app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(a, 4000, 4).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(rec.seen.size(), 3u);
}

}  // namespace
}  // namespace tally::storage
