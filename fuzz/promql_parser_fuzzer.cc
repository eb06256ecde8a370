// libFuzzer target for the PromQL front end: any input must parse or fail cleanly, and
// whatever parses must print to text that parses back to the same text.
// Build (clang only):
//   CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DTALLY_BUILD_FUZZERS=ON -DTALLY_SANITIZE=ON \
//       -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link
//   cmake --build build-fuzz --target promql_parser_fuzzer
//   build-fuzz/fuzz/promql_parser_fuzzer -max_total_time=60 -max_len=512
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  (void)tally::promql::ParseMetricSelector(input);
  auto e = tally::promql::ParseExpr(input);
  if (!e.ok()) return 0;
  const std::string printed = tally::promql::ToString(**e);
  // Prometheus compat: "+Inf ^ x" re-parses as +(Inf ^ x); see printer.h.
  if (printed.find("Inf ^") != std::string::npos) return 0;
  auto again = tally::promql::ParseExpr(printed);
  if (!again.ok() || tally::promql::ToString(**again) != printed) std::abort();
  auto pretty = tally::promql::ParseExpr(tally::promql::Prettify(**e));
  if (!pretty.ok() || tally::promql::ToString(**pretty) != printed) std::abort();
  return 0;
}
