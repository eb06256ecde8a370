// libFuzzer target for the exposition-format / OpenMetrics parser
// (storage/ingest/text_parser.h): any input, in both formats and as a non-final slice, must
// parse or fail cleanly and terminate; an error must be sticky; every sample's label set must
// build. Build and run: scripts/run-fuzzers.sh.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/ingest/text_parser.h"

namespace {

using tally::storage::TextEntry;
using tally::storage::TextFormat;
using tally::storage::TextParser;
using tally::storage::TextParserOptions;

void Check(bool ok) {
  if (!ok) std::abort();
}

void ParseAll(absl::string_view input, TextParserOptions options) {
  TextParser p(input, options);
  // Every entry consumes at least one line, so more entries than lines + 1 is a loop.
  const size_t max_entries = input.size() + 2;
  int64_t last_line = 0;
  for (size_t n = 0;; ++n) {
    Check(n <= max_entries);
    auto e = p.Next();
    if (!e.ok()) {
      Check(!e.status().message().empty());
      auto again = p.Next();
      Check(!again.ok() && again.status() == e.status());
      return;
    }
    if (*e == TextEntry::kEnd) return;
    Check(p.line() >= last_line);
    last_line = p.line();
    if (*e == TextEntry::kSample) {
      Check(!p.metric_name().empty());
      tally::storage::Labels l = p.BuildLabels();
      Check(l.Get("__name__") == p.metric_name());
      for (size_t i = 1; i < l.size(); ++i) Check(l[i - 1].name < l[i].name);
      (void)p.sample_family();
      (void)p.series_text();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  (void)tally::storage::DetectTextFormat(input);
  ParseAll(input, TextParserOptions{.format = TextFormat::kPrometheus});
  ParseAll(input, TextParserOptions{.format = TextFormat::kOpenMetrics});
  ParseAll(input, TextParserOptions{
                      .format = TextFormat::kOpenMetrics, .first_line = 7, .require_eof = false});
  return 0;
}
