#include "server/http/gzip_stream.h"

#include <zlib.h>

namespace tally::server::http {

struct GzipStream::State {
  z_stream zs{};
  bool ok = false;
};

GzipStream::GzipStream(int level) : s_(new State) {
  // windowBits 15 + 16 selects the gzip wrapper.
  s_->ok = deflateInit2(&s_->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipStream::~GzipStream() {
  if (s_->ok) deflateEnd(&s_->zs);
  delete s_;
}

absl::Status GzipStream::Run(absl::string_view in, int flush, std::string* out) {
  if (!s_->ok) return absl::InternalError("deflateInit2 failed");
  z_stream& zs = s_->zs;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  unsigned char buf[16384];
  while (true) {
    zs.next_out = buf;
    zs.avail_out = sizeof(buf);
    const int rc = deflate(&zs, flush);
    if (rc == Z_STREAM_ERROR) return absl::InternalError("gzip deflate failed");
    out->append(reinterpret_cast<const char*>(buf), sizeof(buf) - zs.avail_out);
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (zs.avail_in == 0 && zs.avail_out != 0)) break;
  }
  return absl::OkStatus();
}

absl::Status GzipStream::Append(absl::string_view in, std::string* out) {
  return Run(in, Z_NO_FLUSH, out);
}

absl::Status GzipStream::Finish(std::string* out) { return Run({}, Z_FINISH, out); }

}  // namespace tally::server::http
