// Binary operators: scalar/scalar, vector/scalar, vector/vector with one-to-one and
// many-to-one/one-to-many matching (group_left/right), and the set operators and/or/unless.
// Signatures and result label sets are computed once per series (or series pair), values
// per step.
#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "promql/evaluator.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {
namespace {

// Prometheus compat (engine.go vectorElemBinop): the value and whether a comparison keeps
// the element; arithmetic follows IEEE (x/0 = +-Inf, 0/0 = NaN), % is fmod, ^ is pow.
inline double ElemOp(BinaryOp op, double l, double r, bool* keep) {
  *keep = true;
  switch (op) {
    case BinaryOp::kAdd: return l + r;
    case BinaryOp::kSub: return l - r;
    case BinaryOp::kMul: return l * r;
    case BinaryOp::kDiv: return l / r;
    case BinaryOp::kPow: return std::pow(l, r);
    case BinaryOp::kMod: return std::fmod(l, r);
    case BinaryOp::kAtan2: return std::atan2(l, r);
    case BinaryOp::kEql: *keep = l == r; return l;
    case BinaryOp::kNeq: *keep = l != r; return l;
    case BinaryOp::kGtr: *keep = l > r; return l;
    case BinaryOp::kLss: *keep = l < r; return l;
    case BinaryOp::kGte: *keep = l >= r; return l;
    case BinaryOp::kLte: *keep = l <= r; return l;
    default: *keep = false; return 0;
  }
}

// Prometheus compat (shouldDropMetricName, 2.42): arithmetic drops __name__; comparisons
// and atan2 keep it (operators.test "trigy atan2 trigx").
inline bool DropsName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: case BinaryOp::kSub: case BinaryOp::kMul: case BinaryOp::kDiv:
    case BinaryOp::kPow: case BinaryOp::kMod:
      return true;
    default:
      return false;
  }
}

// The labels two series are matched on (Prometheus's MatchLabels / signatureFunc): the
// on(...) labels, or all labels except the ignoring(...) ones and __name__.
storage::Labels MatchLabels(const storage::Labels& l, bool on,
                            const std::vector<std::string>& names) {
  return l.Rebuild([&](absl::string_view name) {
    const bool listed = std::find(names.begin(), names.end(), name) != names.end();
    return on ? listed : (!listed && name != storage::kMetricNameLabel);
  });
}

// Assigns dense ids to signatures so per-step matching indexes arrays, not hash maps.
struct SigTable {
  absl::flat_hash_map<storage::Labels, int> ids;
  std::vector<storage::Labels> by_id;  // copies: flat_hash_map keys move on rehash
  int Id(storage::Labels sig) {
    auto [it, inserted] = ids.try_emplace(std::move(sig), static_cast<int>(by_id.size()));
    if (inserted) by_id.push_back(it->first);
    return it->second;
  }
};

}  // namespace

