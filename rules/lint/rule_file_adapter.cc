#include "rules/lint/rule_file_adapter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tally::rules::lint {
namespace {

int Indent(absl::string_view line) {
  int n = 0;
  while (n < static_cast<int>(line.size()) && line[n] == ' ') ++n;
  return n;
}

bool Blank(absl::string_view line) {
  absl::string_view t = absl::StripAsciiWhitespace(line);
  return t.empty() || t[0] == '#';
}

// For a line "<indent>[- ]key: rest", the key's column (0-based) and rest; false otherwise.
bool KeyLine(absl::string_view line, absl::string_view key, int* key_col, int* rest_col) {
  int i = Indent(line);
  if (absl::StartsWith(line.substr(i), "- ")) {
    i += 2;
    while (i < static_cast<int>(line.size()) && line[i] == ' ') ++i;
  }
  absl::string_view s = line.substr(i);
  if (!absl::StartsWith(s, key)) return false;
  absl::string_view after = s.substr(key.size());
  absl::string_view colon_part = absl::StripLeadingAsciiWhitespace(after);
  if (colon_part.empty() || colon_part[0] != ':') return false;
  int j = i + static_cast<int>(key.size() + (after.size() - colon_part.size())) + 1;
  while (j < static_cast<int>(line.size()) && line[j] == ' ') ++j;
  *key_col = i;
  *rest_col = j;
  return true;
}

// Lines of the keys nested under `section:` (labels/annotations) within [from, to).
void SectionKeys(const std::vector<absl::string_view>& lines, int from, int to,
                 absl::string_view section, std::vector<LintTemplate>* out) {
  for (int i = from; i < to; ++i) {
    int kc, rc;
    if (!KeyLine(lines[i], section, &kc, &rc)) continue;
    for (int j = i + 1; j < to; ++j) {
      if (Blank(lines[j])) continue;
      if (Indent(lines[j]) <= kc) break;
      for (LintTemplate& t : *out) {
        int kc2, rc2;
        if (t.line == 0 && KeyLine(lines[j], t.key, &kc2, &rc2)) t.line = j + 1;
      }
    }
    return;
  }
}

void Locate(const std::vector<absl::string_view>& lines, int from, int to, LintRule* r) {
  for (int i = from; i < to; ++i) {
    int kc, rc;
    if (r->expr_line == 0 && KeyLine(lines[i], "expr", &kc, &rc)) {
      absl::string_view rest = lines[i].substr(std::min<size_t>(rc, lines[i].size()));
      if (!rest.empty() && (rest[0] == '|' || rest[0] == '>')) {
        for (int j = i + 1; j < to; ++j) {
          if (absl::StripAsciiWhitespace(lines[j]).empty()) continue;
          r->expr_line = j + 1;
          // A folded scalar joins lines: only its first line maps one to one.
          r->expr_column = rest[0] == '|' ? Indent(lines[j]) + 1 : 0;
          break;
        }
      } else {
        r->expr_line = i + 1;
        r->expr_column = rc + 1 + ((!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) ? 1 : 0);
      }
    }
    if (r->for_line == 0 && KeyLine(lines[i], "for", &kc, &rc)) r->for_line = i + 1;
  }
  SectionKeys(lines, from, to, "labels", &r->labels);
  SectionKeys(lines, from, to, "annotations", &r->annotations);
}

// "5:11: group ..." -> 5; 0 when the message has no position.
int LeadingLine(absl::string_view msg, std::string* rest) {
  std::vector<absl::string_view> parts = absl::StrSplit(msg, absl::MaxSplits(':', 2));
  int line = 0, col = 0;
  if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &line) && absl::SimpleAtoi(parts[1], &col)) {
    *rest = std::string(absl::StripLeadingAsciiWhitespace(parts[2]));
    return line;
  }
  *rest = std::string(msg);
  return 0;
}

}  // namespace

LintFile ToLintFile(const ParsedRuleFile& parsed, absl::string_view content,
                    const std::string& path, std::vector<Finding>* parser_findings) {
  for (const std::string& e : parsed.errors) {
    if (absl::StrContains(e, "could not parse expression")) continue;  // linted with positions
    absl::string_view msg = e;
    absl::ConsumePrefix(&msg,
                        absl::StrCat(parsed.spec.path.empty() ? path : parsed.spec.path, ": "));
    absl::ConsumePrefix(&msg, absl::StrCat(path, ": "));
    std::string rest;
    int line = LeadingLine(msg, &rest);
    parser_findings->push_back(Finding{path, std::max(line, 1), Severity::kError, "", rest});
  }

  std::vector<absl::string_view> lines = absl::StrSplit(content, '\n');
  const int nlines = static_cast<int>(lines.size());
  // Every rule's and group's first line, to bound each rule's block.
  std::vector<int> starts;
  for (const GroupSpec& g : parsed.spec.groups) {
    if (g.line > 0) starts.push_back(g.line);
    for (const RuleSpec& r : g.rules) {
      if (r.line > 0) starts.push_back(r.line);
    }
  }
  std::sort(starts.begin(), starts.end());

  LintFile out{path, {}};
  for (const GroupSpec& g : parsed.spec.groups) {
    LintGroup lg{g.name, g.line, g.interval_ms, {}};
    for (const RuleSpec& r : g.rules) {
      if (r.record.empty() == r.alert.empty() || r.expr.empty()) continue;  // reported above
      LintRule lr;
      lr.kind = r.record.empty() ? LintRule::Kind::kAlerting : LintRule::Kind::kRecording;
      lr.name = r.record.empty() ? r.alert : r.record;
      lr.line = r.line;
      lr.expr = r.expr;
      lr.for_ms = r.for_ms;
      for (const auto& [k, v] : r.labels) lr.labels.push_back(LintTemplate{k, v, 0});
      for (const auto& [k, v] : r.annotations) lr.annotations.push_back(LintTemplate{k, v, 0});
      if (r.line > 0 && r.line <= nlines) {
        auto next = std::upper_bound(starts.begin(), starts.end(), r.line);
        const int to = next == starts.end() ? nlines : std::min(*next - 1, nlines);
        Locate(lines, r.line - 1, to, &lr);
      }
      lg.rules.push_back(std::move(lr));
    }
    out.groups.push_back(std::move(lg));
  }
  return out;
}

}  // namespace tally::rules::lint
