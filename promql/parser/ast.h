// The PromQL abstract syntax tree: one plain struct per node kind, produced by ParseExpr()
// (parser.h) and walked by the evaluator. Every node derives from Expr, which carries a
// NodeKind for switch dispatch (no visitor double dispatch, no RTTI needed) and the byte
// range of its source text (for error messages). Children are owned through
// std::unique_ptr; a tree is a value with a single owner and is immutable once the parser
// has returned it, so a const tree may be read from any number of threads.
//
// Conventions shared by all nodes:
//   - Times and durations are int64 milliseconds (offsets may be negative).
//   - `@ <t>` is stored in ms (Prometheus rounds float seconds: round(t * 1000));
//     `@ start()` / `@ end()` stay symbolic (AtModifier::Kind) so the engine resolves them
//     against the query's own start/end.
//   - A VectorSelector's `matchers` always include the `__name__="name"` matcher when the
//     selector was written with a metric name, so the evaluator only needs `matchers`.
//   - Types follow Prometheus: every node has a static ValueType (Expr::type()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "storage/model/matcher.h"

namespace tally::promql {

struct Function;  // function_table.h

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
// "scalar", "instant vector", "range vector", "string", "none" (Prometheus's wording).
const char* ValueTypeName(ValueType t);

// Byte offsets into the query text, [start, end).
struct PosRange {
  int32_t start = 0;
  int32_t end = 0;
  friend bool operator==(const PosRange&, const PosRange&) = default;
};

enum class NodeKind {
  kNumberLiteral,
  kStringLiteral,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kParen,
  kUnary,
  kBinary,
  kAggregate,
  kCall,
};

// Binary (and unary: kAdd/kSub) operators.
enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kMod, kPow, kAtan2,  // arithmetic
  kEql, kNeq, kGtr, kLss, kGte, kLte,          // comparison
  kAnd, kOr, kUnless,                          // set
};
const char* BinaryOpString(BinaryOp op);  // "+", "==", "and", "atan2", ...
bool IsComparisonOp(BinaryOp op);
bool IsSetOp(BinaryOp op);

enum class AggregateOp {
  kSum, kMin, kMax, kAvg, kGroup, kStddev, kStdvar, kCount,
  kCountValues, kBottomk, kTopk, kQuantile,
};
const char* AggregateOpString(AggregateOp op);  // "sum", "count_values", ...
// count_values, topk, bottomk, quantile take a parameter before the expression.
bool AggregateHasParam(AggregateOp op);

// `@` modifier of a selector or subquery.
struct AtModifier {
  enum class Kind { kNone, kTimestamp, kStart, kEnd };
  Kind kind = Kind::kNone;
  int64_t t_ms = 0;  // only for kTimestamp
  bool present() const { return kind != Kind::kNone; }
  friend bool operator==(const AtModifier&, const AtModifier&) = default;
};

struct Expr {
  explicit Expr(NodeKind k) : kind(k) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  // Static result type of this node (Prometheus's Expr.Type()).
  ValueType type() const;

  template <typename T>
  T& As() { return static_cast<T&>(*this); }
  template <typename T>
  const T& As() const { return static_cast<const T&>(*this); }

  const NodeKind kind;
  PosRange pos;
};
using ExprPtr = std::unique_ptr<Expr>;

struct NumberLiteral : Expr {
  NumberLiteral() : Expr(NodeKind::kNumberLiteral) {}
  double value = 0;
};

struct StringLiteral : Expr {
  StringLiteral() : Expr(NodeKind::kStringLiteral) {}
  std::string value;  // unescaped
};

struct VectorSelector : Expr {
  VectorSelector() : Expr(NodeKind::kVectorSelector) {}
  std::string name;           // metric name, empty for `{...}` selectors
  storage::Matchers matchers;  // includes __name__="name" when `name` is set
  int64_t offset_ms = 0;      // as written (`offset -5m` -> -300000)
  AtModifier at;
};

// `selector[range]`. Offset and @ live on the inner selector, as in Prometheus.
struct MatrixSelector : Expr {
  MatrixSelector() : Expr(NodeKind::kMatrixSelector) {}
  std::unique_ptr<VectorSelector> selector;
  int64_t range_ms = 0;
};

// `expr[range:step]`; step_ms == 0 means "the engine's default evaluation interval".
struct SubqueryExpr : Expr {
  SubqueryExpr() : Expr(NodeKind::kSubquery) {}
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;
  int64_t offset_ms = 0;
  AtModifier at;
};

struct ParenExpr : Expr {
  ParenExpr() : Expr(NodeKind::kParen) {}
  ExprPtr expr;
};

// Unary minus/plus on a non-literal (the parser folds `-<number>` into a NumberLiteral,
// as Prometheus does). op is BinaryOp::kAdd or BinaryOp::kSub.
struct UnaryExpr : Expr {
  UnaryExpr() : Expr(NodeKind::kUnary) {}
  BinaryOp op = BinaryOp::kSub;
  ExprPtr expr;
};

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  std::vector<std::string> matching_labels;  // the on(...) / ignoring(...) list
  bool on = false;                           // true: on(...); false: ignoring(...)
  std::vector<std::string> include;          // group_left(...) / group_right(...) labels
};

struct BinaryExpr : Expr {
  BinaryExpr() : Expr(NodeKind::kBinary) {}
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;  // `bool` modifier on a comparison
  // Set iff both operands are instant vectors (Prometheus drops it otherwise). Set
  // operators always have kManyToMany.
  std::optional<VectorMatching> matching;
};

struct AggregateExpr : Expr {
  AggregateExpr() : Expr(NodeKind::kAggregate) {}
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;                      // topk/bottomk/quantile/count_values only, else null
  std::vector<std::string> grouping;  // by/without labels, as written
  bool without = false;
};

struct Call : Expr {
  Call() : Expr(NodeKind::kCall) {}
  const Function* func = nullptr;  // points into the static function table; never null
  std::vector<ExprPtr> args;
};

// Direct children in evaluation order (selector of a MatrixSelector, param before expr of
// an AggregateExpr, lhs before rhs). Null optional children are omitted.
absl::InlinedVector<Expr*, 4> Children(Expr& e);
absl::InlinedVector<const Expr*, 4> Children(const Expr& e);

// Pre-order walk. `fn(node, path)` gets the ancestors of `node` (root first, `node`
// excluded); returning false skips that node's children. Recursion depth is bounded by the
// parser's nesting cap.
using InspectFn = absl::FunctionRef<bool(const Expr& node, absl::Span<const Expr* const> path)>;
void Inspect(const Expr& root, InspectFn fn);

// Deep copy (matchers share their compiled regexes).
ExprPtr Clone(const Expr& e);

// Unwraps any number of ParenExpr (Prometheus's unwrapParenExpr).
const Expr& UnwrapParens(const Expr& e);

// Prometheus compat (engine.go preprocessExprHelper): true when `e` yields the same value at
// every step of a range query, so the engine may evaluate it once: number/string literals;
// selectors and subqueries with an @ modifier (any kind, start()/end() included); matrix
// selectors over such a selector; paren/unary/aggregate (judged by the aggregated
// expression only) over an invariant; binary expressions with both sides invariant; calls
// whose arguments are all invariant and whose function is not Function::at_modifier_unsafe
// (time(), timestamp(), hour(), predict_linear(), ...). The engine wraps the largest
// invariant subtrees; this is only the predicate.
bool IsStepInvariant(const Expr& e);

}  // namespace tally::promql
