// histogram_quantile(phi, buckets) over classic `le` buckets: groups series by their labels
// without `le` and __name__ (computed once per series), then per step sorts, merges equal
// bounds, fixes monotonicity and interpolates, as Prometheus 2.42's bucketQuantile does.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "promql/functions/functions.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Bucket {
  double upper;
  double count;
};

// Go's strconv.ParseFloat for `le` values ("1e+00", "+Inf", "0.5", "NaN", "0x1p-2").
bool ParseLe(absl::string_view s, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  for (char c : str) {
    if (c == ' ' || c == '\t' || c == '\n') return false;
  }
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return false;
  *out = v;
  return true;
}

double BucketQuantile(double q, std::vector<Bucket>* b) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(b->begin(), b->end(),
            [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (!(std::isinf(b->back().upper) && b->back().upper > 0)) return kNaN;
  // Merge buckets with the same upper bound (e.g. le="1" and le="1.0").
  size_t w = 0;
  for (size_t i = 0; i < b->size(); ++i) {
    if (w > 0 && (*b)[w - 1].upper == (*b)[i].upper) {
      (*b)[w - 1].count += (*b)[i].count;
    } else {
      (*b)[w++] = (*b)[i];
    }
  }
  b->resize(w);
  // Prometheus compat (ensureMonotonic): a count below an earlier one is raised to it.
  double max = -kInf;
  for (Bucket& x : *b) {
    if (x.count > max) {
      max = x.count;
    } else if (x.count < max) {
      x.count = max;
    }
  }
  if (b->size() < 2) return kNaN;
  double observations = b->back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  // First bucket (excluding +Inf) whose count reaches rank.
  size_t idx = 0;
  const size_t last = b->size() - 1;
  while (idx < last && !((*b)[idx].count >= rank)) ++idx;
  if (idx == last) return (*b)[last - 1].upper;
  if (idx == 0 && (*b)[0].upper <= 0) return (*b)[0].upper;
  double start = 0, end = (*b)[idx].upper, count = (*b)[idx].count;
  if (idx > 0) {
    start = (*b)[idx - 1].upper;
    count -= (*b)[idx - 1].count;
    rank -= (*b)[idx - 1].count;
  }
  return start + (end - start) * (rank / count);
}

}  // namespace

absl::StatusOr<Evaluated> EvalHistogramQuantile(Evaluator* ev, const Call& call) {
  ASSIGN_OR_RETURN(std::vector<double> q, ev->EvalScalarArg(*call.args[0]));
  ASSIGN_OR_RETURN(Rows rows, ev->EvalVectorArg(*call.args[1]));
  const int n = ev->steps().n;
  std::vector<int> group_of(rows.size(), -1);
  std::vector<double> upper(rows.size());
  Rows out;
  SampleReservation out_held(ev->ctx()->samples);
  absl::flat_hash_map<storage::Labels, int> index;
  for (size_t i = 0; i < rows.size(); ++i) {
    // Prometheus compat: series whose `le` does not parse as a float are ignored.
    if (!ParseLe(rows[i].labels.Get("le"), &upper[i])) continue;
    // Prometheus compat (funcHistogramQuantile): buckets are grouped by all labels but
    // `le` (the metric name included), and the output drops the name too, so two
    // families that differ only by name collide ("vector cannot contain metrics with the
    // same labelset", histograms.test).
    storage::Labels key = rows[i].labels.Without("le");
    auto [it, inserted] = index.try_emplace(std::move(key), static_cast<int>(out.size()));
    if (inserted) {
      RETURN_IF_ERROR(out_held.Grow(n));
      out.push_back(Row{DropMetricName(it->first), std::vector<double>(n, Absent())});
    }
    group_of[i] = it->second;
  }
  std::vector<std::vector<int>> members(out.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (group_of[i] >= 0) members[group_of[i]].push_back(static_cast<int>(i));
  }
  std::vector<Bucket> buckets;
  for (size_t g = 0; g < out.size(); ++g) {
    for (int k = 0; k < n; ++k) {
      buckets.clear();
      for (int i : members[g]) {
        if (!IsAbsent(rows[i].v[k])) buckets.push_back({upper[i], rows[i].v[k]});
      }
      if (buckets.empty()) continue;
      out[g].v[k] = BucketQuantile(q[k], &buckets);
    }
  }
  Evaluator::DropEmptyRows(&out);
  RETURN_IF_ERROR(ev->MergeDuplicateRows(&out));
  Evaluated r = ev->MakeVector(std::move(out));
  r.held = std::move(out_held);
  return r;
}

}  // namespace tally::promql::internal
