// The test-script interpreter: line splitting, series descriptions, load/clear/eval
// commands and Prometheus's almostEqual comparison (see FORMAT.md).
#include "tests/promqltest/script_runner.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "promql/engine.h"
#include "promql/parser/parser.h"
#include "storage/db.h"
#include "storage/util/duration.h"
#include "storage/util/status_macros.h"
#include "tests/testutil/temp_dir.h"

namespace tally::promqltest {

int ScriptResult::passed() const {
  int n = 0;
  for (const auto& e : evals) n += e.passed ? 1 : 0;
  return n;
}
int ScriptResult::failed() const {
  int n = 0;
  for (const auto& e : evals) n += (!e.passed && !e.skipped) ? 1 : 0;
  return n;
}
int ScriptResult::skipped() const {
  int n = 0;
  for (const auto& e : evals) n += e.skipped ? 1 : 0;
  return n;
}

namespace {

using storage::Labels;

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// Parses a PromQL string literal at s[*pos] (", ' or `), Go escapes.
absl::StatusOr<std::string> ParseQuoted(absl::string_view s, size_t* pos) {
  char q = s[*pos];
  std::string out;
  size_t i = *pos + 1;
  while (i < s.size() && s[i] != q) {
    char c = s[i];
    if (c == '\\' && q != '`' && i + 1 < s.size()) {
      char e = s[i + 1];
      i += 2;
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'v': out.push_back('\v'); break;
        case '\\': out.push_back('\\'); break;
        case '"': out.push_back('"'); break;
        case '\'': out.push_back('\''); break;
        case 'x': {
          int v = 0;
          absl::SimpleHexAtoi(s.substr(i, 2), &v);
          out.push_back(static_cast<char>(v));
          i += 2;
          break;
        }
        case 'u':
        case 'U': {
          size_t len = e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          absl::SimpleHexAtoi(s.substr(i, len), &cp);
          i += len;
          if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          }
          break;
        }
        default:
          if (e >= '0' && e <= '7') {  // octal \NNN
            int v = (e - '0') * 64 + (s[i] - '0') * 8 + (s[i + 1] - '0');
            out.push_back(static_cast<char>(v));
            i += 2;
          } else {
            out.push_back(e);
          }
      }
      continue;
    }
    out.push_back(c);
    ++i;
  }
  if (i >= s.size()) return absl::InvalidArgumentError("unterminated string");
  *pos = i + 1;
  return out;
}

void SkipSpace(absl::string_view s, size_t* pos) {
  while (*pos < s.size() && (s[*pos] == ' ' || s[*pos] == '\t')) ++*pos;
}

// Parses `name{l="v",...}` / `{...}` at the start of `s`; *pos ends after it.
absl::StatusOr<Labels> ParseIdentifier(absl::string_view s, size_t* pos) {
  storage::LabelsBuilder b;
  size_t i = *pos;
  SkipSpace(s, &i);
  size_t start = i;
  while (i < s.size() && IsIdentChar(s[i])) ++i;
  if (i > start) b.Set(storage::kMetricNameLabel, s.substr(start, i - start));
  if (i < s.size() && s[i] == '{') {
    ++i;
    while (true) {
      SkipSpace(s, &i);
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      size_t ns = i;
      while (i < s.size() && IsIdentChar(s[i])) ++i;
      std::string name(s.substr(ns, i - ns));
      if (name.empty()) return absl::InvalidArgumentError(absl::StrCat("bad label in ", s));
      SkipSpace(s, &i);
      if (i >= s.size() || s[i] != '=') return absl::InvalidArgumentError("expected =");
      ++i;
      SkipSpace(s, &i);
      if (i >= s.size()) return absl::InvalidArgumentError("expected value");
      ASSIGN_OR_RETURN(std::string value, ParseQuoted(s, &i));
      b.Set(name, value);
      SkipSpace(s, &i);
      if (i < s.size() && s[i] == ',') ++i;
    }
  } else if (i == start) {
    return absl::InvalidArgumentError(absl::StrCat("bad series identifier: ", s));
  }
  *pos = i;
  return b.Build();
}

