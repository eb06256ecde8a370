// Load-time validation of relabel and file SD configs, worded as Prometheus 2.42
// (model/relabel/relabel.go Validate, discovery/file/file.go SDConfig.UnmarshalYAML;
// messages checked with promtool check config 2.42).
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "server/config/config.h"

namespace tally::server::config {
namespace {

// Go's regexp/syntax ErrorCode texts for RE2's codes (Go's and RE2's syntax are the same).
const char* GoRegexpError(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape: return "invalid escape sequence";
    case RE2::ErrorBadCharClass: return "invalid character class";
    case RE2::ErrorBadCharRange: return "invalid character class range";
    case RE2::ErrorMissingBracket: return "missing closing ]";
    case RE2::ErrorMissingParen: return "missing closing )";
    case RE2::ErrorUnexpectedParen: return "unexpected )";
    case RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize: return "invalid repeat count";
    case RE2::ErrorRepeatOp: return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8: return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture: return "invalid named capture";
    case RE2::ErrorPatternTooLarge: return "expression too large";
    default: return "regexp/syntax: internal error";
  }
}

bool IsKnownAction(absl::string_view a) {
  for (const char* k : {"replace", "keep", "drop", "keepequal", "dropequal", "hashmod", "labelmap",
                        "labeldrop", "labelkeep", "lowercase", "uppercase"}) {
    if (a == k) return true;
  }
  return false;
}

// relabelTarget in relabel.go: a label name in which $var / ${var} may stand for letters.
bool IsRelabelTarget(absl::string_view s) {
  static const RE2* re = new RE2(R"((?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+)");
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *re);
}

}  // namespace

absl::Status ValidateRelabelConfig(const RelabelConfig& r) {
  auto fail = [](auto&&... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  for (const std::string& l : r.source_labels) {
    if (!storage::IsValidLabelName(l)) return fail(storage::GoQuote(l), " is not a valid label name");
  }
  {
    RE2::Options opts;
    opts.set_log_errors(false);
    const std::string anchored = absl::StrCat("^(?:", r.regex, ")$");
    RE2 re(anchored, opts);
    if (!re.ok()) {
      return fail("error parsing regexp: ", GoRegexpError(re.error_code()), ": `", re.error_arg(),
                  "`");
    }
  }
  const std::string a = absl::AsciiStrToLower(r.action);
  if (!IsKnownAction(a)) return fail("unknown relabel action ", storage::GoQuote(r.action));
  const bool replace = a == "replace", hashmod = a == "hashmod";
  const bool value_action =
      a == "lowercase" || a == "uppercase" || a == "keepequal" || a == "dropequal";
  if (r.modulus == 0 && hashmod) {
    return fail("relabel configuration for hashmod requires non-zero modulus");
  }
  if ((replace || hashmod || value_action) && r.target_label.empty()) {
    return fail("relabel configuration for ", a, " action requires 'target_label' value");
  }
  const bool has_var = absl::StrContains(r.target_label, "$");
  if ((replace && !has_var && !storage::IsValidLabelName(r.target_label)) ||
      (replace && has_var && !IsRelabelTarget(r.target_label)) ||
      ((value_action || hashmod) && !storage::IsValidLabelName(r.target_label))) {
    return fail(storage::GoQuote(r.target_label), " is invalid 'target_label' for ", a, " action");
  }
  const RelabelConfig dflt;
  if (value_action && r.replacement != dflt.replacement) {
    return fail("'replacement' can not be set for ", a, " action");
  }
  if (a == "labelmap" && !IsRelabelTarget(r.replacement)) {
    return fail(storage::GoQuote(r.replacement), " is invalid 'replacement' for ", a, " action");
  }
  // Prometheus compat: it compares the compiled regex by identity, so any `regex:` given
  // is rejected there; we can only see a regex that differs from the default.
  if ((a == "keepequal" || a == "dropequal") &&
      (r.regex != dflt.regex || r.modulus != 0 || r.separator != dflt.separator ||
       r.replacement != dflt.replacement)) {
    return fail(a, " action requires only 'source_labels' and `target_label`, and no other fields");
  }
  if ((a == "labeldrop" || a == "labelkeep") &&
      (!r.source_labels.empty() || !r.target_label.empty() || r.modulus != 0 ||
       r.separator != dflt.separator || r.replacement != dflt.replacement)) {
    return fail(a, " action requires only 'regex', and no other fields");
  }
  return absl::OkStatus();
}

absl::Status ValidateFileSDConfig(const FileSDConfig& f) {
  if (f.files.empty()) {
    return absl::InvalidArgumentError(
        "file service discovery config must contain at least one path name");
  }
  // patFileSDName: ^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$
  static const RE2* pat = new RE2(R"([^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML))");
  for (const std::string& name : f.files) {
    if (!RE2::FullMatch(name, *pat)) {
      return absl::InvalidArgumentError(
          absl::StrCat("path name ", storage::GoQuote(name), " is not valid for file discovery"));
    }
  }
  return absl::OkStatus();
}

}  // namespace tally::server::config
