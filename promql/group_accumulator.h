// GroupAccumulator: the streaming aggregations (sum, avg, count, group, min, max, stddev,
// stdvar) as dense (group, step) accumulators fed one input row at a time, in input order.
// The float operations are Prometheus 2.42's (aggregation() in engine.go), applied in the
// order rows are added, so adding the rows in series order gives 2.42's bits. Used by
// eval_aggregate.cc for materialised rows and by eval_aggregate_stream.cc for rows computed
// chunk by chunk. Not thread-safe; header-only.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "promql/evaluator.h"

namespace tally::promql::internal {

// The group label set of an input series: `by` keeps the listed labels, `without` drops
// them and the metric name (eval_aggregate.cc).
storage::Labels AggregateGroupLabels(const storage::Labels& l, const AggregateExpr& e);

class GroupAccumulator {
 public:
  GroupAccumulator(AggregateOp op, int n) : op_(op), n_(n) {}

  static bool Supports(AggregateOp op) {
    switch (op) {
      case AggregateOp::kSum: case AggregateOp::kAvg: case AggregateOp::kCount:
      case AggregateOp::kGroup: case AggregateOp::kMax: case AggregateOp::kMin:
      case AggregateOp::kStddev: case AggregateOp::kStdvar:
        return true;
      default:
        return false;
    }
  }

  // Adds one group (all steps empty); returns its index.
  size_t AddGroup() {
    const size_t g = groups_;
    ++groups_;
    value_.resize(groups_ * n_, 0.0);
    mean_.resize(groups_ * n_, 0.0);
    count_.resize(groups_ * n_, 0.0);
    return g;
  }
  size_t groups() const { return groups_; }

  // Adds a row's n values (kAbsent cells skipped) to group g.
  void Add(size_t g, const double* v) {
    const size_t base = g * static_cast<size_t>(n_);
    for (int k = 0; k < n_; ++k) {
      const double x = v[k];
      if (IsAbsent(x)) continue;
      const size_t a = base + k;
      if (count_[a] == 0) {
        count_[a] = 1;
        value_[a] = (op_ == AggregateOp::kStddev || op_ == AggregateOp::kStdvar) ? 0 : x;
        mean_[a] = x;
        continue;
      }
      switch (op_) {
        case AggregateOp::kSum:
          value_[a] += x;
          count_[a] += 1;
          break;
        case AggregateOp::kAvg: {
          count_[a] += 1;
          // Prometheus compat (2.42 aggregation AVG): incremental mean, dividing each term
          // by the count to avoid overflow, with its special cases for infinities.
          double& mu = mean_[a];
          if (std::isinf(mu)) {
            if (std::isinf(x) && (mu > 0) == (x > 0)) break;
            if (!std::isinf(x) && !std::isnan(x)) break;
          }
          mu += x / count_[a] - mu / count_[a];
          break;
        }
        case AggregateOp::kCount:
        case AggregateOp::kGroup:
          count_[a] += 1;
          break;
        case AggregateOp::kMax:
          if (value_[a] < x || std::isnan(value_[a])) value_[a] = x;
          count_[a] += 1;
          break;
        case AggregateOp::kMin:
          if (value_[a] > x || std::isnan(value_[a])) value_[a] = x;
          count_[a] += 1;
          break;
        case AggregateOp::kStddev:
        case AggregateOp::kStdvar: {
          count_[a] += 1;
          double delta = x - mean_[a];
          mean_[a] += delta / count_[a];
          value_[a] += delta * (x - mean_[a]);
          break;
        }
        default:
          break;
      }
    }
  }

  // Group g's output values (kAbsent where it had no input).
  void Output(size_t g, std::vector<double>* out) const {
    out->assign(n_, Absent());
    for (int k = 0; k < n_; ++k) {
      const size_t a = g * static_cast<size_t>(n_) + k;
      if (count_[a] == 0) continue;
      double r = 0;
      switch (op_) {
        case AggregateOp::kSum: case AggregateOp::kMax: case AggregateOp::kMin:
          r = value_[a];
          break;
        case AggregateOp::kAvg: r = mean_[a]; break;
        case AggregateOp::kCount: r = count_[a]; break;
        case AggregateOp::kGroup: r = 1; break;
        case AggregateOp::kStdvar: r = value_[a] / count_[a]; break;
        case AggregateOp::kStddev: r = std::sqrt(value_[a] / count_[a]); break;
        default: break;
      }
      (*out)[k] = r;
    }
  }

 private:
  AggregateOp op_;
  int n_;
  size_t groups_ = 0;
  std::vector<double> value_, mean_, count_;
};

}  // namespace tally::promql::internal
