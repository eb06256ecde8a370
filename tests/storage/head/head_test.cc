// Head: the series map and the removal-epoch protocol that lets appenders hold raw series
// pointers between Append and Commit (head.h).
#include "storage/head/head.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/kv/key_codec.h"

namespace tally::storage::head {
namespace {

Labels SeriesLabels(int i) {
  return Labels{{"__name__", "churn"}, {"i", std::to_string(i)}};
}

TEST(HeadTest, RemoveUnlinksAndBumpsEpoch) {
  Head h;
  const Labels l = SeriesLabels(1);
  bool created = false;
  SeriesRef ref = kInvalidSeriesRef;
  MemSeries* s = h.GetOrCreate(l, l.StableHash(), &created, &ref);
  ASSERT_TRUE(created);
  ASSERT_EQ(h.Find(ref), s);
  const uint64_t before = h.removals();
  h.Remove(ref);
  EXPECT_EQ(h.removals(), before + 1);
  EXPECT_EQ(h.Find(ref), nullptr);
  EXPECT_EQ(h.FindByLabels(l, l.StableHash()), nullptr);
  EXPECT_EQ(h.num_series(), 0);
  h.Remove(ref);  // unknown ref: no-op, no epoch bump
  EXPECT_EQ(h.removals(), before + 1);
}

// Readers follow the appender's protocol (read the epoch, look the series up, later check
// the epoch under the "apply mutex" before trusting the pointer) while another thread keeps
// creating and removing the same few series. A pointer that passes the check must still be
// the live series. With Remove bumping the epoch before unlinking, a reader that read the
// new epoch could still find the series and then trust it after it was freed (caught here
// as Find(ref) != p; under -DTALLY_SANITIZE=ON also as a heap-use-after-free).
TEST(HeadTest, RemoveWhileReadersResolvePointers) {
  Head h;
  absl::Mutex apply_mu;  // stands in for DBImpl's apply mutex
  constexpr int kKeys = 4;
  std::vector<Labels> labels;
  std::vector<uint64_t> hashes;
  for (int i = 0; i < kKeys; ++i) {
    labels.push_back(SeriesLabels(i));
    hashes.push_back(labels.back().StableHash());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(2);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> trusted{0}, violations{0}, removes{0};

  std::thread remover([&] {
    for (int n = 0; !stop.load(std::memory_order_relaxed); ++n) {
      const int k = n % kKeys;
      bool created = false;
      SeriesRef ref = kInvalidSeriesRef;
      h.GetOrCreate(labels[k], hashes[k], &created, &ref);
      absl::MutexLock l(&apply_mu);
      h.Remove(ref);
      removes.fetch_add(1, std::memory_order_relaxed);
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      for (int n = r; !stop.load(std::memory_order_relaxed); ++n) {
        const int k = n % kKeys;
        const uint64_t epoch = h.removals();
        SeriesRef ref = kInvalidSeriesRef;
        MemSeries* p = h.FindByLabels(labels[k], hashes[k], &ref);
        if (p == nullptr) continue;
        absl::MutexLock l(&apply_mu);
        if (h.removals() != epoch) continue;  // re-resolve, as the commit leader does
        trusted.fetch_add(1, std::memory_order_relaxed);
        if (h.Find(ref) != p || !kv::EncodedLabelsEqual(p->labels_enc, labels[k])) {
          violations.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  while (absl::Now() < deadline && violations.load() == 0) absl::SleepFor(absl::Milliseconds(5));
  stop.store(true);
  remover.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(violations.load(), 0) << "of " << trusted.load() << " trusted pointers";
  EXPECT_GT(removes.load(), 0);
  EXPECT_GT(trusted.load(), 0) << "the readers never trusted a pointer: the test proved nothing";
}

}  // namespace
}  // namespace tally::storage::head
