// FlagSet: per-command flag parsing in Prometheus's kingpin style (`--name value`,
// `--name=value`, `--no-name` / `--name` for booleans, `--help` or `-h`, `--` ends flags).
// Flags are bound to caller-owned variables; nothing is global. Every FlagSet also carries
// the logging flags `--log.level` (debug|info|warn|error, default info) and `--log.format`
// (logfmt|json, default logfmt), which Parse() validates and applies to storage/util/log.h,
// so every subcommand accepts them. Not thread-safe (used once, in main).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tally::tools {

class FlagSet {
 public:
  // `usage` is the synopsis line, e.g. "tally backfill [flags] FILE|-".
  FlagSet(std::string usage, std::string description);

  // Each binder records the variable's current value as the default shown in Help().
  void String(const std::string& name, std::string* dst, const std::string& help);
  void StringList(const std::string& name, std::vector<std::string>* dst,
                  const std::string& help);  // repeatable
  void Int(const std::string& name, int64_t* dst, const std::string& help);
  void Double(const std::string& name, double* dst, const std::string& help);
  void Bool(const std::string& name, bool* dst, const std::string& help);
  // Prometheus durations: 15d, 1h30m, 500ms, 2w, 1y.
  void Duration(const std::string& name, absl::Duration* dst, const std::string& help);

  // Parses args, filling bound variables; returns the positional arguments. Returns
  // InvalidArgument with a kingpin-like message ("unknown long flag '--x'", "expected
  // argument for flag '--x'", "invalid value \"x\" for flag '--n': ..."). When --help is
  // given, prints Help() to stdout and sets help_requested() (other errors are ignored).
  absl::StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_requested_; }
  std::string Help() const;

 private:
  enum class Kind { kString, kStringList, kInt, kDouble, kBool, kDuration };
  struct Flag {
    std::string name;
    Kind kind;
    void* dst;
    std::string help;
    std::string default_text;
  };
  void Add(const std::string& name, Kind kind, void* dst, const std::string& help,
           std::string default_text);
  const Flag* Find(const std::string& name) const;
  absl::Status Set(const Flag& f, const std::string& value);

  std::string usage_;
  std::string description_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
  std::string log_level_ = "info";
  std::string log_format_ = "logfmt";
};

// The usual prologue of a command: parses `args`; on --help returns kExitOk, on a flag
// error prints "tally: error: <msg>, try --help" to stderr and returns kExitUsage;
// otherwise returns -1 and fills *positional.
int ParseFlagsOrExit(FlagSet& flags, const std::vector<std::string>& args,
                     std::vector<std::string>* positional);

}  // namespace tally::tools
