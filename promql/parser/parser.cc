#include "promql/parser/parser.h"

namespace tally::promql {

absl::StatusOr<ExprPtr> ParseExpr(absl::string_view input) {
  return absl::UnimplementedError("TODO(#3): parser not written yet");
}

absl::StatusOr<storage::Matchers> ParseMetricSelector(absl::string_view input) {
  return absl::UnimplementedError("TODO(#3): parser not written yet");
}

}  // namespace tally::promql
