// `tally rules check` and `tally rules test`: promtool's `check rules` and `test rules`,
// with its output (stdout/stderr split included) and exit codes: 0 ok, 1 a file failed,
// 3 lint findings with --lint-fatal. The commands that run the evaluation core over history
// or against remote APIs live in rules_run_main.cc.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/lint/unit_test_runner.h"
#include "rules/rule_file.h"
#include "storage/model/labels.h"
#include "storage/util/log.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"

namespace tally::tools {
namespace {

constexpr int kExitLintFatal = 3;

// Prometheus compat: promtool's kingpin ExistingFiles check runs before anything else.
bool CheckFilesExist(const std::vector<std::string>& files) {
  for (const std::string& f : files) {
    std::error_code ec;
    if (!std::filesystem::exists(f, ec)) {
      std::fprintf(stderr, "tally: error: path '%s' does not exist, try --help\n", f.c_str());
      return false;
    }
  }
  return true;
}

// promtool's checkDuplicates: rules (recording or alerting) with the same name and labels.
std::string DuplicateRulesMessage(const rules::RuleFileSpec& spec) {
  struct Key {
    std::string metric;
    storage::Labels labels;
    bool operator<(const Key& o) const {
      return metric != o.metric ? metric < o.metric : labels < o.labels;
    }
    bool operator==(const Key& o) const { return metric == o.metric && labels == o.labels; }
  };
  std::vector<Key> keys;
  for (const rules::GroupSpec& g : spec.groups) {
    for (const rules::RuleSpec& r : g.rules) {
      std::vector<storage::Label> ls;
      for (const auto& [k, v] : r.labels) ls.push_back({k, v});
      keys.push_back({r.alert.empty() ? r.record : r.alert,
                      storage::Labels::FromUnsorted(std::move(ls))});
    }
  }
  std::vector<Key> dups;
  if (keys.size() >= 2) {
    std::stable_sort(keys.begin(), keys.end());
    for (size_t i = 1; i < keys.size(); ++i) {
      if (keys[i - 1] == keys[i] && (dups.empty() || !(dups.back() == keys[i]))) {
        dups.push_back(keys[i]);
      }
    }
  }
  if (dups.empty()) return "";
  std::string msg = absl::StrCat("lint error ", dups.size(), " duplicate rule(s) found.\n");
  for (const Key& d : dups) {
    absl::StrAppend(&msg, "Metric: ", d.metric, "\nLabel(s):\n");
    for (const auto& l : d.labels) absl::StrAppend(&msg, "\t", l.name, ": ", l.value, "\n");
  }
  absl::StrAppend(&msg, "Might cause inconsistency while recording expressions");
  return msg;
}

int RunCheck(std::vector<std::string> args) {
  std::string lint = "duplicate-rules";
  bool lint_fatal = false;
  FlagSet flags("tally rules check [<flags>] FILE...",
                "Check if the rule files are valid or not (like promtool check rules).");
  flags.String("lint", &lint,
               "Linting checks to apply. Available options are: all, duplicate-rules, none.");
  flags.Bool("lint-fatal", &lint_fatal, "Make lint errors exit with exit code 3.");
  std::vector<std::string> files;
  if (int rc = ParseFlagsOrExit(flags, args, &files); rc >= 0) return rc;
  if (lint != "all" && lint != "duplicate-rules" && lint != "none") {
    std::fprintf(stderr, "tally: error: invalid value \"%s\" for flag '--lint', try --help\n",
                 lint.c_str());
    return kExitUsage;
  }
  if (files.empty()) {
    std::fprintf(stderr, "tally: error: required argument 'rule-files' not provided, try --help\n");
    return kExitUsage;
  }
  if (!CheckFilesExist(files)) return kExitFailure;
  bool failed = false, has_errors = false;
  for (const std::string& f : files) {
    std::printf("Checking %s\n", f.c_str());
    std::fflush(stdout);
    rules::ParsedRuleFile parsed = rules::LoadRuleFile(f);
    std::vector<std::string> errs = parsed.errors;
    bool lint_only = false;
    if (errs.empty() && lint != "none") {
      if (std::string m = DuplicateRulesMessage(parsed.spec); !m.empty()) {
        errs.push_back(m);
        lint_only = true;
      }
    }
    if (!errs.empty()) {
      std::fprintf(stderr, "  FAILED:\n");
      for (const std::string& e : errs) std::fprintf(stderr, "%s\n", e.c_str());
      failed = true;
      has_errors = has_errors || !lint_only;
    } else {
      size_t n = 0;
      for (const rules::GroupSpec& g : parsed.spec.groups) n += g.rules.size();
      std::printf("  SUCCESS: %zu rules found\n", n);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  if (failed && has_errors) return kExitFailure;
  if (failed && lint_fatal) return kExitLintFatal;
  return kExitOk;
}

int RunTest(std::vector<std::string> args) {
  FlagSet flags("tally rules test FILE...",
                "Unit tests for rules in promtool's test format (like promtool test rules).");
  std::vector<std::string> files;
  if (int rc = ParseFlagsOrExit(flags, args, &files); rc >= 0) return rc;
  if (files.empty()) {
    std::fprintf(stderr, "tally: error: required argument 'test-rule-file' not provided, try --help\n");
    return kExitUsage;
  }
  if (!CheckFilesExist(files)) return kExitFailure;
  // promtool runs rule groups with a no-op logger: evaluation failures are reported in
  // the test output, not as log lines (unless --log.level asks for them).
  if (log::GetLevel() == log::Level::kInfo) log::SetLevel(log::Level::kError);
  bool failed = false;
  for (const std::string& f : files) {
    std::printf("Unit Testing:  %s\n", f.c_str());
    std::fflush(stdout);
    rules::UnitTestResult r = rules::RunRuleUnitTests(f);
    for (const std::string& w : r.warnings) std::fprintf(stderr, "%s\n", w.c_str());
    if (!r.errors.empty()) {
      std::fprintf(stderr, "  FAILED:\n");
      for (const std::string& e : r.errors) {
        std::fprintf(stderr, "%s\n", e.c_str());
        std::printf("\n");
      }
      failed = true;
    } else {
      std::printf("  SUCCESS\n");
    }
    std::printf("\n");
    std::fflush(stdout);
    std::fflush(stderr);
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("rules check", "Check rule files (like promtool check rules).", RunCheck);
TALLY_REGISTER_COMMAND("rules test", "Run rule unit tests (like promtool test rules).", RunTest);

}  // namespace tally::tools
