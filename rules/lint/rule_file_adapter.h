// Builds the linter's input (LintFile) from a rule file parsed by rules/rule_file.h, adding
// the positions the linter points findings at and the parser does not keep: the line and
// column where each rule's expression text starts, and the lines of `for:` and of each label
// and annotation key. They are found by scanning the rule's lines in the file text (from the
// rule's line to the next rule's), not by parsing YAML again; a position that cannot be
// found is left 0 and the finding falls back to the rule's line.
//
// Validation errors of the parser become findings too, except "could not parse expression",
// which the linter reports itself with the position inside the file.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rules/lint/rule_linter.h"
#include "rules/rule_file.h"

namespace tally::rules::lint {

// `content` is the text `parsed` was parsed from; `path` names the file in findings.
LintFile ToLintFile(const ParsedRuleFile& parsed, absl::string_view content,
                    const std::string& path, std::vector<Finding>* parser_findings);

}  // namespace tally::rules::lint
