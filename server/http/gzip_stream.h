// GzipStream: incremental gzip (RFC 1952) for streamed response bodies: Append() compresses
// a piece into the output it returns so far, Finish() ends the stream. zlib keeps a 32 KiB
// window and small buffers, so compressing a body of any size needs O(1) memory. One stream
// per response; not thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tally::server::http {

class GzipStream {
 public:
  explicit GzipStream(int level);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Compresses `in`, appending whatever compressed bytes zlib emits to *out.
  absl::Status Append(absl::string_view in, std::string* out);
  // Flushes the rest and the gzip trailer into *out.
  absl::Status Finish(std::string* out);

 private:
  absl::Status Run(absl::string_view in, int flush, std::string* out);
  struct State;
  State* s_;
};

}  // namespace tally::server::http
