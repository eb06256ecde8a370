#include "tools/rules_lint_remote.h"
// Placeholder until the HTTP client lands (see rules-notifier); replaced below.
namespace tally::tools {
RemoteSnapshot::~RemoteSnapshot() = default;
absl::StatusOr<std::unique_ptr<RemoteSnapshot>> FetchRemoteSnapshot(
    const std::string&, const std::vector<rules::lint::LintFile>&,
    const rules::lint::LintOptions&) {
  return absl::UnimplementedError("--url is not supported yet");
}
}  // namespace tally::tools
