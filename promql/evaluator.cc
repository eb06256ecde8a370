// Node dispatch, literals, parentheses, unary minus and the shared helpers of the evaluator.
// The selector, binary, aggregation and function pieces live in their own files.
#include "promql/evaluator.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/util/go_float_format.h"
#include "storage/util/status_macros.h"

namespace tally::promql::internal {

absl::Status EvalContext::CheckInterrupt() const {
  if (cancelled != nullptr && cancelled->load(std::memory_order_relaxed)) {
    return absl::CancelledError("query was canceled in query execution");
  }
  if (absl::Now() > deadline) {
    return absl::DeadlineExceededError("query timed out in query execution");
  }
  return absl::OkStatus();
}


storage::Labels DropMetricName(const storage::Labels& l) {
  return l.Without(storage::kMetricNameLabel);
}

double GoMax(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

double GoMin(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

std::string FormatFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string s;
  storage::AppendGoFloatF(v, &s);
  return s;
}

Evaluated Evaluator::MakeScalar(std::vector<double> v) const {
  Evaluated r;
  r.type = ValueType::kScalar;
  r.scalar = std::move(v);
  return r;
}

Evaluated Evaluator::MakeVector(Rows rows) const {
  Evaluated r;
  r.type = ValueType::kVector;
  r.rows = std::move(rows);
  return r;
}

absl::StatusOr<SampleReservation> Evaluator::Reserve(int64_t n) const {
  SampleReservation r(ctx_->samples);
  RETURN_IF_ERROR(r.Resize(n));
  return r;
}

absl::StatusOr<SampleReservation> Evaluator::ReserveDense(size_t rows) const {
  // rows * n without overflow: anything above the limit fails anyway.
  const int64_t limit = ctx_->samples->limit();
  if (rows != 0 && static_cast<int64_t>(rows) > limit / steps_.n) {
    return SampleBudget::TooManySamples();
  }
  return Reserve(static_cast<int64_t>(rows) * steps_.n);
}

void Evaluator::DropEmptyRows(Rows* rows) {
  size_t out = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    bool any = false;
    for (double x : (*rows)[i].v) {
      if (!IsAbsent(x)) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    if (out != i) (*rows)[out] = std::move((*rows)[i]);
    ++out;
  }
  rows->resize(out);
}

absl::Status Evaluator::MergeDuplicateRows(Rows* rows) const {
  if (rows->size() < 2) return absl::OkStatus();
  absl::flat_hash_map<storage::Labels, size_t> first;
  first.reserve(rows->size());
  bool merged = false;
  for (size_t i = 0; i < rows->size(); ++i) {
    auto [it, inserted] = first.try_emplace((*rows)[i].labels, i);
    if (inserted) continue;
    Row& dst = (*rows)[it->second];
    Row& src = (*rows)[i];
    for (int k = 0; k < steps_.n; ++k) {
      if (IsAbsent(src.v[k])) continue;
      if (!IsAbsent(dst.v[k])) {
        return absl::FailedPreconditionError(
            "vector cannot contain metrics with the same labelset");
      }
      dst.v[k] = src.v[k];
    }
    std::fill(src.v.begin(), src.v.end(), Absent());
    merged = true;
  }
  if (merged) DropEmptyRows(rows);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> Evaluator::EvalScalarArg(const Expr& e) {
  ASSIGN_OR_RETURN(Evaluated r, Eval(e));
  if (r.type != ValueType::kScalar) {
    return absl::InternalError(absl::StrCat("expected scalar, got ", ValueTypeName(r.type)));
  }
  Pin(std::move(r.held));
  return std::move(r.scalar);
}

absl::StatusOr<Rows> Evaluator::EvalVectorArg(const Expr& e) {
  ASSIGN_OR_RETURN(Evaluated r, Eval(e));
  if (r.type != ValueType::kVector) {
    return absl::InternalError(
        absl::StrCat("expected instant vector, got ", ValueTypeName(r.type)));
  }
  Pin(std::move(r.held));
  return std::move(r.rows);
}

absl::StatusOr<Evaluated> Evaluator::Eval(const Expr& e) {
  RETURN_IF_ERROR(ctx_->CheckInterrupt());
  // Prometheus compat (engine.go currentSamples): the children's samples are released once
  // this node's result exists (they die with EvalNode's locals and the arguments pinned
  // while it ran); the result stays counted until its parent is done with it. Its buffers
  // were reserved before they were built, so this only settles the books: the result is
  // never larger than what was held a moment ago.
  const size_t pinned = pinned_.size();
  absl::StatusOr<Evaluated> r = EvalNode(e);
  pinned_.erase(pinned_.begin() + static_cast<std::ptrdiff_t>(pinned), pinned_.end());
  if (!r.ok()) return r.status();
  int64_t own = 0;
  switch (r->type) {
    case ValueType::kScalar: own = steps_.n; break;
    case ValueType::kVector: own = static_cast<int64_t>(r->rows.size()) * steps_.n; break;
    case ValueType::kMatrix:
      for (const MatrixSeries& s : r->matrix) own += static_cast<int64_t>(s.points.size());
      break;
    default: break;
  }
  if (r->held.budget() == nullptr) r->held = SampleReservation(ctx_->samples);
  RETURN_IF_ERROR(r->held.Resize(own));
  return r;
}

absl::StatusOr<Evaluated> Evaluator::EvalNode(const Expr& e) {
  switch (e.kind) {
    case NodeKind::kNumberLiteral: {
      ASSIGN_OR_RETURN(SampleReservation held, Reserve(steps_.n));
      Evaluated r = MakeScalar(std::vector<double>(steps_.n, e.As<NumberLiteral>().value));
      r.held = std::move(held);
      return r;
    }
    case NodeKind::kStringLiteral: {
      Evaluated r;
      r.type = ValueType::kString;
      r.str = e.As<StringLiteral>().value;
      return r;
    }
    case NodeKind::kParen:
      return Eval(*e.As<ParenExpr>().expr);
    case NodeKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      ASSIGN_OR_RETURN(Evaluated r, Eval(*u.expr));
      if (u.op != BinaryOp::kSub) return r;
      if (r.type == ValueType::kScalar) {
        for (double& x : r.scalar) x = -x;
        return r;
      }
      // Prometheus compat: unary minus drops the metric name.
      for (Row& row : r.rows) {
        row.labels = DropMetricName(row.labels);
        for (double& x : row.v) {
          if (!IsAbsent(x)) x = -x;
        }
      }
      RETURN_IF_ERROR(MergeDuplicateRows(&r.rows));
      return r;
    }
    case NodeKind::kVectorSelector:
      return EvalVectorSelector(e.As<VectorSelector>(), false);
    case NodeKind::kMatrixSelector:
    case NodeKind::kSubquery:
      return EvalMatrixForOutput(e);
    case NodeKind::kBinary:
      return EvalBinary(e.As<BinaryExpr>());
    case NodeKind::kAggregate:
      return EvalAggregate(e.As<AggregateExpr>());
    case NodeKind::kCall:
      return EvalCall(e.As<Call>());
  }
  return absl::InternalError("unknown node kind");
}

}  // namespace tally::promql::internal
