#include "promql/parser/ast.h"

#include <utility>

#include "promql/parser/function_table.h"

namespace tally::promql {

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone: return "none";
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
  }
  return "none";
}

const char* BinaryOpString(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kPow: return "^";
    case BinaryOp::kAtan2: return "atan2";
    case BinaryOp::kEql: return "==";
    case BinaryOp::kNeq: return "!=";
    case BinaryOp::kGtr: return ">";
    case BinaryOp::kLss: return "<";
    case BinaryOp::kGte: return ">=";
    case BinaryOp::kLte: return "<=";
    case BinaryOp::kAnd: return "and";
    case BinaryOp::kOr: return "or";
    case BinaryOp::kUnless: return "unless";
  }
  return "?";
}

bool IsComparisonOp(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEql:
    case BinaryOp::kNeq:
    case BinaryOp::kGtr:
    case BinaryOp::kLss:
    case BinaryOp::kGte:
    case BinaryOp::kLte:
      return true;
    default:
      return false;
  }
}

bool IsSetOp(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
}

const char* AggregateOpString(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum: return "sum";
    case AggregateOp::kMin: return "min";
    case AggregateOp::kMax: return "max";
    case AggregateOp::kAvg: return "avg";
    case AggregateOp::kGroup: return "group";
    case AggregateOp::kStddev: return "stddev";
    case AggregateOp::kStdvar: return "stdvar";
    case AggregateOp::kCount: return "count";
    case AggregateOp::kCountValues: return "count_values";
    case AggregateOp::kBottomk: return "bottomk";
    case AggregateOp::kTopk: return "topk";
    case AggregateOp::kQuantile: return "quantile";
  }
  return "?";
}

bool AggregateHasParam(AggregateOp op) {
  return op == AggregateOp::kCountValues || op == AggregateOp::kBottomk ||
         op == AggregateOp::kTopk || op == AggregateOp::kQuantile;
}

ValueType Expr::type() const {
  switch (kind) {
    case NodeKind::kNumberLiteral: return ValueType::kScalar;
    case NodeKind::kStringLiteral: return ValueType::kString;
    case NodeKind::kVectorSelector: return ValueType::kVector;
    case NodeKind::kMatrixSelector: return ValueType::kMatrix;
    case NodeKind::kSubquery: return ValueType::kMatrix;
    case NodeKind::kParen: return As<ParenExpr>().expr->type();
    case NodeKind::kUnary: return As<UnaryExpr>().expr->type();
    case NodeKind::kBinary: {
      const auto& b = As<BinaryExpr>();
      if (b.lhs->type() == ValueType::kScalar && b.rhs->type() == ValueType::kScalar) {
        return ValueType::kScalar;
      }
      return ValueType::kVector;
    }
    case NodeKind::kAggregate: return ValueType::kVector;
    case NodeKind::kCall: return As<Call>().func->return_type;
  }
  return ValueType::kNone;
}

absl::InlinedVector<Expr*, 4> Children(Expr& e) {
  absl::InlinedVector<Expr*, 4> out;
  switch (e.kind) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
    case NodeKind::kVectorSelector:
      break;
    case NodeKind::kMatrixSelector:
      out.push_back(e.As<MatrixSelector>().selector.get());
      break;
    case NodeKind::kSubquery:
      out.push_back(e.As<SubqueryExpr>().expr.get());
      break;
    case NodeKind::kParen:
      out.push_back(e.As<ParenExpr>().expr.get());
      break;
    case NodeKind::kUnary:
      out.push_back(e.As<UnaryExpr>().expr.get());
      break;
    case NodeKind::kBinary:
      out.push_back(e.As<BinaryExpr>().lhs.get());
      out.push_back(e.As<BinaryExpr>().rhs.get());
      break;
    case NodeKind::kAggregate: {
      auto& a = e.As<AggregateExpr>();
      if (a.param) out.push_back(a.param.get());
      out.push_back(a.expr.get());
      break;
    }
    case NodeKind::kCall:
      for (auto& arg : e.As<Call>().args) out.push_back(arg.get());
      break;
  }
  return out;
}

absl::InlinedVector<const Expr*, 4> Children(const Expr& e) {
  absl::InlinedVector<const Expr*, 4> out;
  for (Expr* c : Children(const_cast<Expr&>(e))) out.push_back(c);
  return out;
}

namespace {

void InspectRec(const Expr& e, std::vector<const Expr*>& path, InspectFn fn) {
  if (!fn(e, path)) return;
  path.push_back(&e);
  for (const Expr* c : Children(e)) InspectRec(*c, path, fn);
  path.pop_back();
}

}  // namespace

