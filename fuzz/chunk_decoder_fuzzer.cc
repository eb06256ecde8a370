// libFuzzer target for the chunk decoders (storage/chunk/chunk.h): arbitrary bytes, read as
// a stored chunk of any encoding, must decode or fail with DataLoss, never crash or read out
// of bounds; timestamps returned are strictly increasing; memory is bounded by the 16-bit
// sample count (at most 65535 samples, ~1 MiB). Whatever decodes cleanly must survive a
// re-encode (EncodePacked) and decode to the same bits. Build and run: scripts/run-fuzzers.sh.
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/chunk/chunk.h"
#include "storage/chunk/packed_chunk.h"

namespace {

using tally::storage::ChunkIterator;
using tally::storage::Sample;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  // Batches of 256: a whole chunk goes through the iterator's buffered path too.
  std::vector<Sample> whole;
  ChunkIterator batch(in);
  Sample buf[256];
  while (size_t k = batch.NextBatch(absl::MakeSpan(buf))) {
    whole.insert(whole.end(), buf, buf + k);
    Check(whole.size() <= 65535);
  }
  const size_t n = whole.size();

  // One by one must agree with the batch (up to where either stopped).
  ChunkIterator one(in);
  size_t i = 0;
  while (one.Next()) {
    Check(i < 65535);
    if (i < n) {
      Check(one.t() == whole[i].t_ms);
      Check(std::bit_cast<uint64_t>(one.v()) == std::bit_cast<uint64_t>(whole[i].v));
    }
    ++i;
  }
  Check(one.status().ok() == batch.status().ok());
  if (!batch.status().ok()) return 0;
  Check(i == n);
  for (size_t k = 1; k < n; ++k) Check(whole[k].t_ms > whole[k - 1].t_ms);

  if (n > 0) {
    std::string packed;
    Check(tally::storage::EncodePacked(whole, &packed));
    std::vector<Sample> again(n);
    Check(tally::storage::DecodePacked(packed, absl::MakeSpan(again)).ok());
    for (size_t k = 0; k < n; ++k) {
      Check(again[k].t_ms == whole[k].t_ms);
      Check(std::bit_cast<uint64_t>(again[k].v) == std::bit_cast<uint64_t>(whole[k].v));
    }
  }
  return 0;
}