bool ParseNumber(absl::string_view s, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  std::string lower = absl::AsciiStrToLower(str);
  if (lower == "inf" || lower == "+inf") {
    *out = INFINITY;
    return true;
  }
  if (lower == "-inf") {
    *out = -INFINITY;
    return true;
  }
  if (lower == "nan" || lower == "+nan" || lower == "-nan") {
    *out = NAN;
    return true;
  }
  char* end = nullptr;
  *out = std::strtod(str.c_str(), &end);
  return end == str.c_str() + str.size();
}

// One value-sequence item; appends expanded values (nullopt = omitted slot).
absl::Status ExpandItem(absl::string_view item, std::vector<std::optional<double>>* out) {
  if (item == "_") {
    out->push_back(std::nullopt);
    return absl::OkStatus();
  }
  if (item == "stale") {
    out->push_back(storage::StaleNaN());
    return absl::OkStatus();
  }
  size_t x = item.rfind('x');
  if (x != absl::string_view::npos && x + 1 < item.size()) {
    int count = 0;
    if (absl::SimpleAtoi(item.substr(x + 1), &count)) {
      absl::string_view head = item.substr(0, x);
      if (head == "_") {
        for (int i = 0; i < count; ++i) out->push_back(std::nullopt);
        return absl::OkStatus();
      }
      std::string h(head);
      char* end = nullptr;
      double a = std::strtod(h.c_str(), &end);
      if (end == h.c_str()) return absl::InvalidArgumentError(absl::StrCat("bad item ", item));
      std::string rest(end);
      double b = 0;
      if (!rest.empty()) {
        if (!ParseNumber(rest.substr(1), &b) || (rest[0] != '+' && rest[0] != '-')) {
          return absl::InvalidArgumentError(absl::StrCat("bad item ", item));
        }
        if (rest[0] == '-') b = -b;
      }
      double cur = a;
      for (int i = 0; i <= count; ++i) {
        out->push_back(cur);
        cur += b;
      }
      return absl::OkStatus();
    }
  }
  double v;
  if (!ParseNumber(item, &v)) return absl::InvalidArgumentError(absl::StrCat("bad item ", item));
  out->push_back(v);
  return absl::OkStatus();
}

// Prometheus compat (promql/test.go almostEqual, 2.42).
bool AlmostEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  constexpr double kEps = 1e-6;
  double d = std::fabs(a - b);
  if (a == 0 || b == 0 || d < kMinNormal) return d < kEps * kMinNormal;
  return d / (std::fabs(a) + std::fabs(b)) < kEps;
}

std::string Fmt(double v) { return absl::StrCat(v); }

struct Expectation {
  bool scalar = false;
  double scalar_value = 0;
  std::vector<std::pair<Labels, double>> series;
};

class Interpreter {
 public:
  Interpreter(const std::string& name, const RunnerOptions& options)
      : name_(name), options_(options) {}

  absl::Status Run(const std::string& text, ScriptResult* result) {
    std::vector<std::string> lines = absl::StrSplit(text, '\n');
    for (std::string& l : lines) {
      l = std::string(absl::StripAsciiWhitespace(l));
      if (!l.empty() && l[0] == '#') l.clear();
    }
    RETURN_IF_ERROR(Clear());
    size_t i = 0;
    while (i < lines.size()) {
      const std::string& l = lines[i];
      if (l.empty()) {
        ++i;
        continue;
      }
      std::string cmd = absl::AsciiStrToLower(l.substr(0, l.find_first_of(" \t")));
      if (cmd == "clear") {
        RETURN_IF_ERROR(Clear());
        ++i;
      } else if (cmd == "load") {
        RETURN_IF_ERROR(Load(lines, &i));
      } else if (absl::StartsWith(cmd, "eval")) {
        RETURN_IF_ERROR(Eval(lines, &i, result));
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(name_, ":", i + 1, ": unknown command: ", l));
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Clear() {
    db_.reset();
    dir_ = std::make_unique<testutil::TempDir>();
    storage::DBOptions o = testutil::TestOptions(dir_->path());
    o.sync_commits = false;
    o.retention_ms = int64_t{1} << 60;
    ASSIGN_OR_RETURN(db_, storage::DB::Open(o));
    return absl::OkStatus();
  }

  absl::Status Load(const std::vector<std::string>& lines, size_t* i) {
    const int header_line = static_cast<int>(*i) + 1;
    std::vector<std::string> parts =
        absl::StrSplit(lines[*i], absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ":", header_line, ": bad load"));
    }
    ASSIGN_OR_RETURN(int64_t interval, storage::ParseDurationMs(parts[1]));
    ++*i;
    // Later lines for the same series replace earlier ones (FORMAT.md 1).
    std::vector<Labels> order;
    absl::flat_hash_map<Labels, std::vector<std::optional<double>>> data;
    for (; *i < lines.size() && !lines[*i].empty(); ++*i) {
      const std::string& l = lines[*i];
      size_t pos = 0;
      ASSIGN_OR_RETURN(Labels lbl, ParseIdentifier(l, &pos));
      std::vector<std::optional<double>> vals;
      for (absl::string_view item :
           absl::StrSplit(absl::string_view(l).substr(pos), absl::ByAnyChar(" \t"),
                          absl::SkipEmpty())) {
        RETURN_IF_ERROR(ExpandItem(item, &vals));
      }
      if (!data.contains(lbl)) order.push_back(lbl);
      data[lbl] = std::move(vals);
    }
    auto app = db_->NewAppender();
    for (const Labels& l : order) {
      const auto& vals = data[l];
      for (size_t k = 0; k < vals.size(); ++k) {
        if (!vals[k]) continue;
        RETURN_IF_ERROR(app->Append(l, static_cast<int64_t>(k) * interval, *vals[k]).status());
      }
    }
    ASSIGN_OR_RETURN(storage::CommitResult r, app->Commit());
    if (r.rejected() > 0) {
      return absl::InternalError(
          absl::StrCat(name_, ":", header_line, ": storage rejected samples: ", r.first_error));
    }
    return absl::OkStatus();
  }

