#include "storage/model/matcher.h"

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "storage/model/labels.h"

namespace tally::storage {
namespace {

// True when `re` contains no regex metacharacters, i.e. matches only itself.
bool IsLiteral(absl::string_view re) {
  for (char c : re) {
    if (absl::string_view("\\.+*?()|[]{}^$").find(c) != absl::string_view::npos) return false;
  }
  return true;
}

std::vector<std::string> LiteralAlternatives(absl::string_view re) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t bar = re.find('|', start);
    absl::string_view part = re.substr(start, bar == absl::string_view::npos ? re.npos : bar - start);
    if (!IsLiteral(part)) return {};
    out.emplace_back(part);
    if (bar == absl::string_view::npos) break;
    start = bar + 1;
  }
  return out;
}

}  // namespace

absl::StatusOr<Matcher> Matcher::Make(MatchType type, absl::string_view name,
                                      absl::string_view value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::string(name);
  m.value_ = std::string(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<RE2>(absl::StrCat("^(?:", value, ")$"), opts);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("error parsing regexp: ", re->error(), ": `", value, "`"));
    }
    m.re_ = std::move(re);
    m.set_matches_ = LiteralAlternatives(value);
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

bool Matcher::Matches(absl::string_view v) const {
  switch (type_) {
    case MatchType::kEqual:
      return v == value_;
    case MatchType::kNotEqual:
      return v != value_;
    case MatchType::kRegexMatch:
      return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
    case MatchType::kRegexNoMatch:
      return !RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
  }
  return false;
}

const char* MatchTypeString(MatchType t) {
  switch (t) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegexMatch: return "=~";
    case MatchType::kRegexNoMatch: return "!~";
  }
  return "?";
}

std::string Matcher::ToString() const {
  return absl::StrCat(name_, MatchTypeString(type_), GoQuote(value_));
}

absl::Status ValidateSelector(const Matchers& matchers) {
  for (const Matcher& m : matchers) {
    if (!m.MatchesEmpty()) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "vector selector must contain at least one non-empty matcher");
}

}  // namespace tally::storage
