// POST /api/v1/read over real loopback HTTP against a real DB: the request is encoded by
// hand here (field numbers of prompb.ReadRequest), the response decoded with the
// remote-write decoder (QueryResult and WriteRequest share field 1 = TimeSeries).
#include <snappy.h>

#include <fstream>
#include <string>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "storage/ingest/remote_write.h"
#include "storage/util/coding.h"
#include "tests/server/test_http_client.h"
#include "tests/testutil/temp_dir.h"

namespace tally::server {
namespace {

using tally::testing::HttpClient;

void Bytes(std::string* out, int field, const std::string& b) {
  storage::PutVarint64(out, static_cast<uint64_t>(field) << 3 | 2);
  storage::PutVarint64(out, b.size());
  out->append(b);
}
void Varint(std::string* out, int field, uint64_t v) {
  storage::PutVarint64(out, static_cast<uint64_t>(field) << 3);
  storage::PutVarint64(out, v);
}

// One query; matchers as (type, name, value).
std::string ReadRequest(int64_t start, int64_t end,
                        std::vector<std::tuple<int, std::string, std::string>> matchers) {
  std::string q;
  Varint(&q, 1, static_cast<uint64_t>(start));
  Varint(&q, 2, static_cast<uint64_t>(end));
  for (const auto& [type, name, value] : matchers) {
    std::string m;
    if (type != 0) Varint(&m, 1, static_cast<uint64_t>(type));
    Bytes(&m, 2, name);
    Bytes(&m, 3, value);
    Bytes(&q, 3, m);
  }
  std::string req;
  Bytes(&req, 1, q);
  return storage::SnappyCompressBlock(req);
}

class RemoteReadTest : public ::testing::Test {
 protected:
  void Start(int64_t sample_limit) {
    auto db = storage::DB::Open(testutil::TestOptions(dir_.Sub("data")));
    ASSERT_TRUE(db.ok());
    db_ = *std::move(db);
    auto app = db_->NewAppender();
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(app->Append({{"__name__", "m"}, {"job", "a"}}, 1000 * i, i).ok());
      ASSERT_TRUE(app->Append({{"__name__", "m"}, {"job", "b"}}, 1000 * i, -i).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
    std::ofstream(dir_.Sub("c.yml")) << "global: {external_labels: {site: x, job: ext}}\n";
    ServerOptions o;
    o.config_file = dir_.Sub("c.yml");
    o.http.listen_address = "127.0.0.1:0";
    o.api.remote_read_sample_limit = sample_limit;
    auto s = Server::Start(o, db_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  tally::testing::ClientResponse Post(const std::string& body) {
    return HttpClient(server_->port())
        .Do("POST", "/api/v1/read", body,
            {{"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}});
  }
  testutil::TempDir dir_;
  std::unique_ptr<storage::DB> db_;
  std::unique_ptr<Server> server_;
};

TEST_F(RemoteReadTest, ReturnsSamplesInRangeWithExternalLabels) {
  Start(0);
  // site="x" is an external label: the matcher is dropped, not applied to stored labels.
  auto r = Post(ReadRequest(2000, 4000, {{0, "__name__", "m"}, {2, "job", "a|b"}, {0, "site", "x"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/x-protobuf");
  EXPECT_EQ(r.headers["content-encoding"], "snappy");
  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(r.body.data(), r.body.size(), &raw));
  // ReadResponse: field 1 = the one QueryResult.
  absl::string_view in(raw);
  uint64_t tag = 0, len = 0;
  ASSERT_TRUE(storage::GetVarint64(&in, &tag) && storage::GetVarint64(&in, &len));
  ASSERT_EQ(tag, 0x0Au);
  ASSERT_EQ(len, in.size());
  storage::WriteRequestDecoder d;
  ASSERT_TRUE(d.DecodeProto(in).ok());
  ASSERT_EQ(d.series().size(), 2u);
  std::vector<std::string> got;
  for (const auto& s : d.series()) {
    std::string line;
    for (uint32_t i = s.labels_begin; i < s.labels_end; ++i) {
      absl::StrAppend(&line, d.labels()[i].name, "=", d.labels()[i].value, " ");
    }
    for (uint32_t i = s.samples_begin; i < s.samples_end; ++i) {
      absl::StrAppend(&line, d.samples()[i].t_ms, ":", d.samples()[i].v, " ");
    }
    got.push_back(line);
  }
  // The series' own job wins over the external job label; site is added.
  EXPECT_EQ(got[0], "__name__=m job=a site=x 2000:2 3000:3 4000:4 ");
  EXPECT_EQ(got[1], "__name__=m job=b site=x 2000:-2 3000:-3 4000:-4 ");
}

TEST_F(RemoteReadTest, LimitsAndMalformedInput) {
  Start(5);
  auto r = Post(ReadRequest(0, 9000, {{0, "__name__", "m"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "exceeded sample limit (5)\n");
  EXPECT_EQ(Post(ReadRequest(0, 3000, {{0, "job", "a"}})).status, 200);  // 4 samples
  r = Post("not snappy at all");
  EXPECT_EQ(r.status, 400);
  r = Post(ReadRequest(0, 1, {{7, "job", "a"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "invalid matcher type\n");
}

}  // namespace
}  // namespace tally::server