  absl::Status Eval(const std::vector<std::string>& lines, size_t* i, ScriptResult* result) {
    const int line_no = static_cast<int>(*i) + 1;
    const std::string& header = lines[*i];
    // eval[_ordered|_fail] instant at <time> <expr>
    std::vector<std::string> words =
        absl::StrSplit(header, absl::MaxSplits(absl::ByAnyChar(" \t"), 4), absl::SkipEmpty());
    if (words.size() < 5 || words[1] != "instant" || words[2] != "at") {
      return absl::InvalidArgumentError(absl::StrCat(name_, ":", line_no, ": bad eval"));
    }
    const std::string kind = words[0];
    ASSIGN_OR_RETURN(int64_t t_ms, storage::ParseDurationMs(words[3]));
    // The expression is the rest of the header after the time word.
    size_t at = header.find(words[3], header.find(" at ") + 4) + words[3].size();
    std::string expr(absl::StripAsciiWhitespace(header.substr(at)));
    ++*i;
    Expectation want;
    for (; *i < lines.size() && !lines[*i].empty(); ++*i) {
      const std::string& l = lines[*i];
      double v;
      if (ParseNumber(l, &v)) {
        want.scalar = true;
        want.scalar_value = v;
        ++*i;
        break;
      }
      size_t pos = 0;
      ASSIGN_OR_RETURN(Labels lbl, ParseIdentifier(l, &pos));
      std::vector<std::optional<double>> vals;
      for (absl::string_view item :
           absl::StrSplit(absl::string_view(l).substr(pos), absl::ByAnyChar(" \t"),
                          absl::SkipEmpty())) {
        RETURN_IF_ERROR(ExpandItem(item, &vals));
      }
      if (vals.size() != 1 || !vals[0]) {
        return absl::InvalidArgumentError(
            absl::StrCat(name_, ":", *i + 1, ": expected exactly one value"));
      }
      want.series.push_back({lbl, *vals[0]});
    }
    EvalOutcome out;
    out.line = line_no;
    out.expr = expr;
    absl::Status s = Check(kind, expr, t_ms, want);
    out.passed = s.ok();
    if (!s.ok()) out.message = std::string(s.message());
    result->evals.push_back(std::move(out));
    return absl::OkStatus();
  }

