#include "promql/parser/printer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "promql/parser/function_table.h"
#include "storage/model/labels.h"
#include "storage/util/duration.h"

namespace tally::promql {
namespace {

void AppendOffset(int64_t offset_ms, std::string* out) {
  if (offset_ms > 0) {
    absl::StrAppend(out, " offset ", storage::FormatDurationMs(offset_ms));
  } else if (offset_ms < 0) {
    absl::StrAppend(out, " offset -", storage::FormatDurationMs(-offset_ms));
  }
}

void AppendAt(const AtModifier& at, std::string* out) {
  switch (at.kind) {
    case AtModifier::Kind::kNone: break;
    case AtModifier::Kind::kTimestamp:
      absl::StrAppend(out, " @ ", absl::StrFormat("%.3f", static_cast<double>(at.t_ms) / 1000.0));
      break;
    case AtModifier::Kind::kStart: absl::StrAppend(out, " @ start()"); break;
    case AtModifier::Kind::kEnd: absl::StrAppend(out, " @ end()"); break;
  }
}

// Prometheus compat (VectorSelector.String): name, sorted matcher strings without the
// name's own matcher, then @ and offset.
void AppendSelectorBody(const VectorSelector& vs, std::string* out) {
  std::vector<std::string> parts;
  parts.reserve(vs.matchers.size());
  for (const auto& m : vs.matchers) {
    if (m.name() == storage::kMetricNameLabel && m.type() == storage::MatchType::kEqual &&
        m.value() == vs.name) {
      continue;
    }
    parts.push_back(m.ToString());
  }
  absl::StrAppend(out, vs.name);
  if (!parts.empty()) {
    std::sort(parts.begin(), parts.end());
    absl::StrAppend(out, "{", absl::StrJoin(parts, ","), "}");
  }
}

void Print(const Expr& e, std::string* out) {
  switch (e.kind) {
    case NodeKind::kNumberLiteral:
      absl::StrAppend(out, FormatNumber(e.As<NumberLiteral>().value));
      return;
    case NodeKind::kStringLiteral:
      absl::StrAppend(out, storage::GoQuote(e.As<StringLiteral>().value));
      return;
    case NodeKind::kVectorSelector: {
      const auto& vs = e.As<VectorSelector>();
      AppendSelectorBody(vs, out);
      AppendAt(vs.at, out);
      AppendOffset(vs.offset_ms, out);
      return;
    }
    case NodeKind::kMatrixSelector: {
      const auto& ms = e.As<MatrixSelector>();
      AppendSelectorBody(*ms.selector, out);
      absl::StrAppend(out, "[", storage::FormatDurationMs(ms.range_ms), "]");
      AppendAt(ms.selector->at, out);
      AppendOffset(ms.selector->offset_ms, out);
      return;
    }
    case NodeKind::kSubquery: {
      const auto& sq = e.As<SubqueryExpr>();
      Print(*sq.expr, out);
      absl::StrAppend(out, "[", storage::FormatDurationMs(sq.range_ms), ":",
                      sq.step_ms != 0 ? storage::FormatDurationMs(sq.step_ms) : "", "]");
      AppendAt(sq.at, out);
      AppendOffset(sq.offset_ms, out);
      return;
    }
    case NodeKind::kParen:
      absl::StrAppend(out, "(");
      Print(*e.As<ParenExpr>().expr, out);
      absl::StrAppend(out, ")");
      return;
    case NodeKind::kUnary:
      absl::StrAppend(out, BinaryOpString(e.As<UnaryExpr>().op));
      Print(*e.As<UnaryExpr>().expr, out);
      return;
    case NodeKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      Print(*b.lhs, out);
      absl::StrAppend(out, " ", BinaryOpString(b.op), b.return_bool ? " bool" : "");
      // Prometheus compat (getMatchingStr): `ignoring()` with no labels prints nothing,
      // group modifiers included.
      if (b.matching && (b.matching->on || !b.matching->matching_labels.empty())) {
        const auto& vm = *b.matching;
        absl::StrAppend(out, vm.on ? " on (" : " ignoring (",
                        absl::StrJoin(vm.matching_labels, ", "), ")");
        if (vm.card == Cardinality::kManyToOne || vm.card == Cardinality::kOneToMany) {
          absl::StrAppend(out, vm.card == Cardinality::kManyToOne ? " group_left (" : " group_right (",
                          absl::StrJoin(vm.include, ", "), ")");
        }
      }
      absl::StrAppend(out, " ");
      Print(*b.rhs, out);
      return;
    }
    case NodeKind::kAggregate: {
      const auto& a = e.As<AggregateExpr>();
      absl::StrAppend(out, AggregateOpString(a.op));
      if (a.without) {
        absl::StrAppend(out, " without (", absl::StrJoin(a.grouping, ", "), ") ");
      } else if (!a.grouping.empty()) {
        absl::StrAppend(out, " by (", absl::StrJoin(a.grouping, ", "), ") ");
      }
      absl::StrAppend(out, "(");
      if (a.param) {
        Print(*a.param, out);
        absl::StrAppend(out, ", ");
      }
      Print(*a.expr, out);
      absl::StrAppend(out, ")");
      return;
    }
    case NodeKind::kCall: {
      const auto& c = e.As<Call>();
      absl::StrAppend(out, c.func->name, "(");
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) absl::StrAppend(out, ", ");
        Print(*c.args[i], out);
      }
      absl::StrAppend(out, ")");
      return;
    }
  }
}

}  // namespace

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits, then Go's %g layout: exponent form when exp < -4 or
  // exp >= 6 (shortest precision uses 6 for this decision), at least two exponent digits.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (!sci.empty() && sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e_pos; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  const int exp = std::stoi(sci.substr(e_pos + 1));
  if (exp < -4 || exp >= 6) {
    std::string out = sign;
    out.push_back(digits[0]);
    if (digits.size() > 1) absl::StrAppend(&out, ".", digits.substr(1));
    absl::StrAppend(&out, "e", exp < 0 ? "-" : "+", std::abs(exp) < 10 ? "0" : "", std::abs(exp));
    return out;
  }
  std::string out = sign;
  if (exp < 0) {
    absl::StrAppend(&out, "0.", std::string(-exp - 1, '0'), digits);
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    absl::StrAppend(&out, digits, std::string(exp + 1 - digits.size(), '0'));
  } else {
    absl::StrAppend(&out, digits.substr(0, exp + 1), ".", digits.substr(exp + 1));
  }
  return out;
}

