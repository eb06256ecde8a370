// The only main(): dispatches `tally CMD [CMD2] args...` to a registered command (see
// tools/cli/command.h), and handles `tally --help` and `tally --version`.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/cli/command.h"

#ifndef TALLY_VERSION
#define TALLY_VERSION "0.1.0"
#endif
#ifndef TALLY_GIT_BRANCH
#define TALLY_GIT_BRANCH "unknown"
#endif
#ifndef TALLY_GIT_REVISION
#define TALLY_GIT_REVISION "unknown"
#endif

namespace tally::tools {

std::vector<Command>& CommandRegistry() {
  static auto* registry = new std::vector<Command>();
  return *registry;
}

namespace {

std::vector<Command> SortedCommands() {
  std::vector<Command> cmds = CommandRegistry();
  std::sort(cmds.begin(), cmds.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  return cmds;
}

std::string Usage() {
  std::string out =
      "usage: tally [<flags>] <command> [<args> ...]\n\n"
      "Tally, a Prometheus-compatible time-series engine.\n\n"
      "Flags:\n"
      "  -h, --help     Show context-sensitive help (also: tally <command> --help).\n"
      "      --version  Show application version.\n\n"
      "Commands:\n";
  size_t width = 0;
  for (const Command& c : CommandRegistry()) width = std::max(width, c.name.size());
  for (const Command& c : SortedCommands()) {
    absl::StrAppend(&out, "  ", c.name, std::string(width - c.name.size() + 3, ' '), c.summary,
                    "\n");
  }
  absl::StrAppend(&out,
                  "\nExit codes: 0 ok, 1 the operation failed, 2 bad flags or arguments, "
                  "130 interrupted.\n");
  return out;
}

std::string Version() {
  std::string compiler = "unknown";
#if defined(__clang__)
  compiler = absl::StrCat("clang ", __clang_major__, ".", __clang_minor__, ".",
                          __clang_patchlevel__);
#elif defined(__GNUC__)
  compiler = absl::StrCat("g++ ", __GNUC__, ".", __GNUC_MINOR__, ".", __GNUC_PATCHLEVEL__);
#endif
  // Prometheus compat: the layout of `prometheus --version`; "go version" becomes the
  // compiler and C++ standard.
  return absl::StrCat("tally, version ", TALLY_VERSION, " (branch: ", TALLY_GIT_BRANCH,
                      ", revision: ", TALLY_GIT_REVISION, ")\n",
                      "  build date:       ", __DATE__, " ", __TIME__, "\n",
                      "  compiler:         ", compiler, " (C++", __cplusplus / 100 % 100, ")\n",
                      "  platform:         linux/",
#if defined(__x86_64__)
                      "amd64",
#elif defined(__aarch64__)
                      "arm64",
#else
                      "unknown",
#endif
                      "\n");
}

int Main(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(Usage().c_str(), stderr);
    std::fputs("\ntally: error: expected command\n", stderr);
    return kExitUsage;
  }
  const std::string& first = args[0];
  if (first == "--help" || first == "-h" || first == "help") {
    if (first == "help" && args.size() > 1) {
      std::vector<std::string> rest(args.begin() + 1, args.end());
      rest.push_back("--help");
      return Main(rest);
    }
    std::fputs(Usage().c_str(), stdout);
    return kExitOk;
  }
  if (first == "--version") {
    std::fputs(Version().c_str(), stdout);
    return kExitOk;
  }
  // Longest match: "tsdb analyze" before a hypothetical "tsdb".
  const Command* best = nullptr;
  size_t best_words = 0;
  for (const Command& c : CommandRegistry()) {
    std::vector<std::string> words = absl::StrSplit(c.name, ' ');
    if (words.size() > args.size() || words.size() <= best_words) continue;
    if (std::equal(words.begin(), words.end(), args.begin())) {
      best = &c;
      best_words = words.size();
    }
  }
  if (best != nullptr) {
    return best->run(std::vector<std::string>(args.begin() + best_words, args.end()));
  }
  if (absl::StartsWith(first, "-")) {
    std::fprintf(stderr, "tally: error: unknown flag '%s', try --help\n", first.c_str());
    return kExitUsage;
  }
  std::vector<std::string> subs;
  for (const Command& c : SortedCommands()) {
    if (absl::StartsWith(c.name, first + " ")) subs.push_back(c.name.substr(first.size() + 1));
  }
  if (!subs.empty()) {
    const std::string got = args.size() > 1 ? absl::StrCat(" \"", args[1], "\"") : "";
    std::fprintf(stderr, "tally: error: expected one of [%s] after '%s'%s%s, try --help\n",
                 absl::StrJoin(subs, ", ").c_str(), first.c_str(),
                 got.empty() ? "" : ", got", got.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "tally: error: unknown command \"%s\", try --help\n", first.c_str());
  return kExitUsage;
}

}  // namespace
}  // namespace tally::tools

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return tally::tools::Main(args);
}
