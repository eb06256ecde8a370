// Query result values: Scalar, String, Vector (instant vector) and Matrix (range vector),
// the four types a PromQL expression can evaluate to, plus the Value sum type an Engine
// query returns. Plain value types; safe to share across threads once built.
//
// Timestamps are int64 milliseconds. A Vector element carries the evaluation timestamp
// (Prometheus sets it to the query time); a Matrix series carries raw or per-step points.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "storage/model/labels.h"
#include "storage/model/sample.h"

namespace tally::promql {

struct Scalar {
  int64_t t_ms = 0;
  double v = 0;
};

struct String {
  int64_t t_ms = 0;
  std::string v;
};

// One element of an instant vector.
struct VectorSample {
  storage::Labels metric;
  int64_t t_ms = 0;
  double v = 0;
};
// Instant-query results keep Prometheus's evaluation order (sort/topk define it).
using Vector = std::vector<VectorSample>;

struct MatrixSeries {
  storage::Labels metric;
  std::vector<storage::Sample> points;  // ascending t_ms, never empty in results
};
// Range-query results are sorted by labels (storage::Compare), as Prometheus's API returns.
using Matrix = std::vector<MatrixSeries>;

using Value = std::variant<Scalar, String, Vector, Matrix>;

// "scalar", "string", "vector", "matrix": the API's resultType.
inline const char* ResultTypeName(const Value& v) {
  switch (v.index()) {
    case 0: return "scalar";
    case 1: return "string";
    case 2: return "vector";
    default: return "matrix";
  }
}

}  // namespace tally::promql
