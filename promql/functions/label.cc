// label_replace() and label_join(): label sets are rewritten once per series (not per
// step), then rows that collapse to one label set are merged or rejected.
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "promql/functions/functions.h"
#include "re2/re2.h"
#include "storage/util/status_macros.h"
#include "storage/model/labels.h"

namespace tally::promql::internal {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_';
}

// Go's regexp.Expand: $1, ${1}, $name, ${name}, $$. A name is the longest run of letters,
// digits and underscores ("$1x" refers to group "1x"); unknown groups expand to "".
std::string Expand(const re2::RE2& re, absl::string_view tmpl,
                   const std::vector<absl::string_view>& groups) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    char c = tmpl[i];
    if (c != '$' || i + 1 >= tmpl.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out.push_back('$');
      i += 2;
      continue;
    }
    absl::string_view name;
    size_t next;
    if (tmpl[i + 1] == '{') {
      size_t close = tmpl.find('}', i + 2);
      if (close == absl::string_view::npos) {
        out.push_back(c);
        ++i;
        continue;
      }
      name = tmpl.substr(i + 2, close - i - 2);
      bool ok = !name.empty();
      for (char x : name) ok = ok && IsNameChar(x);
      if (!ok) {
        out.push_back(c);
        ++i;
        continue;
      }
      next = close + 1;
    } else {
      size_t j = i + 1;
      while (j < tmpl.size() && IsNameChar(tmpl[j])) ++j;
      if (j == i + 1) {
        out.push_back(c);
        ++i;
        continue;
      }
      name = tmpl.substr(i + 1, j - i - 1);
      next = j;
    }
    int idx = -1;
    bool numeric = true;
    for (char x : name) numeric = numeric && x >= '0' && x <= '9';
    if (numeric) {
      if (name.size() < 9) idx = std::stoi(std::string(name));
    } else {
      auto it = re.NamedCapturingGroups().find(std::string(name));
      if (it != re.NamedCapturingGroups().end()) idx = it->second;
    }
    if (idx >= 0 && idx < static_cast<int>(groups.size())) {
      out.append(groups[idx].data(), groups[idx].size());
    }
    i = next;
  }
  return out;
}

const std::string& StringArg(const Call& call, size_t i) {
  return UnwrapParens(*call.args[i]).As<StringLiteral>().value;
}

}  // namespace

absl::StatusOr<Evaluated> EvalLabelReplace(Evaluator* ev, const Call& call) {
  const std::string& dst = StringArg(call, 1);
  const std::string& repl = StringArg(call, 2);
  const std::string& src = StringArg(call, 3);
  const std::string& regex = StringArg(call, 4);
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  re2::RE2 re("^(?:" + regex + ")$", opts);
  if (!re.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("invalid regular expression in label_replace(): ", regex));
  }
  if (!storage::IsValidLabelName(dst)) {
    return absl::FailedPreconditionError(
        absl::StrCat("invalid destination label name in label_replace(): ", dst));
  }
  ASSIGN_OR_RETURN(Rows rows, ev->EvalVectorArg(*call.args[0]));
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> sp(ngroups);
  std::vector<absl::string_view> groups(ngroups);
  for (Row& r : rows) {
    absl::string_view v = r.labels.Get(src);
    if (!re.Match(re2::StringPiece(v.data(), v.size()), 0, v.size(), re2::RE2::UNANCHORED,
                  sp.data(), ngroups)) {
      continue;
    }
    for (int g = 0; g < ngroups; ++g) groups[g] = absl::string_view(sp[g].data(), sp[g].size());
    std::string value = Expand(re, repl, groups);
    // One pass into one buffer; an empty value removes `dst` (as LabelsBuilder::Set).
    const storage::LabelView set[] = {{dst, value}};
    r.labels = r.labels.Rebuild([](absl::string_view) { return true; }, set);
  }
  RETURN_IF_ERROR(ev->MergeDuplicateRows(&rows));
  return ev->MakeVector(std::move(rows));
}

absl::StatusOr<Evaluated> EvalLabelJoin(Evaluator* ev, const Call& call) {
  const std::string& dst = StringArg(call, 1);
  const std::string& sep = StringArg(call, 2);
  std::vector<std::string> srcs;
  for (size_t i = 3; i < call.args.size(); ++i) {
    srcs.push_back(StringArg(call, i));
    if (!storage::IsValidLabelName(srcs.back())) {
      return absl::FailedPreconditionError(
          absl::StrCat("invalid source label name in label_join(): ", srcs.back()));
    }
  }
  if (!storage::IsValidLabelName(dst)) {
    return absl::FailedPreconditionError(
        absl::StrCat("invalid destination label name in label_join(): ", dst));
  }
  ASSIGN_OR_RETURN(Rows rows, ev->EvalVectorArg(*call.args[0]));
  std::vector<absl::string_view> vals;
  for (Row& r : rows) {
    vals.clear();
    for (const std::string& s : srcs) vals.push_back(r.labels.Get(s));
    const std::string value = absl::StrJoin(vals, sep);
    const storage::LabelView set[] = {{dst, value}};
    r.labels = r.labels.Rebuild([](absl::string_view) { return true; }, set);
  }
  RETURN_IF_ERROR(ev->MergeDuplicateRows(&rows));
  return ev->MakeVector(std::move(rows));
}

}  // namespace tally::promql::internal
