#include "storage/ingest/remote_write_encoder.h"

#include <bit>
#include <cmath>
#include <limits>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/ingest/remote_write.h"

namespace tally::storage {
namespace {

TEST(RemoteWriteEncoderTest, EncodesTheProtobufWireFormat) {
  // One series {__name__="a"} with one sample (1.0 @ 1000 ms). Bytes checked with
  // `protoc --decode_raw`: 1 { 1 { 1: "__name__" 2: "a" } 2 { 1: 0x3ff0000000000000 2: 1000 } }
  WriteRequestEncoder enc;
  enc.AddSeries({{"__name__", "a"}}, {{1000, 1.0}});
  EXPECT_EQ(absl::BytesToHexString(enc.proto()),
            "0a1d"                                        // WriteRequest.timeseries, 29 bytes
            "0a0d" "0a085f5f6e616d655f5f" "120161"        // Label{name, value}
            "120c" "09000000000000f03f" "10e807");        // Sample{value, timestamp}
  EXPECT_EQ(enc.series(), 1);
  EXPECT_EQ(enc.samples(), 1);
}

TEST(RemoteWriteEncoderTest, RoundTripsThroughTheDecoder) {
  const double stale = std::bit_cast<double>(kStaleNaNBits);
  std::vector<RemoteSeriesInput> in = {
      {{{"__name__", "rule:sum"}, {"job", "a"}, {"path", "/\xc3\xa9t\xc3\xa9"}},
       {{-1500, -0.0}, {0, 0}, {1700000000123, 1e308}, {1700000000124, stale}}},
      {{{"__name__", "ALERTS"}, {"alertname", "X"}, {"alertstate", "firing"}},
       {{std::numeric_limits<int64_t>::max(), std::numeric_limits<double>::infinity()}}},
      {{{"__name__", std::string(300, 'n')}, {"v", std::string(70000, 'x')}}, {}},
  };
  WriteRequestEncoder enc;
  for (const auto& s : in) enc.AddSeries(s.labels, s.samples);
  enc.AddMetadata({1, "rule:sum", "help text", "seconds"});
  std::string body;
  enc.CompressTo(&body);

  WriteRequestDecoder d;
  ASSERT_TRUE(d.DecodeSnappy(body).ok());
  ASSERT_EQ(d.series().size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const RemoteSeriesView& sv = d.series()[i];
    ASSERT_EQ(sv.labels_end - sv.labels_begin, in[i].labels.size());
    for (size_t j = 0; j < in[i].labels.size(); ++j) {
      EXPECT_EQ(d.labels()[sv.labels_begin + j].name, in[i].labels[j].name);
      EXPECT_EQ(d.labels()[sv.labels_begin + j].value, in[i].labels[j].value);
    }
    ASSERT_EQ(sv.samples_end - sv.samples_begin, in[i].samples.size());
    for (size_t j = 0; j < in[i].samples.size(); ++j) {
      const Sample& got = d.samples()[sv.samples_begin + j];
      EXPECT_EQ(got.t_ms, in[i].samples[j].t_ms);
      // Bit-exact: -0.0 and the stale-marker NaN survive.
      EXPECT_EQ(std::bit_cast<uint64_t>(got.v), std::bit_cast<uint64_t>(in[i].samples[j].v));
    }
  }
  ASSERT_EQ(d.metadata().size(), 1u);
  EXPECT_EQ(d.metadata()[0].family, "rule:sum");
  EXPECT_EQ(d.metadata()[0].help, "help text");
  EXPECT_EQ(d.metadata()[0].unit, "seconds");
  EXPECT_STREQ(RemoteMetricTypeString(d.metadata()[0].type), "counter");

  // The free function produces the same bytes.
  std::string proto;
  EncodeWriteRequest(in, {{1, "rule:sum", "help text", "seconds"}}, &proto);
  EXPECT_EQ(proto, enc.proto());
  enc.Clear();
  EXPECT_TRUE(enc.proto().empty());
  EXPECT_EQ(enc.series(), 0);
}

}  // namespace
}  // namespace tally::storage
