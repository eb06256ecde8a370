// Appender's default AppendEncoded (db.h): for appenders without an encoded fast path.
#include "absl/status/statusor.h"
#include "storage/db.h"
#include "storage/kv/key_codec.h"

namespace tally::storage {

absl::StatusOr<SeriesRef> Appender::AppendEncoded(absl::string_view labels_enc, int64_t t_ms,
                                                  double v) {
  Labels labels;
  if (!kv::DecodeLabels(labels_enc, &labels)) {
    return absl::InvalidArgumentError("malformed label set encoding");
  }
  return Append(labels, t_ms, v);
}

}  // namespace tally::storage