void Inspect(const Expr& root, InspectFn fn) {
  std::vector<const Expr*> path;
  InspectRec(root, path, fn);
}

ExprPtr Clone(const Expr& e) {
  ExprPtr out;
  switch (e.kind) {
    case NodeKind::kNumberLiteral: {
      auto n = std::make_unique<NumberLiteral>();
      n->value = e.As<NumberLiteral>().value;
      out = std::move(n);
      break;
    }
    case NodeKind::kStringLiteral: {
      auto n = std::make_unique<StringLiteral>();
      n->value = e.As<StringLiteral>().value;
      out = std::move(n);
      break;
    }
    case NodeKind::kVectorSelector: {
      const auto& s = e.As<VectorSelector>();
      auto n = std::make_unique<VectorSelector>();
      n->name = s.name;
      n->matchers = s.matchers;
      n->offset_ms = s.offset_ms;
      n->at = s.at;
      out = std::move(n);
      break;
    }
    case NodeKind::kMatrixSelector: {
      const auto& s = e.As<MatrixSelector>();
      auto n = std::make_unique<MatrixSelector>();
      ExprPtr sel = Clone(*s.selector);
      n->selector.reset(static_cast<VectorSelector*>(sel.release()));
      n->range_ms = s.range_ms;
      out = std::move(n);
      break;
    }
    case NodeKind::kSubquery: {
      const auto& s = e.As<SubqueryExpr>();
      auto n = std::make_unique<SubqueryExpr>();
      n->expr = Clone(*s.expr);
      n->range_ms = s.range_ms;
      n->step_ms = s.step_ms;
      n->offset_ms = s.offset_ms;
      n->at = s.at;
      out = std::move(n);
      break;
    }
    case NodeKind::kParen: {
      auto n = std::make_unique<ParenExpr>();
      n->expr = Clone(*e.As<ParenExpr>().expr);
      out = std::move(n);
      break;
    }
    case NodeKind::kUnary: {
      auto n = std::make_unique<UnaryExpr>();
      n->op = e.As<UnaryExpr>().op;
      n->expr = Clone(*e.As<UnaryExpr>().expr);
      out = std::move(n);
      break;
    }
    case NodeKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      auto n = std::make_unique<BinaryExpr>();
      n->op = b.op;
      n->lhs = Clone(*b.lhs);
      n->rhs = Clone(*b.rhs);
      n->return_bool = b.return_bool;
      n->matching = b.matching;
      out = std::move(n);
      break;
    }
    case NodeKind::kAggregate: {
      const auto& a = e.As<AggregateExpr>();
      auto n = std::make_unique<AggregateExpr>();
      n->op = a.op;
      n->expr = Clone(*a.expr);
      if (a.param) n->param = Clone(*a.param);
      n->grouping = a.grouping;
      n->without = a.without;
      out = std::move(n);
      break;
    }
    case NodeKind::kCall: {
      const auto& c = e.As<Call>();
      auto n = std::make_unique<Call>();
      n->func = c.func;
      for (const auto& arg : c.args) n->args.push_back(Clone(*arg));
      out = std::move(n);
      break;
    }
  }
  out->pos = e.pos;
  return out;
}

const Expr& UnwrapParens(const Expr& e) {
  const Expr* cur = &e;
  while (cur->kind == NodeKind::kParen) cur = cur->As<ParenExpr>().expr.get();
  return *cur;
}

bool IsStepInvariant(const Expr& e) {
  switch (e.kind) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
      return true;
    case NodeKind::kVectorSelector:
      return e.As<VectorSelector>().at.present();
    case NodeKind::kMatrixSelector:
      return e.As<MatrixSelector>().selector->at.present();
    case NodeKind::kSubquery:
      return e.As<SubqueryExpr>().at.present();
    case NodeKind::kParen:
      return IsStepInvariant(*e.As<ParenExpr>().expr);
    case NodeKind::kUnary:
      return IsStepInvariant(*e.As<UnaryExpr>().expr);
    case NodeKind::kAggregate:
      return IsStepInvariant(*e.As<AggregateExpr>().expr);
    case NodeKind::kBinary:
      return IsStepInvariant(*e.As<BinaryExpr>().lhs) &&
             IsStepInvariant(*e.As<BinaryExpr>().rhs);
    case NodeKind::kCall: {
      const auto& c = e.As<Call>();
      if (c.func->at_modifier_unsafe) return false;
      for (const auto& arg : c.args) {
        if (!IsStepInvariant(*arg)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace tally::promql
