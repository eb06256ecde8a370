#include "storage/model/labels.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace tally::storage {
namespace {

std::vector<std::pair<std::string, std::string>> Pairs(const Labels& l) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& x : l) out.emplace_back(x.name, x.value);
  return out;
}

TEST(LabelsTest, SortsByNameAndKeepsTheFirstDuplicate) {
  const Labels l{{"job", "api"}, {"__name__", "up"}, {"instance", "a:1"}, {"job", "dup"}};
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Pairs(l), (P{{"__name__", "up"}, {"instance", "a:1"}, {"job", "api"}}));
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.MetricName(), "up");
  const Labels u = Labels::FromUnsorted({{"b", "2"}, {"a", "1"}, {"b", "3"}});
  EXPECT_EQ(Pairs(u), (P{{"a", "1"}, {"b", "2"}}));
}

TEST(LabelsTest, GetAndHas) {
  const Labels l{{"a", "1"}, {"b", ""}};
  EXPECT_EQ(l.Get("a"), "1");
  EXPECT_EQ(l.Get("missing"), "");
  EXPECT_TRUE(l.Has("b"));
  EXPECT_FALSE(l.Has("missing"));
  EXPECT_EQ(Labels().MetricName(), "");
  EXPECT_TRUE(Labels().empty());
}

TEST(LabelsTest, CompareMatchesPrometheusOrdering) {
  // Prometheus compat: labels.Compare is pairwise by name then value, bytewise; a prefix
  // sorts first.
  const std::vector<Labels> sorted = {
      Labels{},
      Labels{{"__name__", "a"}},
      Labels{{"__name__", "a"}, {"job", "x"}},
      Labels{{"__name__", "a"}, {"job", "y"}},
      Labels{{"__name__", "a"}, {"zone", "a"}},
      Labels{{"__name__", "b"}},
      Labels{{"a", "1"}},
      Labels{{"a", "\xc3\xa9"}},  // bytes >= 0x80 sort after ASCII (unsigned compare)
      Labels{{"aa", ""}},
  };
  for (size_t i = 0; i < sorted.size(); ++i) {
    for (size_t j = 0; j < sorted.size(); ++j) {
      const int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(Compare(sorted[i], sorted[j]), want) << i << " vs " << j;
      EXPECT_EQ(sorted[i] < sorted[j], i < j);
      EXPECT_EQ(sorted[i] == sorted[j], i == j);
    }
  }
  std::vector<Labels> shuffled = sorted;
  std::mt19937 rng(3);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, sorted);
}

TEST(LabelsTest, StableHashDistinguishesBoundaries) {
  const Labels a{{"ab", "c"}};
  const Labels b{{"a", "bc"}};
  const Labels c{{"a", "b"}, {"c", ""}};
  EXPECT_NE(a.StableHash(), b.StableHash());
  EXPECT_NE(b.StableHash(), c.StableHash());
  EXPECT_EQ(Labels({{"x", "1"}, {"y", "2"}}).StableHash(),
            Labels({{"y", "2"}, {"x", "1"}}).StableHash());
  // Same across runs and machines: FNV-1a 64 with a 0xff separator after each string.
  EXPECT_EQ(Labels().StableHash(), 0xcbf29ce484222325ULL);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : std::string("a\xff"
                                      "1\xff")) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  EXPECT_EQ(Labels({{"a", "1"}}).StableHash(), h);
}

TEST(LabelsTest, WorksInAbslHashContainers) {
  absl::flat_hash_set<Labels> set;
  set.insert(Labels{{"a", "1"}});
  set.insert(Labels{{"a", "1"}});
  set.insert(Labels{{"a", "2"}});
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(set.contains(Labels{{"a", "2"}}));
}

TEST(LabelsTest, ToStringQuotesValues) {
  const Labels l{{"__name__", "up"}, {"job", "a\"b\\c\nd"}};
  EXPECT_EQ(l.ToString(), R"({__name__="up", job="a\"b\\c\nd"})");
  EXPECT_EQ(Labels().ToString(), "{}");
}

TEST(LabelsTest, ByteSizeGrowsWithHeapStrings) {
  const Labels small{{"a", "b"}};
  const Labels big{{"a", std::string(1000, 'x')}};
  EXPECT_GT(small.ByteSize(), 0u);
  EXPECT_GE(big.ByteSize(), small.ByteSize() + 1000);
}