  absl::Status Check(const std::string& kind, const std::string& expr, int64_t t_ms,
                     const Expectation& want) {
    promql::Engine engine;
    auto q = engine.NewInstantQuery(db_.get(), expr, t_ms);
    if (!q.ok()) return absl::InvalidArgumentError(absl::StrCat("parse: ", q.status().message()));
    absl::StatusOr<promql::Value> v = (*q)->Exec();
    if (kind == "eval_fail") {
      if (v.ok()) return absl::FailedPreconditionError("expected an error, got a result");
      return absl::OkStatus();
    }
    if (!v.ok()) return absl::FailedPreconditionError(absl::StrCat("error: ", v.status().message()));
    RETURN_IF_ERROR(Compare(kind == "eval_ordered", *v, want));
    if (!options_.check_range_mode) return absl::OkStatus();
    // FORMAT.md 7.2: the same expression as a range query around T must agree at T.
    auto rq = engine.NewRangeQuery(db_.get(), expr, t_ms - 60000, t_ms + 60000, 60000);
    if (!rq.ok()) return absl::FailedPreconditionError(absl::StrCat("range: ", rq.status().message()));
    absl::StatusOr<promql::Value> rv = (*rq)->Exec();
    if (!rv.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("range error: ", rv.status().message()));
    }
    const promql::Matrix& m = std::get<promql::Matrix>(*rv);
    if (want.scalar) {
      for (const auto& s : m) {
        for (const auto& p : s.points) {
          if (p.t_ms == t_ms && !AlmostEqual(p.v, want.scalar_value)) {
            return absl::FailedPreconditionError(absl::StrCat(
                "range mode: scalar ", Fmt(p.v), " want ", Fmt(want.scalar_value)));
          }
        }
      }
      return absl::OkStatus();
    }
    if (kind == "eval_ordered") return absl::OkStatus();
    promql::Vector at_t;
    for (const auto& s : m) {
      for (const auto& p : s.points) {
        if (p.t_ms == t_ms) at_t.push_back({s.metric, p.t_ms, p.v});
      }
    }
    absl::Status c = Compare(false, promql::Value(std::move(at_t)), want);
    if (!c.ok()) return absl::FailedPreconditionError(absl::StrCat("range mode: ", c.message()));
    return absl::OkStatus();
  }

  static absl::Status Compare(bool ordered, const promql::Value& got, const Expectation& want) {
    if (want.scalar) {
      if (!std::holds_alternative<promql::Scalar>(got)) {
        return absl::FailedPreconditionError(
            absl::StrCat("expected scalar, got ", promql::ResultTypeName(got)));
      }
      double v = std::get<promql::Scalar>(got).v;
      if (!AlmostEqual(v, want.scalar_value)) {
        return absl::FailedPreconditionError(
            absl::StrCat("scalar ", Fmt(v), " want ", Fmt(want.scalar_value)));
      }
      return absl::OkStatus();
    }
    if (!std::holds_alternative<promql::Vector>(got)) {
      return absl::FailedPreconditionError(
          absl::StrCat("expected vector, got ", promql::ResultTypeName(got)));
    }
    const promql::Vector& vec = std::get<promql::Vector>(got);
    std::map<std::string, std::pair<int, double>> expected;
    for (size_t i = 0; i < want.series.size(); ++i) {
      expected[want.series[i].first.ToString()] = {static_cast<int>(i), want.series[i].second};
    }
    std::string errors;
    for (size_t i = 0; i < vec.size(); ++i) {
      std::string key = vec[i].metric.ToString();
      auto it = expected.find(key);
      if (it == expected.end()) {
        absl::StrAppend(&errors, "unexpected ", key, " ", Fmt(vec[i].v), "; ");
        continue;
      }
      if (ordered && it->second.first != static_cast<int>(i)) {
        absl::StrAppend(&errors, key, " at position ", i, " want ", it->second.first, "; ");
      }
      if (!AlmostEqual(vec[i].v, it->second.second)) {
        absl::StrAppend(&errors, key, " = ", Fmt(vec[i].v), " want ", Fmt(it->second.second),
                        "; ");
      }
    }
    if (vec.size() != want.series.size()) {
      for (const auto& [key, e] : expected) {
        bool found = false;
        for (const auto& s : vec) found = found || s.metric.ToString() == key;
        if (!found) absl::StrAppend(&errors, "missing ", key, "; ");
      }
    }
    if (!errors.empty()) return absl::FailedPreconditionError(errors);
    return absl::OkStatus();
  }

  std::string name_;
  RunnerOptions options_;
  std::unique_ptr<testutil::TempDir> dir_;
  std::unique_ptr<storage::DB> db_;
};

}  // namespace

absl::Status RunScript(const std::string& name, const std::string& text,
                       const RunnerOptions& options, ScriptResult* result) {
  Interpreter in(name, options);
  return in.Run(text, result);
}

}  // namespace tally::promqltest
