// Selector-level grammar: vector selectors and their label matchers, `[range]` and
// `[range:step]`, `offset` and `@`, with the checks Prometheus's grammar actions make on them
// (no offset before a range, one @ per selector, durations > 0, Go's regexp errors).
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "promql/parser/parser_impl.h"
#include "re2/re2.h"
#include "storage/model/labels.h"
#include "storage/util/duration.h"

namespace tally::promql::internal {
namespace {

// Prometheus compat: Go's regexp/syntax wording for a regex RE2 rejects, as labels.NewMatcher
// reports it ("error parsing regexp: missing closing ): `^(?:()$`"). RE2's error argument is
// the same fragment Go quotes. `fallback` when `pattern` compiles.
std::string RegexError(absl::string_view pattern, absl::string_view fallback) {
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re(re2::StringPiece(pattern.data(), pattern.size()), opts);
  const char* what = nullptr;
  switch (re.error_code()) {
    case RE2::NoError: return std::string(fallback);
    case RE2::ErrorBadEscape: what = "invalid escape sequence"; break;
    case RE2::ErrorBadCharClass: what = "invalid character class"; break;
    case RE2::ErrorBadCharRange: what = "invalid character class range"; break;
    case RE2::ErrorMissingBracket: what = "missing closing ]"; break;
    case RE2::ErrorMissingParen: what = "missing closing )"; break;
    case RE2::ErrorUnexpectedParen: what = "unexpected )"; break;
    case RE2::ErrorTrailingBackslash: what = "trailing backslash at end of expression"; break;
    case RE2::ErrorRepeatArgument: what = "missing argument to repetition operator"; break;
    case RE2::ErrorRepeatSize: what = "invalid repeat count"; break;
    case RE2::ErrorRepeatOp: what = "invalid nested repetition operator"; break;
    case RE2::ErrorBadPerlOp: what = "invalid or unsupported Perl syntax"; break;
    case RE2::ErrorBadUTF8: what = "invalid UTF-8"; break;
    case RE2::ErrorBadNamedCapture: what = "invalid named capture"; break;
    default: break;
  }
  if (what == nullptr) return std::string(fallback);
  return absl::StrCat("error parsing regexp: ", what, ": `", re.error_arg(), "`");
}

}  // namespace

ExprPtr Parser::ParseVectorSelector() {
  auto vs = std::make_unique<VectorSelector>();
  const Token& t = Cur();
  vs->pos = {t.pos, t.end()};
  if (t.type != TokenType::kLeftBrace) {
    vs->name = std::string(t.val);
    Advance();
  }
  if (Cur().type == TokenType::kLeftBrace) {
    if (!ParseLabelMatchers(&vs->matchers)) return nullptr;
    vs->pos.end = last_closing_;
  }
  if (!vs->name.empty()) {
    // Prometheus compat (assembleVectorSelector): the name matcher goes last.
    auto m = storage::Matcher::Make(storage::MatchType::kEqual, storage::kMetricNameLabel,
                                    vs->name);
    vs->matchers.push_back(std::move(*m));
  }
  return vs;
}

bool Parser::ParseLabelMatchers(storage::Matchers* out) {
  Advance();  // '{'
  if (Cur().type == TokenType::kRightBrace) {
    Advance();
    return true;
  }
  while (true) {
    if (Cur().type != TokenType::kIdentifier) {
      Unexpected("label matching", "identifier or \"}\"");
      return false;
    }
    const Token label = Cur();
    Advance();
    storage::MatchType type;
    switch (Cur().type) {
      case TokenType::kAssign: type = storage::MatchType::kEqual; break;
      case TokenType::kNeq: type = storage::MatchType::kNotEqual; break;
      case TokenType::kEqlRegex: type = storage::MatchType::kRegexMatch; break;
      case TokenType::kNeqRegex: type = storage::MatchType::kRegexNoMatch; break;
      default:
        Unexpected("label matching", "label matching operator");
        return false;
    }
    Advance();
    if (Cur().type != TokenType::kString) {
      Unexpected("label matching", "string");
      return false;
    }
    auto value = Unquote(Cur().val);
    if (!value.ok()) {
      Fail(Cur().pos, value.status().message());
      return false;
    }
    Advance();
    auto m = storage::Matcher::Make(type, label.val, *value);
    if (!m.ok()) {
      Fail(label.pos, RegexError(absl::StrCat("^(?:", *value, ")$"), m.status().message()));
      return false;
    }
    // Prometheus compat (labels.NewFastRegexMatcher): the bare pattern is parsed too, so
    // `a)|(b`, valid once wrapped in ^(?:...)$, is still rejected. Only a ')' can make
    // the two differ, so other patterns skip the second compile.
    if ((type == storage::MatchType::kRegexMatch || type == storage::MatchType::kRegexNoMatch) &&
        value->find(')') != std::string::npos) {
      std::string err = RegexError(*value, "");
      if (!err.empty()) {
        Fail(label.pos, err);
        return false;
      }
    }
    out->push_back(std::move(*m));
    if (Cur().type == TokenType::kComma) {
      Advance();
      if (Cur().type == TokenType::kRightBrace) {
        Advance();
        return true;
      }
      continue;
    }
    if (Cur().type == TokenType::kRightBrace) {
      Advance();
      return true;
    }
    Unexpected("label matching", "\",\" or \"}\"");
    return false;
  }
}

bool Parser::ParseDurationToken(int64_t* ms) {
  const Token& t = Cur();
  auto d = storage::ParseDurationMs(t.val);
  if (!d.ok()) {
    Fail(t.pos, absl::StrCat("not a valid duration string: ", storage::GoQuote(t.val)));
    return false;
  }
  if (*d == 0) {
    Fail(t.pos, "duration must be greater than 0");
    return false;
  }
  *ms = *d;
  Advance();
  return true;
}

ExprPtr Parser::ParseBrackets(ExprPtr e) {
  const Token lbracket = Cur();
  Advance();
  if (Cur().type != TokenType::kDuration) return Unexpected("subquery selector", "duration");
  int64_t range_ms = 0;
  if (!ParseDurationToken(&range_ms)) return nullptr;
  if (Cur().type == TokenType::kRightBracket) {
    const int32_t end = Cur().end();
    if (e->kind != NodeKind::kVectorSelector) {
      return Fail(lbracket.pos, "ranges only allowed for vector selectors");
    }
    if (e->As<VectorSelector>().offset_ms != 0) {
      return Fail(lbracket.pos, "no offset modifiers allowed before range");
    }
    // Prometheus compat: only a numeric @ is rejected here; `x @ start() [5m]` is accepted.
    if (e->As<VectorSelector>().at.kind == AtModifier::Kind::kTimestamp) {
      return Fail(lbracket.pos, "no @ modifiers allowed before range");
    }
    Advance();
    auto ms = std::make_unique<MatrixSelector>();
    ms->pos = {e->pos.start, end};
    ms->selector.reset(static_cast<VectorSelector*>(e.release()));
    ms->range_ms = range_ms;
    return ms;
  }
  if (Cur().type != TokenType::kColon) return Unexpected("subquery or range", "\":\" or \"]\"");
  Advance();
  int64_t step_ms = 0;
  if (Cur().type == TokenType::kDuration) {
    if (!ParseDurationToken(&step_ms)) return nullptr;
    if (Cur().type != TokenType::kRightBracket) return Unexpected("subquery selector", "\"]\"");
  } else if (Cur().type != TokenType::kRightBracket) {
    return Unexpected("subquery selector", "duration or \"]\"");
  }
  auto sq = std::make_unique<SubqueryExpr>();
  sq->pos = {e->pos.start, Cur().end()};
  sq->expr = std::move(e);
  sq->range_ms = range_ms;
  sq->step_ms = step_ms;
  Advance();
  return sq;
}

ExprPtr Parser::ParseOffset(ExprPtr e) {
  Advance();  // offset
  bool negative = false;
  if (Cur().type == TokenType::kSub) {
    negative = true;
    Advance();
  }
  if (Cur().type != TokenType::kDuration) return Unexpected("offset", "duration");
  int64_t ms = 0;
  if (!ParseDurationToken(&ms)) return nullptr;
  if (negative) ms = -ms;
  int64_t* target = nullptr;
  switch (e->kind) {
    case NodeKind::kVectorSelector: target = &e->As<VectorSelector>().offset_ms; break;
    case NodeKind::kMatrixSelector: target = &e->As<MatrixSelector>().selector->offset_ms; break;
    case NodeKind::kSubquery: target = &e->As<SubqueryExpr>().offset_ms; break;
    default:
      return Fail(e->pos.start,
                  "offset modifier must be preceded by an instant vector selector or range "
                  "vector selector or a subquery");
  }
  if (*target != 0) return Fail(e->pos.start, "offset may not be set multiple times");
  *target = ms;
  e->pos.end = last_closing_;
  return e;
}

ExprPtr Parser::ParseAt(ExprPtr e) {
  Advance();  // @
  AtModifier at;
  double ts = 0;
  if (Cur().type == TokenType::kStart || Cur().type == TokenType::kEnd) {
    at.kind = Cur().type == TokenType::kStart ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
    Advance();
    if (Cur().type != TokenType::kLeftParen) return Unexpected("@", "timestamp");
    Advance();
    if (Cur().type != TokenType::kRightParen) return Unexpected("@", "timestamp");
    Advance();
  } else {
    bool negative = false;
    if (Cur().type == TokenType::kAdd || Cur().type == TokenType::kSub) {
      negative = Cur().type == TokenType::kSub;
      Advance();
    }
    if (Cur().type != TokenType::kNumber) return Unexpected("@", "timestamp");
    auto v = ParseNumber(Cur().val);
    if (!v.ok()) return Fail(Cur().pos, v.status().message());
    Advance();
    ts = negative ? -*v : *v;
    constexpr double kMaxInt64 = 9223372036854775807.0;
    if (std::isinf(ts) || std::isnan(ts) || ts >= kMaxInt64 || ts <= -kMaxInt64) {
      std::string shown = std::isnan(ts)   ? "NaN"
                          : std::isinf(ts) ? (ts > 0 ? "+Inf" : "-Inf")
                                           : absl::StrFormat("%f", ts);
      return Fail(e->pos.start, absl::StrCat("timestamp out of bounds for @ modifier: ", shown));
    }
    at.kind = AtModifier::Kind::kTimestamp;
    const double ms = std::round(ts * 1000.0);
    // Out-of-range float->int64 conversion yields INT64_MIN on amd64 Go; do the same
    // without undefined behaviour.
    at.t_ms = (ms >= kMaxInt64 || ms < -kMaxInt64) ? std::numeric_limits<int64_t>::min()
                                                   : static_cast<int64_t>(ms);
  }
  AtModifier* target = nullptr;
  switch (e->kind) {
    case NodeKind::kVectorSelector: target = &e->As<VectorSelector>().at; break;
    case NodeKind::kMatrixSelector: target = &e->As<MatrixSelector>().selector->at; break;
    case NodeKind::kSubquery: target = &e->As<SubqueryExpr>().at; break;
    default:
      return Fail(e->pos.start,
                  "@ modifier must be preceded by an instant vector selector or range vector "
                  "selector or a subquery");
  }
  if (target->present()) {
    return Fail(e->pos.start, "@ <timestamp> may not be set multiple times");
  }
  *target = at;
  e->pos.end = last_closing_;
  return e;
}

}  // namespace tally::promql::internal
