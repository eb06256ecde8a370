// `tally rules backfill`: recording rules over a past window into a data dir, through
// LocalBackend (like promtool tsdb create-blocks-from rules), with the same RuleGroup code
// as the server.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/local_backend.h"
#include "rules/rule_manager.h"
#include "server/api/params.h"
#include "storage/db.h"
#include "storage/util/log.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"
#include "tools/cli/signals.h"

namespace tally::tools {
namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tally: error: %s\n", msg.c_str());
  return kExitFailure;
}

int RunBackfill(std::vector<std::string> args) {
  std::string path = "data/", start_s, end_s;
  absl::Duration eval_interval = absl::Seconds(60);
  FlagSet flags(
      "tally rules backfill --storage.tsdb.path DIR --start T [--end T] FILE...",
      "Evaluate the recording rules of FILE... at every --eval-interval step of [start, end] and\n"
      "store the results in the data dir (like promtool tsdb create-blocks-from rules).\n"
      "Groups are evaluated in order at each step, so a rule may read the output of an\n"
      "earlier rule. Alerting rules are skipped. The dir must not be in use by a server.");
  flags.String("storage.tsdb.path", &path, "Data dir to read the source series from and write to.");
  flags.String("start", &start_s, "Start of the window: RFC3339 or Unix seconds. Required.");
  flags.String("end", &end_s, "End of the window: RFC3339 or Unix seconds. Default: 3h ago.");
  flags.Duration("eval-interval", &eval_interval, "Step between evaluations.");
  std::vector<std::string> files;
  if (int rc = ParseFlagsOrExit(flags, args, &files); rc >= 0) return rc;
  if (files.empty() || start_s.empty()) {
    std::fprintf(stderr, "tally: error: --start and at least one rule file are required, try --help\n");
    return kExitUsage;
  }
  absl::StatusOr<int64_t> start = server::api::ParseTimeMs(start_s);
  absl::StatusOr<int64_t> end = end_s.empty()
                                    ? absl::StatusOr<int64_t>(absl::ToUnixMillis(absl::Now() - absl::Hours(3)))
                                    : server::api::ParseTimeMs(end_s);
  if (!start.ok()) return Fail(absl::StrCat("invalid --start: ", start.status().message()));
  if (!end.ok()) return Fail(absl::StrCat("invalid --end: ", end.status().message()));
  if (*end < *start) return Fail("--end is before --start");
  if (eval_interval <= absl::ZeroDuration()) return Fail("--eval-interval must be positive");

  storage::DBOptions dbo;
  dbo.path = path;
  dbo.retention_check_interval_ms = 0;
  // One commit per rule and step: durability comes from the Flush() at the end (an
  // interrupted backfill is simply re-run), not from an fsync per commit.
  dbo.sync_commits = false;
  absl::StatusOr<std::unique_ptr<storage::DB>> db = storage::DB::Open(dbo);
  if (!db.ok()) return Fail(std::string(db.status().message()));
  promql::QueryOptions qo;
  qo.default_subquery_step_ms = absl::ToInt64Milliseconds(eval_interval);
  rules::LocalBackend backend(db->get(), qo);
  rules::RuleGroupOptions go;
  go.backend = &backend;
  rules::RuleLoadConfig lc;
  lc.default_interval = eval_interval;
  lc.files = files;
  rules::LoadedGroups loaded = rules::LoadGroups(lc, go, /*restored=*/true, /*only_recording=*/true);
  if (!loaded.errors.empty()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitFailure;
  }
  InstallInterruptHandler();
  const int64_t step = absl::ToInt64Milliseconds(eval_interval);
  int64_t steps = 0, failures = 0;
  for (int64_t t = *start; t <= *end; t += step) {
    if (Interrupted()) {
      (*db)->Flush().IgnoreError();
      return kExitInterrupted;
    }
    for (auto& g : loaded.groups) {
      g->Eval(absl::FromUnixMillis(t));
      for (const auto& r : g->rules()) failures += r->status().health == rules::RuleHealth::kBad;
    }
    ++steps;
  }
  if (absl::Status s = (*db)->Flush(); !s.ok()) return Fail(std::string(s.message()));
  const rules::LocalBackendStats st = backend.Stats();
  std::printf("evaluated %lld steps of %zu groups: %lld samples stored, %lld rejected "
              "(out of order %lld, duplicate %lld, too old %lld), %lld failed rule evaluations\n",
              static_cast<long long>(steps), loaded.groups.size(),
              static_cast<long long>(st.appended),
              static_cast<long long>(st.rejected_out_of_order + st.rejected_duplicate +
                                     st.rejected_too_old),
              static_cast<long long>(st.rejected_out_of_order),
              static_cast<long long>(st.rejected_duplicate),
              static_cast<long long>(st.rejected_too_old), static_cast<long long>(failures));
  return failures > 0 ? kExitFailure : kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("rules backfill",
                       "Evaluate recording rules over past data and store the results.",
                       RunBackfill);

}  // namespace tally::tools
