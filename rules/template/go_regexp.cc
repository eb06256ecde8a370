#include "rules/template/go_regexp.h"

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "re2/re2.h"
#include "rules/template/value.h"
#include "storage/model/labels.h"
#include "storage/util/utf8.h"

namespace tally::rules::tmpl {
namespace {

// Go's regexp/syntax ErrorCode texts for RE2's codes.
const char* GoErrorCode(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case RE2::ErrorBadCharClass:
      return "invalid character class";
    case RE2::ErrorBadCharRange:
      return "invalid character class range";
    case RE2::ErrorMissingBracket:
      return "missing closing ]";
    case RE2::ErrorMissingParen:
      return "missing closing )";
    case RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    case RE2::ErrorPatternTooLarge:
      return "expression too large";
    default:
      return "regexp/syntax: internal error";
  }
}

absl::StatusOr<std::shared_ptr<const RE2>> CompileUncached(absl::string_view pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
  if (!re->ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "error parsing regexp: ", GoErrorCode(re->error_code()), ": `", re->error_arg(), "`"));
  }
  return re;
}

// Templates pass the same literal patterns at every expansion and compiling costs far
// more than matching (bench_rules_template BM_ExpandRegexp), so compiled regexps are
// kept. Bounded by count; starts over when full. RE2 objects are thread-safe.
class RegexpCache {
 public:
  absl::StatusOr<std::shared_ptr<const RE2>> Get(absl::string_view pattern) {
    {
      absl::MutexLock lock(&mu_);
      auto it = map_.find(pattern);
      if (it != map_.end()) return it->second;
    }
    absl::StatusOr<std::shared_ptr<const RE2>> re = CompileUncached(pattern);
    if (!re.ok() || pattern.size() > kMaxPatternBytes) return re;
    absl::MutexLock lock(&mu_);
    if (map_.size() >= kMaxEntries) map_.clear();
    map_.emplace(std::string(pattern), *re);
    return re;
  }

 private:
  static constexpr size_t kMaxEntries = 1024;
  static constexpr size_t kMaxPatternBytes = 4096;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const RE2>> map_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::shared_ptr<const RE2>> Compile(absl::string_view pattern) {
  static RegexpCache* cache = new RegexpCache;
  return cache->Get(pattern);
}

// strconv.CanBackquote.
bool CanBackquote(absl::string_view s) {
  if (!storage::IsValidUtf8(s)) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '`' || c == 0x7F || (c < ' ' && c != '\t')) return false;
    if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB &&
        static_cast<unsigned char>(s[i + 2]) == 0xBF) {
      return false;  // U+FEFF
    }
  }
  return true;
}

bool IsNameByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}

}  // namespace

void GoRegexpExpand(absl::string_view tmpl, const RE2& re,
                    absl::Span<const re2::StringPiece> groups, std::string* out) {
  const std::map<std::string, int>& names = re.NamedCapturingGroups();
  while (!tmpl.empty()) {
    const size_t d = tmpl.find('$');
    if (d == absl::string_view::npos) break;
    absl::StrAppend(out, tmpl.substr(0, d));
    tmpl.remove_prefix(d + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    // extract: a name or {name}.
    absl::string_view str = tmpl;
    bool brace = false;
    if (!str.empty() && str[0] == '{') {
      brace = true;
      str.remove_prefix(1);
    }
    size_t i = 0;
    while (i < str.size() && IsNameByte(static_cast<unsigned char>(str[i]))) ++i;
    bool ok = i > 0;
    absl::string_view name = str.substr(0, i);
    if (ok && brace) {
      if (i >= str.size() || str[i] != '}') {
        ok = false;
      } else {
        ++i;
      }
    }
    if (!ok) {
      out->push_back('$');  // malformed: the '$' is literal text
      continue;
    }
    tmpl = str.substr(i);
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') num = -1;
    if (num >= 0) {
      if (static_cast<size_t>(num) < groups.size() && groups[num].data() != nullptr) {
        out->append(groups[num].data(), groups[num].size());
      }
    } else {
      auto it = names.find(std::string(name));
      if (it != names.end() && static_cast<size_t>(it->second) < groups.size() &&
          groups[it->second].data() != nullptr) {
        out->append(groups[it->second].data(), groups[it->second].size());
      }
    }
  }
  absl::StrAppend(out, tmpl);
}

absl::StatusOr<bool> GoRegexpMatch(absl::string_view pattern, absl::string_view s) {
  absl::StatusOr<std::shared_ptr<const RE2>> re = Compile(pattern);
  if (!re.ok()) return re.status();
  return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), **re);
}

absl::StatusOr<std::string> GoRegexpReplaceAll(absl::string_view pattern, absl::string_view repl,
                                               absl::string_view src) {
  absl::StatusOr<std::shared_ptr<const RE2>> compiled = Compile(pattern);
  if (!compiled.ok()) {
    const std::string quoted =
        CanBackquote(pattern) ? absl::StrCat("`", pattern, "`") : storage::GoQuote(pattern);
    return absl::InvalidArgumentError(
        absl::StrCat("regexp: Compile(", quoted, "): ", compiled.status().message()));
  }
  const RE2& re = **compiled;
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> groups(ngroups);
  const re2::StringPiece text(src.data(), src.size());
  std::string out;
  size_t last_match_end = 0;
  size_t search_pos = 0;
  while (search_pos <= src.size()) {
    if (!re.Match(text, search_pos, src.size(), RE2::UNANCHORED, groups.data(), ngroups)) break;
    const size_t a0 = static_cast<size_t>(groups[0].data() - src.data());
    const size_t a1 = a0 + groups[0].size();
    absl::StrAppend(&out, src.substr(last_match_end, a0 - last_match_end));
    // Go: no replacement for an empty match right after the previous match.
    if (a1 > last_match_end || a0 == 0) GoRegexpExpand(repl, re, groups, &out);
    if (out.size() > kMaxStringBytes) {
      return absl::InvalidArgumentError(absl::StrCat("result exceeds ", kMaxStringBytes, " bytes"));
    }
    last_match_end = a1;
    // Advance past the match, at least one rune.
    size_t width = 0;
    if (search_pos < src.size()) {
      const unsigned char c = static_cast<unsigned char>(src[search_pos]);
      width = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      width = std::min(width, src.size() - search_pos);
    }
    if (search_pos + width > a1) {
      search_pos += width;
    } else if (search_pos + 1 > a1) {
      ++search_pos;
    } else {
      search_pos = a1;
    }
  }
  absl::StrAppend(&out, src.substr(last_match_end));
  return out;
}

}  // namespace tally::rules::tmpl
