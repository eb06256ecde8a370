// Aggregation operators. Each input series' group is computed once from its labels; the
// accumulators are dense per (group, step). Group order is the order in which groups first
// appear in the input, as in Prometheus, which makes instant-query output order match.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "promql/evaluator.h"
#include "promql/functions/functions.h"
#include "promql/go_sort.h"
#include "promql/group_accumulator.h"
#include "storage/util/status_macros.h"
#include "storage/model/labels.h"

namespace tally::promql::internal {
namespace {


// Go's fmt %v for a float64 (used in error messages): shortest digits, exponent form when
// the exponent is < -4 or >= 21.
std::string GoFmtV(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  int exp10 = v == 0 ? 0 : static_cast<int>(std::floor(std::log10(std::fabs(v))));
  if (exp10 < -4 || exp10 >= 21) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    std::string s(buf, r.ptr);
    // C++ prints e+300 / e-05; Go prints at least two exponent digits too.
    return s;
  }
  return FormatFloatF(v);
}

// Prometheus compat (aggregation quantile()): linear interpolation between closest ranks,
// NaN sorted first; q < 0 -> -Inf, q > 1 -> +Inf.
double Quantile(double q, std::vector<double>* values) {
  std::sort(values->begin(), values->end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  return QuantileOfSorted(q, *values);
}

}  // namespace

double QuantileOfSorted(double q, const std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

namespace {

// Prometheus compat (aggregation TOPK/BOTTOMK with container/heap, 2.42): which series win
// among equal values, and their output order, follow Go's heap algorithms exactly: the
// group's first sample seeds the heap; a later one enters while the heap is below k, or
// when it beats the root (or the root is NaN), by heap.Pop then heap.Push (k == 1 replaces
// in place); the result is sorted with the reversed heap order (Go's sort.Sort runs
// insertion sort for up to 12 elements; larger k uses a stable sort here). Checked against
// the 2.42 binary on tied rates.
void SelectTopK(const Rows& rows, int k, const std::vector<int>& members, int64_t kk, bool top,
                std::vector<int>* heap) {
  // Less(i, j) of vectorByValueHeap (topk) / vectorByReverseValueHeap (bottomk): NaN first.
  auto less = [&](int a, int b) {
    double x = rows[a].v[k], y = rows[b].v[k];
    if (std::isnan(x)) return true;
    return top ? x < y : x > y;
  };
  std::vector<int>& h = *heap;
  h.clear();
  auto up = [&](size_t j) {
    while (j > 0) {
      size_t i = (j - 1) / 2;
      if (!less(h[j], h[i])) break;
      std::swap(h[i], h[j]);
      j = i;
    }
  };
  auto down = [&](size_t i0) {
    size_t i = i0, n = h.size();
    while (true) {
      size_t j1 = 2 * i + 1;
      if (j1 >= n) break;
      size_t j = j1;
      if (j1 + 1 < n && less(h[j1 + 1], h[j1])) j = j1 + 1;
      if (!less(h[j], h[i])) break;
      std::swap(h[i], h[j]);
      i = j;
    }
    return i > i0;
  };
  for (size_t x = 0; x < members.size(); ++x) {
    int idx = members[x];
    if (x == 0) {
      h.push_back(idx);
      continue;
    }
    double v = rows[idx].v[k];
    double root = rows[h[0]].v[k];
    if (static_cast<int64_t>(h.size()) < kk || (top ? root < v : root > v) || std::isnan(root)) {
      if (static_cast<int64_t>(h.size()) == kk) {
        if (kk == 1) {  // replaced in place
          h[0] = idx;
          continue;
        }
        // heap.Pop: move the root to the end, sift down, drop it.
        std::swap(h[0], h.back());
        h.pop_back();
        down(0);
      }
      h.push_back(idx);  // heap.Push
      up(h.size() - 1);
    }
  }
  // sort.Sort(sort.Reverse(heap)): Less'(i, j) = Less(j, i), with Go's unstable sort.
  GoSort(&h, [&](int a, int b) { return less(b, a); });
}

}  // namespace

double QuantileOf(double q, std::vector<double>* values) { return Quantile(q, values); }

storage::Labels AggregateGroupLabels(const storage::Labels& l, const AggregateExpr& e) {
  const std::vector<std::string>& g = e.grouping;
  auto listed = [&g](absl::string_view n) { return std::find(g.begin(), g.end(), n) != g.end(); };
  if (e.without) {
    return l.Rebuild(
        [&](absl::string_view n) { return n != storage::kMetricNameLabel && !listed(n); });
  }
  return l.Rebuild(listed);
}


absl::StatusOr<Evaluated> Evaluator::EvalAggregate(const AggregateExpr& e) {
  const int n = steps_.n;
  std::vector<double> param;
  std::string value_label;
  if (e.op == AggregateOp::kCountValues) {
    ASSIGN_OR_RETURN(Evaluated p, Eval(*e.param));
    value_label = p.str;
    if (!storage::IsValidLabelName(value_label)) {
      return absl::FailedPreconditionError(
          absl::StrCat("invalid label name ", storage::GoQuote(value_label)));
    }
  } else if (e.param != nullptr) {
    ASSIGN_OR_RETURN(param, EvalScalarArg(*e.param));
  }
  // sum/avg/... over a range function: stream the function's rows into the accumulators
  // chunk by chunk instead of keeping one dense row per input series
  // (eval_aggregate_stream.cc); nullopt when the shortcut does not apply.
  if (GroupAccumulator::Supports(e.op)) {
    ASSIGN_OR_RETURN(std::optional<Evaluated> streamed, EvalAggregateStreamed(e));
    if (streamed) return std::move(*streamed);
  }
  ASSIGN_OR_RETURN(Rows rows, EvalVectorArg(*e.expr));

  if (e.op == AggregateOp::kCountValues) {
    Rows out;
    SampleReservation out_held(ctx_->samples);
    absl::flat_hash_map<storage::Labels, int> index;
    for (int k = 0; k < n; ++k) {
      RETURN_IF_ERROR(ctx_->CheckInterrupt());
      for (const Row& r : rows) {
        if (IsAbsent(r.v[k])) continue;
        storage::LabelsBuilder b(r.labels);
        b.Set(value_label, FormatFloatF(r.v[k]));
        storage::Labels with_value = b.Build();
        storage::LabelsBuilder g(with_value);
        if (e.without) {
          for (const std::string& x : e.grouping) g.Del(x);
          g.Del(storage::kMetricNameLabel);
        } else {
          std::vector<std::string> keep = e.grouping;
          keep.push_back(value_label);
          g.Keep(keep);
        }
        auto [it, inserted] = index.try_emplace(g.Build(), static_cast<int>(out.size()));
        if (inserted) {
          RETURN_IF_ERROR(out_held.Grow(n));
          out.push_back(Row{it->first, std::vector<double>(n, Absent())});
        }
        double& dst = out[it->second].v[k];
        dst = IsAbsent(dst) ? 1 : dst + 1;
      }
    }
    Evaluated r = MakeVector(std::move(out));
    r.held = std::move(out_held);
    return r;
  }

  // Group assignment, in order of first appearance.
  std::vector<int> group_of(rows.size(), -1);
  std::vector<storage::Labels> group_labels;
  {
    absl::flat_hash_map<storage::Labels, int> index;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto [it, inserted] =
          index.try_emplace(AggregateGroupLabels(rows[i].labels, e), static_cast<int>(group_labels.size()));
      if (inserted) group_labels.push_back(it->first);
      group_of[i] = it->second;
    }
  }
  const size_t ng = group_labels.size();

  if (e.op == AggregateOp::kTopk || e.op == AggregateOp::kBottomk ||
      e.op == AggregateOp::kQuantile) {
    // Per step, collect each group's members.
    std::vector<std::vector<int>> members(ng);
    std::vector<std::vector<double>> keep_v(rows.size());
    Rows out;
    std::vector<int> order;  // instant queries: output order
    ASSIGN_OR_RETURN(SampleReservation held,
                     ReserveDense(e.op == AggregateOp::kQuantile ? ng : rows.size()));
    if (e.op != AggregateOp::kQuantile) {
      for (auto& kv : keep_v) kv.assign(n, Absent());
    } else {
      for (size_t g = 0; g < ng; ++g) out.push_back(Row{group_labels[g], std::vector<double>(n, Absent())});
    }
    std::vector<double> vals;
    std::vector<int> heap;
    const bool top = e.op == AggregateOp::kTopk;
    for (int k = 0; k < n; ++k) {
      RETURN_IF_ERROR(ctx_->CheckInterrupt());
      for (auto& m : members) m.clear();
      for (size_t i = 0; i < rows.size(); ++i) {
        if (!IsAbsent(rows[i].v[k])) members[group_of[i]].push_back(static_cast<int>(i));
      }
      if (e.op == AggregateOp::kQuantile) {
        for (size_t g = 0; g < ng; ++g) {
          if (members[g].empty()) continue;
          vals.clear();
          for (int i : members[g]) vals.push_back(rows[i].v[k]);
          out[g].v[k] = Quantile(param[k], &vals);
        }
        continue;
      }
      double f = param[k];
      // Prometheus compat (aggregation, 2.42 wording): k must fit an int64.
      if (!(f <= 9.2233720368547758e18 && f >= -9.2233720368547758e18)) {
        return absl::FailedPreconditionError(
            absl::StrCat("Scalar value ", GoFmtV(f), " overflows int64"));
      }
      int64_t kk = static_cast<int64_t>(f);
      if (kk < 1) continue;
      for (size_t g = 0; g < ng; ++g) {
        std::vector<int>& m = members[g];
        if (m.empty()) continue;
        SelectTopK(rows, k, m, kk, top, &heap);
        for (int i : heap) {
          keep_v[i][k] = rows[i].v[k];
          if (n == 1) order.push_back(i);
        }
      }
    }
    if (e.op == AggregateOp::kQuantile) {
      DropEmptyRows(&out);
      return MakeVector(std::move(out));
    }
    if (n == 1) {
      for (int i : order) out.push_back(Row{rows[i].labels, std::move(keep_v[i])});
    } else {
      for (size_t i = 0; i < rows.size(); ++i) {
        out.push_back(Row{std::move(rows[i].labels), std::move(keep_v[i])});
      }
      DropEmptyRows(&out);
    }
    return MakeVector(std::move(out));
  }

  // Streaming accumulators: value, mean and count per (group, step), then the output.
  ASSIGN_OR_RETURN(SampleReservation held, ReserveDense(ng * 4));
  GroupAccumulator acc(e.op, n);
  for (size_t g = 0; g < ng; ++g) acc.AddGroup();
  for (size_t i = 0; i < rows.size(); ++i) {
    if ((i & 1023) == 0) RETURN_IF_ERROR(ctx_->CheckInterrupt());
    acc.Add(static_cast<size_t>(group_of[i]), rows[i].v.data());
  }
  Rows out(ng);
  for (size_t g = 0; g < ng; ++g) {
    out[g].labels = std::move(group_labels[g]);
    acc.Output(g, &out[g].v);
  }
  DropEmptyRows(&out);
  return MakeVector(std::move(out));
}

}  // namespace tally::promql::internal
