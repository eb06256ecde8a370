// Subcommand registry for the single `tally` binary. Each tools/*_main.cc registers its
// commands with TALLY_REGISTER_COMMAND at static-init time (tools/ sources are linked
// straight into the executable, so the registrars are never dropped), and tally_main.cc
// dispatches on argv. A command returns the process exit code.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tally::tools {

// Exit codes scripts can trust (documented in README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // the operation failed (bad data, I/O, query error)
inline constexpr int kExitUsage = 2;     // bad flags or arguments
inline constexpr int kExitInterrupted = 130;

struct Command {
  std::string name;      // "backfill", or "tsdb analyze" for a two-word command
  std::string summary;   // one line for `tally --help`
  std::function<int(std::vector<std::string> args)> run;  // args after the command words
};

std::vector<Command>& CommandRegistry();

struct CommandRegistrar {
  explicit CommandRegistrar(Command c) { CommandRegistry().push_back(std::move(c)); }
};

#define TALLY_CMD_CONCAT_INNER_(a, b) a##b
#define TALLY_CMD_CONCAT_(a, b) TALLY_CMD_CONCAT_INNER_(a, b)
#define TALLY_REGISTER_COMMAND(name, summary, fn)                                   \
  static ::tally::tools::CommandRegistrar TALLY_CMD_CONCAT_(tally_cmd_, __LINE__)( \
      ::tally::tools::Command{name, summary, fn})

}  // namespace tally::tools
