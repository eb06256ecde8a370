// LintContext::OutputLabels: which label names an expression's output series may carry,
// by Prometheus 2.42's label rules (engine.go resultMetric, aggregation, functions.go).
// Leaves come from the data (label names of the series a selector matches in the window)
// or, for a recorded series, from the inferred output of its recording rule.
#include <algorithm>

#include "promql/parser/function_table.h"
#include "rules/lint/lint_context.h"

namespace tally::rules::lint {
namespace {

using promql::BinaryOp;
using promql::Cardinality;
using promql::Expr;
using promql::FunctionId;
using promql::NodeKind;

LabelNameSet Without(LabelNameSet s, absl::string_view name) {
  if (s) s->erase(std::string(name));
  return s;
}

LabelNameSet With(LabelNameSet s, const std::string& name) {
  if (s) s->insert(name);
  return s;
}

bool IsArithmetic(BinaryOp op) { return !promql::IsComparisonOp(op) && !promql::IsSetOp(op); }

}  // namespace

LabelNameSet LintContext::OutputLabels(const Expr& e) {
  switch (e.kind) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
      return std::set<std::string>{};
    case NodeKind::kParen:
      return OutputLabels(*e.As<promql::ParenExpr>().expr);
    case NodeKind::kUnary:
      return Without(OutputLabels(*e.As<promql::UnaryExpr>().expr), storage::kMetricNameLabel);
    case NodeKind::kSubquery:
      return OutputLabels(*e.As<promql::SubqueryExpr>().expr);
    case NodeKind::kMatrixSelector:
      return OutputLabels(*e.As<promql::MatrixSelector>().selector);
    case NodeKind::kVectorSelector: {
      const auto& sel = e.As<promql::VectorSelector>();
      if (const RecordedMetric* r = Recorded(sel.name)) return r->labels;
      auto q = overlay_.NewQuerier(start_ms_ - options_.lookback_delta_ms, end_ms_);
      auto names = q->LabelNames(sel.matchers);
      if (!names.ok() || names->empty()) return std::nullopt;  // no data: unknown
      return std::set<std::string>(names->begin(), names->end());
    }
    case NodeKind::kAggregate: {
      const auto& a = e.As<promql::AggregateExpr>();
      if (a.op == promql::AggregateOp::kTopk || a.op == promql::AggregateOp::kBottomk) {
        return OutputLabels(*a.expr);
      }
      LabelNameSet in = OutputLabels(*a.expr);
      LabelNameSet out;
      if (a.without) {
        out = Without(in, storage::kMetricNameLabel);
        for (const std::string& g : a.grouping) out = Without(out, g);
      } else {
        out = std::set<std::string>{};
        for (const std::string& g : a.grouping) {
          if (!in || in->count(g)) out->insert(g);
        }
      }
      if (a.op == promql::AggregateOp::kCountValues && a.param->kind == NodeKind::kStringLiteral) {
        out = With(out, a.param->As<promql::StringLiteral>().value);
      }
      return out;
    }
    case NodeKind::kCall: {
      const auto& c = e.As<promql::Call>();
      auto string_arg = [&](size_t i) -> std::string {
        if (i < c.args.size() && c.args[i]->kind == NodeKind::kStringLiteral) {
          return c.args[i]->As<promql::StringLiteral>().value;
        }
        return "";
      };
      switch (c.func->id) {
        case FunctionId::kLabelReplace:
        case FunctionId::kLabelJoin: {
          LabelNameSet in = OutputLabels(*c.args[0]);
          std::string dst = string_arg(1);
          return dst.empty() ? in : With(in, dst);
        }
        case FunctionId::kHistogramQuantile:
        case FunctionId::kHistogramFraction:
          return Without(Without(OutputLabels(*c.args.back()), "le"), storage::kMetricNameLabel);
        case FunctionId::kAbsent:
        case FunctionId::kAbsentOverTime: {
          // Labels of the selector's equality matchers (functions.go
          // createLabelsForAbsentFunction).
          const Expr* arg = &promql::UnwrapParens(*c.args[0]);
          if (arg->kind == NodeKind::kMatrixSelector) {
            arg = arg->As<promql::MatrixSelector>().selector.get();
          }
          std::set<std::string> out;
          if (arg->kind == NodeKind::kVectorSelector) {
            for (const storage::Matcher& m : arg->As<promql::VectorSelector>().matchers) {
              if (m.type() == storage::MatchType::kEqual && m.name() != storage::kMetricNameLabel) {
                out.insert(m.name());
              }
            }
          }
          return out;
        }
        case FunctionId::kVector:
        case FunctionId::kTime:
        case FunctionId::kPi:
          return std::set<std::string>{};
        case FunctionId::kSort:
        case FunctionId::kSortDesc:
        case FunctionId::kLastOverTime:
          return c.args.empty() ? std::set<std::string>{} : OutputLabels(*c.args[0]);
        default:
          break;
      }
      // Everything else keeps the labels of its (first) vector argument, without the name.
      for (const promql::ExprPtr& a : c.args) {
        if (a->type() == promql::ValueType::kVector || a->type() == promql::ValueType::kMatrix) {
          return Without(OutputLabels(*a), storage::kMetricNameLabel);
        }
      }
      return std::set<std::string>{};
    }
    case NodeKind::kBinary: {
      const auto& b = e.As<promql::BinaryExpr>();
      const bool drop_name = IsArithmetic(b.op) || b.return_bool;
      if (!b.matching) {  // at least one scalar side
        const Expr& vec = b.lhs->type() == promql::ValueType::kVector ? *b.lhs : *b.rhs;
        if (vec.type() != promql::ValueType::kVector) return std::set<std::string>{};
        LabelNameSet s = OutputLabels(vec);
        return drop_name ? Without(s, storage::kMetricNameLabel) : s;
      }
      const promql::VectorMatching& m = *b.matching;
      if (b.op == BinaryOp::kAnd || b.op == BinaryOp::kUnless) return OutputLabels(*b.lhs);
      if (b.op == BinaryOp::kOr) {
        LabelNameSet l = OutputLabels(*b.lhs), r = OutputLabels(*b.rhs);
        if (!l || !r) return std::nullopt;
        l->insert(r->begin(), r->end());
        return l;
      }
      const bool right_is_many = m.card == Cardinality::kOneToMany;
      LabelNameSet many = OutputLabels(right_is_many ? *b.rhs : *b.lhs);
      LabelNameSet one = OutputLabels(right_is_many ? *b.lhs : *b.rhs);
      LabelNameSet out = drop_name ? Without(many, storage::kMetricNameLabel) : many;
      if (m.card == Cardinality::kOneToOne) {
        if (m.on) {
          std::set<std::string> kept;
          for (const std::string& l : m.matching_labels) {
            if (!out || out->count(l)) kept.insert(l);
          }
          out = kept;
        } else {
          for (const std::string& l : m.matching_labels) out = Without(out, l);
        }
      }
      for (const std::string& l : m.include) {
        if (!one || one->count(l)) {
          out = With(out, l);
        } else {
          out = Without(out, l);
        }
      }
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace tally::rules::lint
