#include "storage/ingest/remote_write.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tally::storage {
namespace {

using ::testing::HasSubstr;

TEST(RemoteWriteDecoderTest, RoundTripsSeriesSamplesAndMetadata) {
  std::string proto;
  EncodeWriteRequest({{{{"__name__", "a"}, {"job", "x"}}, {{1000, 1.5}, {-5, -2}}},
                      {{{"__name__", "b"}}, {{7, StaleNaN()}}}},
                     {{2, "a", "help text", "seconds"}}, &proto);
  WriteRequestDecoder d;
  ASSERT_TRUE(d.DecodeSnappy(SnappyCompressBlock(proto)).ok());
  ASSERT_EQ(d.series().size(), 2u);
  const RemoteSeriesView& s0 = d.series()[0];
  ASSERT_EQ(s0.labels_end - s0.labels_begin, 2u);
  EXPECT_EQ(d.labels()[s0.labels_begin + 1].name, "job");
  EXPECT_EQ(d.labels()[s0.labels_begin + 1].value, "x");
  ASSERT_EQ(s0.samples_end - s0.samples_begin, 2u);
  EXPECT_EQ(d.samples()[1].t_ms, -5);
  EXPECT_EQ(d.samples()[1].v, -2);
  EXPECT_TRUE(IsStaleNaN(d.samples()[d.series()[1].samples_begin].v));
  ASSERT_EQ(d.metadata().size(), 1u);
  EXPECT_EQ(d.metadata()[0].family, "a");
  EXPECT_STREQ(RemoteMetricTypeString(d.metadata()[0].type), "gauge");
  EXPECT_EQ(d.metadata()[0].help, "help text");
  EXPECT_EQ(d.metadata()[0].unit, "seconds");
}

TEST(RemoteWriteDecoderTest, SkipsUnknownFields) {
  std::string proto;
  EncodeWriteRequest({{{{"__name__", "a"}}, {{1, 1}}}}, {}, &proto);
  // Field 9, varint 150, then field 10 fixed32: both unknown to us, legal protobuf.
  proto += std::string("\x48\x96\x01\x55\x01\x02\x03\x04", 8);
  WriteRequestDecoder d;
  ASSERT_TRUE(d.DecodeProto(proto).ok());
  EXPECT_EQ(d.series().size(), 1u);
}

TEST(RemoteWriteDecoderTest, RejectsMalformedInput) {
  WriteRequestDecoder d;
  EXPECT_THAT(d.DecodeSnappy("\xff\xff\xff\xff\xff\x0f").message(), HasSubstr("snappy"));
  std::string proto;
  EncodeWriteRequest({{{{"__name__", "a"}}, {{1, 1}}}}, {}, &proto);
  for (size_t cut = 1; cut < proto.size(); ++cut) {
    absl::Status s = d.DecodeProto(proto.substr(0, cut));
    EXPECT_FALSE(s.ok()) << cut;
    EXPECT_THAT(s.message(), HasSubstr("proto: cannot decode WriteRequest")) << cut;
    EXPECT_TRUE(d.series().empty());
  }
  // timeseries with a varint wire type.
  EXPECT_THAT(d.DecodeProto(std::string("\x08\x01", 2)).message(),
              HasSubstr("field 1 has wrong wire type 0"));
  WriteRequestDecoder small(100);
  std::string big(1000, 'x');
  EXPECT_THAT(small.DecodeSnappy(SnappyCompressBlock(big)).message(),
              HasSubstr("exceeds the limit"));
}

// Before: a request could hold any number of series, samples and labels (only the
// decompressed size was bounded, at 512 MiB), so views cost ~6x the body.
TEST(RemoteWriteDecoderTest, RequestCountLimitsAreResourceExhausted) {
  std::vector<RemoteSeriesInput> in;
  for (int i = 0; i < 10; ++i) {
    in.push_back({{{"__name__", "m"}, {"i", std::to_string(i)}}, {{1, 1}, {2, 2}}});
  }
  std::string proto;
  EncodeWriteRequest(in, {}, &proto);
  const std::string body = SnappyCompressBlock(proto);
  RemoteWriteLimits lim;
  WriteRequestDecoder d(lim);
  ASSERT_TRUE(d.DecodeSnappy(body).ok());
  lim.max_series = 9;
  d.set_limits(lim);
  absl::Status s = d.DecodeSnappy(body);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(s.message(), "request exceeds the limit of 9 series");
  EXPECT_TRUE(d.series().empty());
  lim = RemoteWriteLimits();
  lim.max_samples = 19;
  d.set_limits(lim);
  EXPECT_EQ(d.DecodeSnappy(body).message(), "request exceeds the limit of 19 samples");
  lim = RemoteWriteLimits();
  lim.max_labels = 19;
  d.set_limits(lim);
  EXPECT_EQ(d.DecodeSnappy(body).message(), "request exceeds the limit of 19 labels");
  lim = RemoteWriteLimits();
  lim.max_decoded_bytes = proto.size() - 1;
  d.set_limits(lim);
  EXPECT_TRUE(absl::IsResourceExhausted(d.DecodeSnappy(body)));
  // The defaults are Tally's documented ones.
  EXPECT_EQ(RemoteWriteLimits().max_decoded_bytes, size_t{64} << 20);
  EXPECT_EQ(RemoteWriteLimits().series.label_limit, 128u);
}

}  // namespace
}  // namespace tally::storage
