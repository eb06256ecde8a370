#include "promql/parser/type_check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "promql/parser/function_table.h"
#include "promql/parser/parse_error.h"
#include "storage/model/labels.h"

namespace tally::promql::internal {
namespace {

bool IsSpaceByte(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Prometheus compat: ValueType.String() (used by the subquery error), unlike the
// documented names of ValueTypeName().
const char* GoValueTypeString(ValueType t) {
  switch (t) {
    case ValueType::kNone: return "none";
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "vector";
    case ValueType::kMatrix: return "matrix";
    case ValueType::kString: return "string";
  }
  return "none";
}

class Checker {
 public:
  explicit Checker(absl::string_view input) : input_(input) {}

  // Returns the node's type; records only the first error.
  ValueType Check(Expr& e);
  absl::Status status() const { return status_; }

 private:
  void Fail(int32_t pos, absl::string_view msg) {
    if (status_.ok()) status_ = ParseErrorAt(input_, pos, msg);
  }
  void ExpectType(Expr& e, ValueType want, absl::string_view context) {
    const ValueType t = Check(e);
    if (t != want) {
      Fail(e.pos.start, absl::StrCat("expected type ", ValueTypeName(want), " in ", context,
                                     ", got ", ValueTypeName(t)));
    }
  }
  // Start of the operator text between lhs and rhs (Prometheus's opRange()).
  int32_t OpStart(const BinaryExpr& b) const {
    int32_t p = b.lhs->pos.end;
    while (p < static_cast<int32_t>(input_.size()) && IsSpaceByte(input_[p])) ++p;
    return p;
  }

  absl::string_view input_;
  absl::Status status_;
};

ValueType Checker::Check(Expr& e) {
  const ValueType type = e.type();
  switch (e.kind) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
      break;
    case NodeKind::kAggregate: {
      auto& a = e.As<AggregateExpr>();
      ExpectType(*a.expr, ValueType::kVector, "aggregation expression");
      if (a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk ||
          a.op == AggregateOp::kQuantile) {
        ExpectType(*a.param, ValueType::kScalar, "aggregation parameter");
      }
      if (a.op == AggregateOp::kCountValues) {
        ExpectType(*a.param, ValueType::kString, "aggregation parameter");
      }
      break;
    }
    case NodeKind::kBinary: {
      auto& b = e.As<BinaryExpr>();
      const ValueType lt = Check(*b.lhs);
      const ValueType rt = Check(*b.rhs);
      if (b.return_bool && !IsComparisonOp(b.op)) {
        Fail(OpStart(b), "bool modifier can only be used on comparison operators");
      }
      if (IsComparisonOp(b.op) && !b.return_bool && lt == ValueType::kScalar &&
          rt == ValueType::kScalar) {
        Fail(OpStart(b), "comparisons between scalars must use BOOL modifier");
      }
      VectorMatching& vm = *b.matching;  // the parser always sets it
      if (IsSetOp(b.op) && vm.card == Cardinality::kOneToOne) vm.card = Cardinality::kManyToMany;
      if (vm.on) {
        for (const auto& l1 : vm.matching_labels) {
          for (const auto& l2 : vm.include) {
            if (l1 == l2) {
              Fail(OpStart(b), absl::StrCat("label ", storage::GoQuote(l1),
                                            " must not occur in ON and GROUP clause at once"));
            }
          }
        }
      }
      if (lt != ValueType::kScalar && lt != ValueType::kVector) {
        Fail(b.lhs->pos.start, "binary expression must contain only scalar and instant vector types");
      }
      if (rt != ValueType::kScalar && rt != ValueType::kVector) {
        Fail(b.rhs->pos.start, "binary expression must contain only scalar and instant vector types");
      }
      if (lt != ValueType::kVector || rt != ValueType::kVector) {
        if (!vm.matching_labels.empty()) {
          Fail(e.pos.start, "vector matching only allowed between instant vectors");
        }
        b.matching.reset();
      } else if (IsSetOp(b.op)) {
        if (vm.card == Cardinality::kOneToMany || vm.card == Cardinality::kManyToOne) {
          Fail(e.pos.start, absl::StrCat("no grouping allowed for \"", BinaryOpString(b.op),
                                         "\" operation"));
        }
        if (vm.card != Cardinality::kManyToMany) {
          Fail(e.pos.start, "set operations must always be many-to-many");
        }
      }
      if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(b.op)) {
        Fail(e.pos.start, absl::StrCat("set operator \"", BinaryOpString(b.op),
                                       "\" not allowed in binary scalar expression"));
      }
      break;
    }
    case NodeKind::kCall: {
      auto& c = e.As<Call>();
      const Function& f = *c.func;
      const int nargs = static_cast<int>(f.arg_types.size());
      const int got = static_cast<int>(c.args.size());
      const std::string quoted_name = storage::GoQuote(f.name);
      if (f.variadic == 0) {
        if (nargs != got) {
          Fail(e.pos.start, absl::StrCat("expected ", nargs, " argument(s) in call to ",
                                         quoted_name, ", got ", got));
        }
      } else {
        const int na = nargs - 1;
        if (na > got) {
          Fail(e.pos.start, absl::StrCat("expected at least ", na, " argument(s) in call to ",
                                         quoted_name, ", got ", got));
        } else if (f.variadic > 0 && na + f.variadic < got) {
          Fail(e.pos.start, absl::StrCat("expected at most ", na + f.variadic,
                                         " argument(s) in call to ", quoted_name, ", got ", got));
        }
      }
      const std::string context = absl::StrCat("call to function ", quoted_name);
      for (int i = 0; i < got; ++i) {
        int t = i;
        if (t >= nargs) {
          if (f.variadic == 0) break;
          t = nargs - 1;
        }
        ExpectType(*c.args[i], f.arg_types[t], context);
      }
      break;
    }
    case NodeKind::kParen:
      Check(*e.As<ParenExpr>().expr);
      break;
    case NodeKind::kUnary: {
      const ValueType t = Check(*e.As<UnaryExpr>().expr);
      if (t != ValueType::kScalar && t != ValueType::kVector) {
        Fail(e.pos.start,
             absl::StrCat("unary expression only allowed on expressions of type scalar or "
                          "instant vector, got \"",
                          ValueTypeName(t), "\""));
      }
      break;
    }
    case NodeKind::kSubquery: {
      const ValueType t = Check(*e.As<SubqueryExpr>().expr);
      if (t != ValueType::kVector) {
        Fail(e.pos.start, absl::StrCat("subquery is only allowed on instant vector, got ",
                                       GoValueTypeString(t), " instead"));
      }
      break;
    }
    case NodeKind::kMatrixSelector:
      Check(*e.As<MatrixSelector>().selector);
      break;
    case NodeKind::kVectorSelector: {
      const auto& vs = e.As<VectorSelector>();
      if (!vs.name.empty()) {
        // The last matcher is the one for the name outside the braces.
        for (size_t i = 0; i + 1 < vs.matchers.size(); ++i) {
          if (vs.matchers[i].name() == storage::kMetricNameLabel) {
            Fail(e.pos.start, absl::StrCat("metric name must not be set twice: ",
                                           storage::GoQuote(vs.name), " or ",
                                           storage::GoQuote(vs.matchers[i].value())));
          }
        }
        break;
      }
      bool non_empty = false;
      for (const auto& m : vs.matchers) {
        if (!m.MatchesEmpty()) {
          non_empty = true;
          break;
        }
      }
      if (!non_empty) Fail(e.pos.start, "vector selector must contain at least one non-empty matcher");
      break;
    }
  }
  return type;
}

}  // namespace

absl::Status CheckAst(absl::string_view input, Expr& root) {
  Checker c(input);
  c.Check(root);
  return c.status();
}

}  // namespace tally::promql::internal