absl::StatusOr<Evaluated> Evaluator::EvalBinary(const BinaryExpr& e) {
  ASSIGN_OR_RETURN(Evaluated lhs, Eval(*e.lhs));
  ASSIGN_OR_RETURN(Evaluated rhs, Eval(*e.rhs));
  const int n = steps_.n;
  const BinaryOp op = e.op;

  if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
    ASSIGN_OR_RETURN(SampleReservation held, Reserve(n));
    std::vector<double> out(n);
    for (int k = 0; k < n; ++k) {
      bool keep;
      double v = ElemOp(op, lhs.scalar[k], rhs.scalar[k], &keep);
      out[k] = IsComparisonOp(op) ? (keep ? 1.0 : 0.0) : v;
    }
    Evaluated r = MakeScalar(std::move(out));
    r.held = std::move(held);
    return r;
  }

  if (lhs.type != ValueType::kVector || rhs.type != ValueType::kVector) {
    // Vector/scalar in either order.
    const bool swap = lhs.type == ValueType::kScalar;
    Rows rows = swap ? std::move(rhs.rows) : std::move(lhs.rows);
    const std::vector<double>& s = swap ? lhs.scalar : rhs.scalar;
    const bool drop = DropsName(op) || e.return_bool;
    for (Row& row : rows) {
      if (drop) row.labels = DropMetricName(row.labels);
      for (int k = 0; k < n; ++k) {
        double x = row.v[k];
        if (IsAbsent(x)) continue;
        double l = swap ? s[k] : x, r = swap ? x : s[k];
        bool keep;
        double v = ElemOp(op, l, r, &keep);
        // Prometheus compat: a comparison keeps the vector element's value even when the
        // scalar is on the left.
        if (IsComparisonOp(op)) v = x;
        if (e.return_bool) {
          v = keep ? 1.0 : 0.0;
          keep = true;
        }
        row.v[k] = keep ? v : Absent();
      }
    }
    DropEmptyRows(&rows);
    RETURN_IF_ERROR(MergeDuplicateRows(&rows));
    return MakeVector(std::move(rows));
  }

  static const VectorMatching kDefaultMatching{};
  const VectorMatching& m = e.matching ? *e.matching : kDefaultMatching;
  SigTable sigs;
  std::vector<int> lsig(lhs.rows.size()), rsig(rhs.rows.size());
  for (size_t i = 0; i < lhs.rows.size(); ++i) {
    lsig[i] = sigs.Id(MatchLabels(lhs.rows[i].labels, m.on, m.matching_labels));
  }
  for (size_t j = 0; j < rhs.rows.size(); ++j) {
    rsig[j] = sigs.Id(MatchLabels(rhs.rows[j].labels, m.on, m.matching_labels));
  }
  const size_t nsig = sigs.by_id.size();

  if (IsSetOp(op)) {
    std::vector<uint8_t> mark(nsig);
    Rows out;
    if (op == BinaryOp::kOr) {
      out = std::move(lhs.rows);
      const size_t nl = out.size();
      for (int k = 0; k < n; ++k) {
        std::fill(mark.begin(), mark.end(), 0);
        for (size_t i = 0; i < nl; ++i) {
          if (!IsAbsent(out[i].v[k])) mark[lsig[i]] = 1;
        }
        for (size_t j = 0; j < rhs.rows.size(); ++j) {
          if (mark[rsig[j]]) rhs.rows[j].v[k] = Absent();
        }
      }
      for (Row& r : rhs.rows) out.push_back(std::move(r));
    } else {
      out = std::move(lhs.rows);
      for (int k = 0; k < n; ++k) {
        std::fill(mark.begin(), mark.end(), 0);
        for (size_t j = 0; j < rhs.rows.size(); ++j) {
          if (!IsAbsent(rhs.rows[j].v[k])) mark[rsig[j]] = 1;
        }
        const bool want = op == BinaryOp::kAnd;
        for (size_t i = 0; i < out.size(); ++i) {
          if (static_cast<bool>(mark[lsig[i]]) != want) out[i].v[k] = Absent();
        }
      }
    }
    DropEmptyRows(&out);
    RETURN_IF_ERROR(MergeDuplicateRows(&out));
    return MakeVector(std::move(out));
  }

  // One-to-one and many-to-one; one-to-many swaps the sides so the right side is "one".
  const bool one_to_many = m.card == Cardinality::kOneToMany;
  Rows* many = &lhs.rows;
  Rows* one = &rhs.rows;
  std::vector<int>* many_sig = &lsig;
  std::vector<int>* one_sig = &rsig;
  if (one_to_many) {
    std::swap(many, one);
    std::swap(many_sig, one_sig);
  }
  const bool drop_name = DropsName(op);
  // The output labels in one pass into one buffer: the many side's labels minus the
  // dropped ones, with group_x(...) labels copied from the one side (an absent one
  // removes the label).
  std::vector<std::string> include = m.include;
  std::sort(include.begin(), include.end());
  include.erase(std::unique(include.begin(), include.end()), include.end());
  std::vector<storage::LabelView> include_set(include.size());
  const bool del_name = drop_name || e.return_bool;
  auto result_labels = [&](const storage::Labels& ml, const storage::Labels& ol) {
    for (size_t k = 0; k < include.size(); ++k) include_set[k] = {include[k], ol.Get(include[k])};
    return ml.Rebuild(
        [&](absl::string_view name) {
          if (del_name && name == storage::kMetricNameLabel) return false;
          if (m.card != Cardinality::kOneToOne) return true;
          const bool listed = std::find(m.matching_labels.begin(), m.matching_labels.end(),
                                        name) != m.matching_labels.end();
          return m.on ? listed : !listed;
        },
        include_set);
  };

  Rows out;
  SampleReservation out_held(ctx_->samples);  // grows by a row before each new row
  absl::flat_hash_map<storage::Labels, int> out_index;
  absl::flat_hash_map<std::pair<int, int>, int> pair_index;
  std::vector<int> one_at(nsig, -1);
  std::vector<int> matched_at(nsig, -1);  // step at which a signature last matched
  for (int k = 0; k < n; ++k) {
    RETURN_IF_ERROR(ctx_->CheckInterrupt());
    bool any_many = false;
    for (const Row& r : *many) {
      if (!IsAbsent(r.v[k])) {
        any_many = true;
        break;
      }
    }
    if (!any_many) continue;
    std::fill(one_at.begin(), one_at.end(), -1);
    bool any_one = false;
    for (size_t j = 0; j < one->size(); ++j) {
      if (IsAbsent((*one)[j].v[k])) continue;
      any_one = true;
      int sig = (*one_sig)[j];
      if (one_at[sig] >= 0) {
        const storage::Labels& dup = (*one)[one_at[sig]].labels;
        return absl::FailedPreconditionError(absl::StrCat(
            "found duplicate series for the match group ", sigs.by_id[sig].ToString(),
            " on the ", one_to_many ? "left" : "right", " hand-side of the operation: [",
            (*one)[j].labels.ToString(), ", ", dup.ToString(),
            "];many-to-many matching not allowed: matching labels must be unique on one side"));
      }
      one_at[sig] = static_cast<int>(j);
    }
    if (!any_one) continue;
    for (size_t i = 0; i < many->size(); ++i) {
      double mv = (*many)[i].v[k];
      if (IsAbsent(mv)) continue;
      int sig = (*many_sig)[i];
      int j = one_at[sig];
      if (j < 0) continue;
      double ov = (*one)[j].v[k];
      double l = one_to_many ? ov : mv, r = one_to_many ? mv : ov;
      bool keep;
      double v = ElemOp(op, l, r, &keep);
      if (e.return_bool) {
        v = keep ? 1.0 : 0.0;
      } else if (!keep) {
        continue;
      }
      auto [pit, pnew] = pair_index.try_emplace({static_cast<int>(i), j}, -1);
      if (pnew) {
        storage::Labels lbl = result_labels((*many)[i].labels, (*one)[j].labels);
        auto [oit, onew] = out_index.try_emplace(std::move(lbl), static_cast<int>(out.size()));
        if (onew) {
          RETURN_IF_ERROR(out_held.Grow(n));
          out.push_back(Row{oit->first, std::vector<double>(n, Absent())});
        }
        pit->second = oit->second;
      }
      Row& dst = out[pit->second];
      if (m.card == Cardinality::kOneToOne) {
        if (matched_at[sig] == k) {
          return absl::FailedPreconditionError(
              "multiple matches for labels: many-to-one matching must be explicit "
              "(group_left/group_right)");
        }
        matched_at[sig] = k;
      } else if (!IsAbsent(dst.v[k])) {
        return absl::FailedPreconditionError(
            "multiple matches for labels: grouping labels must ensure unique matches");
      }
      dst.v[k] = v;
    }
  }
  RETURN_IF_ERROR(MergeDuplicateRows(&out));
  Evaluated r = MakeVector(std::move(out));
  r.held = std::move(out_held);
  return r;
}

}  // namespace tally::promql::internal
