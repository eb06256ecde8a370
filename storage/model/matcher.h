// Label matchers (=, !=, =~, !~) with Prometheus semantics: regexes are RE2, fully anchored
// (Prometheus compiles "^(?:re)$"), and a label that is absent is treated as having the
// empty value, so a matcher that matches "" also selects series lacking the label.
// A Matcher is immutable and cheap to copy (the compiled regex is shared); Matches() is
// thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace re2 {
class RE2;
}

namespace tally::storage {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

class Matcher {
 public:
  // Fails with InvalidArgument for a regex RE2 cannot compile (message names the regex).
  static absl::StatusOr<Matcher> Make(MatchType type, absl::string_view name,
                                      absl::string_view value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  bool Matches(absl::string_view v) const;
  bool MatchesEmpty() const { return matches_empty_; }
  // For regex matchers whose pattern is a plain literal or an alternation of literals
  // (e.g. "a|b|c"), the literal values; lets the index look them up instead of scanning.
  // Empty for anything else.
  const std::vector<std::string>& SetMatches() const { return set_matches_; }

  // `name="value"`, `name=~"re"`, ... as PromQL prints it.
  std::string ToString() const;
  friend bool operator==(const Matcher& a, const Matcher& b) {
    return a.type_ == b.type_ && a.name_ == b.name_ && a.value_ == b.value_;
  }

 private:
  Matcher() = default;

  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
  std::vector<std::string> set_matches_;
  bool matches_empty_ = false;
};

using Matchers = std::vector<Matcher>;

// Prometheus compat: a selector must contain at least one matcher that does not match the
// empty string. Error text as parser.go: "vector selector must contain at least one
// non-empty matcher".
absl::Status ValidateSelector(const Matchers& matchers);

const char* MatchTypeString(MatchType t);

}  // namespace tally::storage