TEST(LabelsTest, GoQuoteEscapesLikeStrconvQuote) {
  EXPECT_EQ(GoQuote(""), R"("")");
  EXPECT_EQ(GoQuote("plain text 123"), R"("plain text 123")");
  EXPECT_EQ(GoQuote("\"\\"), R"("\"\\")");
  EXPECT_EQ(GoQuote("\a\b\f\n\r\t\v"), R"("\a\b\f\n\r\t\v")");
  EXPECT_EQ(GoQuote(std::string("\x00\x01\x1f\x7f", 4)), R"("\x00\x01\x1f\x7f")");
  EXPECT_EQ(GoQuote("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"");
  // Invalid UTF-8: each offending byte as \x.
  EXPECT_EQ(GoQuote("\xff"), R"("\xff")");
  EXPECT_EQ(GoQuote("a\xe6\x97"), R"("a\xe6\x97")");                // truncated sequence
  EXPECT_EQ(GoQuote("\xc0\xaf"), R"("\xc0\xaf")");                  // overlong
  EXPECT_EQ(GoQuote("\xed\xa0\x80"), R"("\xed\xa0\x80")");          // surrogate
  EXPECT_EQ(GoQuote("\xf4\x90\x80\x80"), R"("\xf4\x90\x80\x80")");  // > U+10FFFF
  // Valid but not printable.
  EXPECT_EQ(GoQuote("\xc2\x85"), R"("\u0085")");
  EXPECT_EQ(GoQuote("a\xc2\xa0"
                    "b"),
            R"("a\u00a0b")");
  EXPECT_EQ(GoQuote("\xe2\x80\xa8"), R"("\u2028")");
  EXPECT_EQ(GoQuote("\xef\xbb\xbf"), R"("\ufeff")");
  EXPECT_EQ(GoQuote("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");  // U+FFFD itself is printable
}

TEST(LabelsTest, IteratesViewsAndIndexes) {
  const Labels l{{"b", std::string(300, 'v')}, {"a", "1"}, {"c", ""}};
  std::vector<std::string> names;
  for (auto it = l.begin(); it != l.end(); ++it) names.emplace_back(it->name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(l[1].value, std::string(300, 'v'));  // a length that needs a 2-byte varint
  EXPECT_EQ(l[2], (LabelView{"c", ""}));
  EXPECT_EQ(std::distance(l.begin(), l.end()), 3);
  const Labels empty;
  EXPECT_TRUE(empty.begin() == empty.end());
}

TEST(LabelsTest, RebuildFiltersAndMergesInOnePass) {
  const Labels l{{"__name__", "up"}, {"instance", "a"}, {"job", "j"}};
  using P = std::vector<std::pair<std::string, std::string>>;
  auto not_name = [](absl::string_view n) { return n != kMetricNameLabel; };
  EXPECT_EQ(Pairs(l.Rebuild(not_name)), (P{{"instance", "a"}, {"job", "j"}}));
  const LabelView set[] = {{"aaa", "1"}, {"instance", "b"}, {"job", ""}, {"zz", "2"}};
  // A set entry replaces (even a pair `keep` rejects), an empty value deletes.
  EXPECT_EQ(Pairs(l.Rebuild([](absl::string_view n) { return n != "instance"; }, set)),
            (P{{"__name__", "up"}, {"aaa", "1"}, {"instance", "b"}, {"zz", "2"}}));
  EXPECT_EQ(l.Rebuild(not_name).size(), 2u);
  EXPECT_TRUE(l.Rebuild([](absl::string_view) { return false; }).empty());
  // Same result as the builder.
  EXPECT_EQ(l.Rebuild(not_name), LabelsBuilder(l).Del(kMetricNameLabel).Build());
  EXPECT_EQ(l.Without("job"), (Labels{{"__name__", "up"}, {"instance", "a"}}));
  EXPECT_EQ(l.Without("missing"), l);
  EXPECT_EQ(l.Without("job").size(), 2u);
}

TEST(LabelsTest, EncodedRoundTripsAndRejectsTruncation) {
  const Labels l{{"__name__", "up"}, {"job", std::string(200, 'x')}};
  Labels back;
  ASSERT_TRUE(Labels::FromEncoded(l.Encoded(), &back));
  EXPECT_EQ(back, l);
  EXPECT_EQ(back.size(), 2u);
  std::string enc(l.Encoded());
  EXPECT_FALSE(Labels::FromEncoded(absl::string_view(enc).substr(0, enc.size() - 1), &back));
  EXPECT_FALSE(Labels::FromEncoded("\x05" "ab", &back));
  EXPECT_EQ(back, l);  // unchanged on failure
  // A non-minimal varint (0x81 0x00 = 1) is re-encoded, so equality stays bytewise.
  ASSERT_TRUE(Labels::FromEncoded(absl::string_view("\x81\x00" "a" "\x01" "b", 5), &back));
  EXPECT_EQ(back, (Labels{{"a", "b"}}));
}

TEST(LabelsBuilderTest, SetDelKeepBuild) {
  const Labels base{{"__name__", "up"}, {"instance", "a"}, {"job", "j"}};
  LabelsBuilder b(base);
  b.Set("zone", "eu").Set("instance", "b").Set("aaa", "1");
  EXPECT_EQ(b.Get("instance"), "b");
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Pairs(b.Build()),
            (P{{"__name__", "up"}, {"aaa", "1"}, {"instance", "b"}, {"job", "j"}, {"zone", "eu"}}));
  b.Del("aaa").Set("zone", "");  // an empty value deletes
  EXPECT_EQ(Pairs(b.Build()), (P{{"__name__", "up"}, {"instance", "b"}, {"job", "j"}}));
  b.Del("missing");
  EXPECT_EQ(b.Build().size(), 3u);
  LabelsBuilder keep(base);
  keep.Keep({"job", "instance", "nope"});
  EXPECT_EQ(Pairs(keep.Build()), (P{{"instance", "a"}, {"job", "j"}}));
  LabelsBuilder drop(base);
  drop.Keep({"job"}, /*keep=*/false);
  EXPECT_EQ(Pairs(drop.Build()), (P{{"__name__", "up"}, {"instance", "a"}}));
  EXPECT_EQ(base.size(), 3u);  // the base is untouched
  EXPECT_TRUE(LabelsBuilder().Build().empty());
}

}  // namespace
}  // namespace tally::storage

namespace tally::storage {
namespace {

TEST(LabelNameTest, FollowsPrometheusRule) {
  EXPECT_TRUE(IsValidLabelName("model"));
  EXPECT_TRUE(IsValidLabelName("_private"));
  EXPECT_TRUE(IsValidLabelName("__name__"));
  EXPECT_TRUE(IsValidLabelName("le2"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("2xx"));
  EXPECT_FALSE(IsValidLabelName("http-code"));
  EXPECT_FALSE(IsValidLabelName("a:b"));  // colons are for metric names only
}

}  // namespace
}  // namespace tally::storage