std::string ToString(const Expr& e) {
  std::string out;
  Print(e, &out);
  return out;
}

namespace {

// Prometheus compat (parser/prettier.go): a node whose one-line form is longer than 100
// bytes is split: binary operands and call/aggregate arguments go on their own lines,
// indented two spaces per level. Quirks kept: an unsplit subquery is not indented, and
// a unary operator is glued to its trimmed operand.
constexpr size_t kMaxCharactersPerLine = 100;

std::string Indent(int level) { return std::string(2 * level, ' '); }

std::string Pretty(const Expr& e, int level) {
  const std::string flat = ToString(e);
  const bool split = flat.size() > kMaxCharactersPerLine;
  switch (e.kind) {
    case NodeKind::kNumberLiteral:
    case NodeKind::kStringLiteral:
    case NodeKind::kVectorSelector:
    case NodeKind::kMatrixSelector:
      return Indent(level) + flat;
    case NodeKind::kSubquery: {
      if (!split) return flat;
      const auto& sq = e.As<SubqueryExpr>();
      std::string suffix;
      absl::StrAppend(&suffix, "[", storage::FormatDurationMs(sq.range_ms), ":",
                      sq.step_ms != 0 ? storage::FormatDurationMs(sq.step_ms) : "", "]");
      AppendAt(sq.at, &suffix);
      AppendOffset(sq.offset_ms, &suffix);
      return Pretty(*sq.expr, level) + suffix;
    }
    case NodeKind::kParen:
      if (!split) return Indent(level) + flat;
      return absl::StrCat(Indent(level), "(\n", Pretty(*e.As<ParenExpr>().expr, level + 1), "\n",
                          Indent(level), ")");
    case NodeKind::kUnary: {
      std::string child = Pretty(*e.As<UnaryExpr>().expr, level);
      const size_t b = child.find_first_not_of(" \t\n\r");
      const size_t l = child.find_last_not_of(" \t\n\r");
      child = b == std::string::npos ? "" : child.substr(b, l - b + 1);
      return absl::StrCat(Indent(level), BinaryOpString(e.As<UnaryExpr>().op), child);
    }
    case NodeKind::kBinary: {
      if (!split) return Indent(level) + flat;
      const auto& b = e.As<BinaryExpr>();
      std::string op = BinaryOpString(b.op);
      if (b.return_bool) op += " bool";
      if (b.matching && (b.matching->on || !b.matching->matching_labels.empty())) {
        const auto& vm = *b.matching;
        absl::StrAppend(&op, vm.on ? " on (" : " ignoring (",
                        absl::StrJoin(vm.matching_labels, ", "), ")");
        if (vm.card == Cardinality::kManyToOne || vm.card == Cardinality::kOneToMany) {
          absl::StrAppend(&op, vm.card == Cardinality::kManyToOne ? " group_left (" : " group_right (",
                          absl::StrJoin(vm.include, ", "), ")");
        }
      }
      return absl::StrCat(Pretty(*b.lhs, level + 1), "\n", Indent(level), op, "\n",
                          Pretty(*b.rhs, level + 1));
    }
    case NodeKind::kAggregate: {
      if (!split) return Indent(level) + flat;
      const auto& a = e.As<AggregateExpr>();
      std::string s = Indent(level) + AggregateOpString(a.op);
      if (a.without) {
        absl::StrAppend(&s, " without (", absl::StrJoin(a.grouping, ", "), ") ");
      } else if (!a.grouping.empty()) {
        absl::StrAppend(&s, " by (", absl::StrJoin(a.grouping, ", "), ") ");
      }
      absl::StrAppend(&s, "(\n");
      if (a.param) absl::StrAppend(&s, Pretty(*a.param, level + 1), ",\n");
      absl::StrAppend(&s, Pretty(*a.expr, level + 1), "\n", Indent(level), ")");
      return s;
    }
    case NodeKind::kCall: {
      if (!split) return Indent(level) + flat;
      const auto& c = e.As<Call>();
      std::string s = absl::StrCat(Indent(level), c.func->name, "(\n");
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) absl::StrAppend(&s, ",\n");
        absl::StrAppend(&s, Pretty(*c.args[i], level + 1));
      }
      absl::StrAppend(&s, "\n", Indent(level), ")");
      return s;
    }
  }
  return flat;
}

}  // namespace

std::string Prettify(const Expr& e) { return Pretty(e, 0); }

}  // namespace tally::promql
