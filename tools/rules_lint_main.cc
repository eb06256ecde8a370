// `tally rules lint`: evaluates rule files over stored data and prints what promtool cannot
// tell: rules that return nothing and why, latent many-to-many errors, counter functions
// over gauges, and more (rules/lint/rule_linter.h). One finding per line on stdout,
// compiler style; exit 0 without errors (warnings allowed), 1 with errors, 2 on bad usage.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "rules/lint/remote_snapshot.h"
#include "rules/lint/rule_file_adapter.h"
#include "rules/lint/rule_linter.h"
#include "rules/rule_file.h"
#include "server/api/params.h"
#include "storage/db.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"
#include "tools/cli/progress.h"

namespace tally::tools {
namespace {

int Usage(const std::string& msg) {
  std::fprintf(stderr, "tally: error: %s, try --help\n", msg.c_str());
  return kExitUsage;
}

int RunRulesLint(std::vector<std::string> args) {
  std::string path = "data/", url, time_s;
  absl::Duration window = absl::Hours(24), interval = absl::Minutes(1), lookback = absl::Minutes(5);
  FlagSet flags(
      "tally rules lint [<flags>] FILE...",
      "Evaluate rule files group by group over stored data (recording results feed later\n"
      "rules) and report, one line per finding (FILE:LINE: error|warning: RULE: message):\n"
      "parse errors, rules that return nothing and why, many-to-many errors a comparison\n"
      "hides today, rate() over gauges, histogram_quantile() without le, templates using\n"
      "labels the expression cannot produce, for < interval, short ranges, rule names.\n"
      "Exit 0 without errors (warnings allowed), 1 with errors, 2 on bad usage.");
  flags.String("storage.tsdb.path", &path, "Data dir to lint against (opened read-only).");
  flags.String("url", &url,
               "Lint against a Prometheus-compatible server instead of a data dir: the series\n"
               "the rules read are fetched over its /api/v1 query API.");
  flags.String("time", &time_s,
               "End of the evaluated window, RFC 3339 or Unix seconds (default: the newest\n"
               "sample).");
  flags.Duration("window", &window, "How much data before --time the rules are evaluated over.");
  flags.Duration("evaluation-interval", &interval,
                 "Interval of groups without `interval` (Prometheus's global default).");
  flags.Duration("query.lookback-delta", &lookback,
                 "How far back an instant selector looks for a sample.");
  std::vector<std::string> files;
  if (int rc = ParseFlagsOrExit(flags, args, &files); rc >= 0) return rc;
  if (files.empty()) return Usage("expected at least one rule FILE");
  if (window <= absl::ZeroDuration()) return Usage("--window must be positive");
  if (interval <= absl::ZeroDuration()) return Usage("--evaluation-interval must be positive");
  for (const std::string& a : args) {
    if (!url.empty() && (a == "--storage.tsdb.path" || a.rfind("--storage.tsdb.path=", 0) == 0)) {
      return Usage("--url and --storage.tsdb.path are mutually exclusive");
    }
  }
  rules::lint::LintOptions opts;
  opts.window_ms = absl::ToInt64Milliseconds(window);
  opts.default_interval_ms = absl::ToInt64Milliseconds(interval);
  opts.lookback_delta_ms = absl::ToInt64Milliseconds(lookback);
  if (!time_s.empty()) {
    absl::StatusOr<int64_t> t = server::api::ParseTimeMs(time_s);
    if (!t.ok()) return Usage(absl::StrCat("invalid --time: ", t.status().message()));
    opts.time_ms = *t;
  }

  // Rule files: the parser's validation errors are findings; the rest is linted.
  std::vector<rules::lint::Finding> findings;
  std::vector<rules::lint::LintFile> lint_files;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "tally: error: open %s: no such file or directory\n", f.c_str());
      return kExitFailure;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string content = ss.str();
    if (static_cast<int64_t>(content.size()) > rules::kMaxRuleFileBytes) {
      std::fprintf(stderr, "tally: error: %s: larger than %lld bytes\n", f.c_str(),
                   static_cast<long long>(rules::kMaxRuleFileBytes));
      return kExitFailure;
    }
    rules::ParsedRuleFile parsed = rules::ParseRuleFile(content, f);
    lint_files.push_back(rules::lint::ToLintFile(parsed, content, f, &findings));
  }

  // The data: a data dir opened read-only, or a snapshot fetched from a server.
  std::unique_ptr<storage::DB> db;
  std::unique_ptr<rules::lint::RemoteSnapshot> snapshot;
  if (!url.empty()) {
    absl::StatusOr<std::unique_ptr<rules::lint::RemoteSnapshot>> s =
        rules::lint::RemoteSnapshot::Fetch(url, lint_files, opts);
    if (!s.ok()) {
      std::fprintf(stderr, "tally: error: %s: %s\n", url.c_str(),
                   std::string(s.status().message()).c_str());
      return kExitFailure;
    }
    snapshot = std::move(*s);
  } else {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      std::fprintf(stderr, "tally: error: opening %s: no such data dir\n", path.c_str());
      return kExitFailure;
    }
    storage::DBOptions dbo;
    dbo.path = path;
    dbo.read_only = true;  // no lock, no writes: works beside a running `tally serve`
    absl::StatusOr<std::unique_ptr<storage::DB>> opened = storage::DB::Open(dbo);
    if (!opened.ok()) {
      std::fprintf(stderr, "tally: error: opening %s: %s\n", path.c_str(),
                   std::string(opened.status().message()).c_str());
      return kExitFailure;
    }
    db = std::move(*opened);
  }
  storage::DB* source = snapshot ? snapshot->db() : db.get();
  if (snapshot) opts.time_ms = snapshot->end_ms();

  absl::StatusOr<rules::lint::LintResult> res = rules::lint::Lint(lint_files, source, opts);
  if (!res.ok()) {
    std::fprintf(stderr, "tally: error: %s\n", std::string(res.status().message()).c_str());
    return kExitFailure;
  }
  findings.insert(findings.end(), res->findings.begin(), res->findings.end());
  int errors = 0, warnings = 0;
  for (const rules::lint::Finding& f : findings) {
    std::printf("%s\n", rules::lint::FormatFinding(f).c_str());
    (f.severity == rules::lint::Severity::kError ? errors : warnings)++;
  }
  std::fflush(stdout);
  std::fprintf(stderr, "linted %d rules in %zu files over %s .. %s: %d errors, %d warnings\n",
               res->rules, files.size(), FormatTimeMs(res->start_ms).c_str(),
               FormatTimeMs(res->end_ms).c_str(), errors, warnings);
  return errors > 0 ? kExitFailure : kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("rules lint",
                       "Evaluate rule files over stored data and report what promtool cannot.",
                       RunRulesLint);

}  // namespace tally::tools
