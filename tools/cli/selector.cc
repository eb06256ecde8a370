#include "tools/cli/selector.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "promql/parser/parser.h"
#include "storage/model/labels.h"
#include "storage/util/status_macros.h"

namespace tally::tools {
namespace {

using storage::Matcher;
using storage::MatchType;

class SelectorParser {
 public:
  explicit SelectorParser(absl::string_view in) : in_(in) {}

  absl::StatusOr<storage::Matchers> Parse() {
    storage::Matchers out;
    SkipSpace();
    const size_t name_len = ScanName(/*metric=*/true);
    if (name_len > 0) {
      ASSIGN_OR_RETURN(Matcher m, Matcher::Make(MatchType::kEqual, storage::kMetricNameLabel,
                                                in_.substr(pos_, name_len)));
      out.push_back(std::move(m));
      pos_ += name_len;
      SkipSpace();
    }
    if (pos_ < in_.size() && in_[pos_] == '{') {
      ++pos_;
      while (true) {
        SkipSpace();
        if (pos_ < in_.size() && in_[pos_] == '}') {
          ++pos_;
          break;
        }
        const size_t n = ScanName(/*metric=*/false);
        if (n == 0) return Error("expected label name");
        std::string label(in_.substr(pos_, n));
        pos_ += n;
        SkipSpace();
        MatchType type;
        if (Consume("=~")) type = MatchType::kRegexMatch;
        else if (Consume("!~")) type = MatchType::kRegexNoMatch;
        else if (Consume("!=")) type = MatchType::kNotEqual;
        else if (Consume("=")) type = MatchType::kEqual;
        else return Error("expected label matching operator");
        SkipSpace();
        ASSIGN_OR_RETURN(std::string value, ParseString());
        ASSIGN_OR_RETURN(Matcher m, Matcher::Make(type, label, value));
        out.push_back(std::move(m));
        SkipSpace();
        if (Consume(",")) continue;
        if (Consume("}")) break;
        return Error("expected comma or closing brace");
      }
    } else if (name_len == 0) {
      return Error("expected metric name or '{'");
    }
    SkipSpace();
    if (pos_ != in_.size()) return Error("unexpected text after selector");
    RETURN_IF_ERROR(storage::ValidateSelector(out));
    return out;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("1:", pos_ + 1, ": parse error in selector: ", what));
  }
  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n')) {
      ++pos_;
    }
  }
  bool Consume(absl::string_view s) {
    if (in_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  size_t ScanName(bool metric) const {
    auto start_ok = [&](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
    };
    size_t i = pos_;
    if (i >= in_.size() || !start_ok(in_[i])) return 0;
    ++i;
    while (i < in_.size() && (start_ok(in_[i]) || (in_[i] >= '0' && in_[i] <= '9'))) ++i;
    return i - pos_;
  }
  absl::StatusOr<std::string> ParseString() {
    if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'' && in_[pos_] != '`')) {
      return Error("expected quoted label value");
    }
    const char q = in_[pos_++];
    std::string out;
    while (pos_ < in_.size() && in_[pos_] != q) {
      char c = in_[pos_++];
      if (c == '\\' && q != '`') {
        if (pos_ >= in_.size()) break;
        const char e = in_[pos_++];
        switch (e) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'r': c = '\r'; break;
          case '\\': case '"': case '\'': c = e; break;
          default: return Error(absl::StrCat("unknown escape sequence '\\", std::string(1, e), "'"));
        }
      }
      out.push_back(c);
    }
    if (pos_ >= in_.size()) return Error("unterminated quoted string");
    ++pos_;
    return out;
  }

  absl::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<storage::Matchers> ParseSimpleSelector(absl::string_view input) {
  return SelectorParser(input).Parse();
}

absl::StatusOr<storage::Matchers> ParseSelector(absl::string_view input) {
  absl::StatusOr<storage::Matchers> m = promql::ParseMetricSelector(input);
  if (absl::IsUnimplemented(m.status())) return ParseSimpleSelector(input);
  if (m.ok()) RETURN_IF_ERROR(storage::ValidateSelector(*m));
  return m;
}

}  // namespace tally::tools
