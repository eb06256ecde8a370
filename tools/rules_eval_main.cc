// `tally rules eval`: the rule evaluator daemon. The same RuleManager as `tally serve`, with
// RemoteBackend (any Prometheus-compatible query API for reads, remote write for recording
// results and ALERTS) and the Notifier for Alertmanager.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rules/alert_sender.h"
#include "rules/client/remote_backend.h"
#include "rules/notifier/notifier.h"
#include "rules/rule_manager.h"
#include "storage/util/log.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"

namespace tally::tools {
namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tally: error: %s\n", msg.c_str());
  return kExitFailure;
}

int RunEval(std::vector<std::string> args) {
  std::string query_url, write_url, external_url;
  std::vector<std::string> am_urls, ext_labels;
  absl::Duration interval = absl::Minutes(1), resend = absl::Minutes(1), timeout = absl::Seconds(30);
  FlagSet flags(
      "tally rules eval --query.url URL --remote-write.url URL [--alertmanager.url URL] FILE...",
      "Evaluate rule files against a Prometheus-compatible query API and write recording\n"
      "results and ALERTS through remote write; alerts go to Alertmanager. Runs until\n"
      "SIGTERM/SIGINT (exit 0); SIGHUP reloads the rule files.");
  flags.String("query.url", &query_url, "Base URL of the query API, e.g. http://127.0.0.1:9090.");
  flags.String("remote-write.url", &write_url,
               "Remote-write endpoint, e.g. http://127.0.0.1:9091/api/v1/write.");
  flags.StringList("alertmanager.url", &am_urls, "Alertmanager base URL (repeatable).");
  flags.Duration("eval-interval", &interval, "Interval of groups that set none.");
  flags.Duration("rules.alert.resend-delay", &resend,
                 "Minimum amount of time to wait before resending an alert to Alertmanager.");
  flags.Duration("query.timeout", &timeout, "Timeout of one query or remote-write request.");
  flags.StringList("external.label", &ext_labels, "name=value added to alerts (repeatable).");
  flags.String("web.external-url", &external_url, "Base of generatorURL and $externalURL.");
  std::vector<std::string> files;
  if (int rc = ParseFlagsOrExit(flags, args, &files); rc >= 0) return rc;
  if (query_url.empty() || write_url.empty() || files.empty()) {
    std::fprintf(stderr, "tally: error: --query.url, --remote-write.url and a rule file are "
                         "required, try --help\n");
    return kExitUsage;
  }
  std::vector<storage::Label> el;
  for (const std::string& kv : ext_labels) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (!storage::IsValidLabelName(p.first)) return Fail("invalid --external.label " + kv);
    el.push_back({p.first, p.second});
  }
  const storage::Labels external = storage::Labels::FromUnsorted(std::move(el));
  if (external_url.empty()) external_url = query_url;
  while (!external_url.empty() && external_url.back() == '/') external_url.pop_back();

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  absl::StatusOr<std::unique_ptr<rules::RemoteBackend>> backend =
      rules::RemoteBackend::Create({query_url, write_url, timeout});
  if (!backend.ok()) return Fail(std::string(backend.status().message()));
  rules::NotifierOptions no;
  no.alertmanager_urls = am_urls;
  no.external_labels = external;
  absl::StatusOr<std::unique_ptr<rules::Notifier>> notifier = rules::Notifier::Start(no);
  if (!notifier.ok()) return Fail(std::string(notifier.status().message()));

  rules::RuleManagerOptions mo;
  mo.backend = backend->get();
  mo.resend_delay = resend;
  mo.notify = rules::NotifierSink(notifier->get(), external_url);
  rules::RuleManager manager(std::move(mo));
  rules::RuleLoadConfig lc;
  lc.default_interval = interval;
  lc.files = files;
  lc.external_labels = external;
  lc.external_url = external_url;
  if (absl::Status s = manager.Update(lc); !s.ok()) return Fail(std::string(s.message()));
  manager.Run();
  TALLY_LOG(kInfo, "Rule evaluation started",
            {{"query_url", query_url}, {"remote_write_url", write_url}, {"files", files.size()}});
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (absl::Status s = manager.Update(lc); !s.ok()) {
        TALLY_LOG(kError, "Reloading rules failed", {{"err", s.message()}});
      }
      continue;
    }
    break;
  }
  manager.Stop();
  (*notifier)->Stop();
  TALLY_LOG(kInfo, "Rule evaluation stopped");
  return kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("rules eval",
                       "Evaluate rules against a remote query API, write via remote write.",
                       RunEval);

}  // namespace tally::tools
