#include "tools/cli/flag_set.h"

#include <charconv>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/util/duration.h"
#include "storage/util/log.h"
#include "tools/cli/command.h"

namespace tally::tools {

FlagSet::FlagSet(std::string usage, std::string description)
    : usage_(std::move(usage)), description_(std::move(description)) {
  String("log.level", &log_level_,
         "Only log messages with the given severity or above. One of: [debug, info, warn, "
         "error]");
  String("log.format", &log_format_, "Output format of log messages. One of: [logfmt, json]");
}

void FlagSet::Add(const std::string& name, Kind kind, void* dst, const std::string& help,
                  std::string default_text) {
  flags_.push_back(Flag{name, kind, dst, help, std::move(default_text)});
}

void FlagSet::String(const std::string& name, std::string* dst, const std::string& help) {
  Add(name, Kind::kString, dst, help, dst->empty() ? "" : absl::StrCat("\"", *dst, "\""));
}
void FlagSet::StringList(const std::string& name, std::vector<std::string>* dst,
                         const std::string& help) {
  Add(name, Kind::kStringList, dst, help, "");
}
void FlagSet::Int(const std::string& name, int64_t* dst, const std::string& help) {
  Add(name, Kind::kInt, dst, help, absl::StrCat(*dst));
}
void FlagSet::Double(const std::string& name, double* dst, const std::string& help) {
  Add(name, Kind::kDouble, dst, help, absl::StrCat(*dst));
}
void FlagSet::Bool(const std::string& name, bool* dst, const std::string& help) {
  Add(name, Kind::kBool, dst, help, *dst ? "true" : "");
}
void FlagSet::Duration(const std::string& name, absl::Duration* dst, const std::string& help) {
  Add(name, Kind::kDuration, dst, help,
      storage::FormatDurationMs(absl::ToInt64Milliseconds(*dst)));
}

const FlagSet::Flag* FlagSet::Find(const std::string& name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::Status FlagSet::Set(const Flag& f, const std::string& value) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", value, "\" for flag '--", f.name, "': ", why));
  };
  switch (f.kind) {
    case Kind::kString:
      *static_cast<std::string*>(f.dst) = value;
      return absl::OkStatus();
    case Kind::kStringList:
      static_cast<std::vector<std::string>*>(f.dst)->push_back(value);
      return absl::OkStatus();
    case Kind::kInt: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return bad("expected an integer");
      *static_cast<int64_t*>(f.dst) = v;
      return absl::OkStatus();
    }
    case Kind::kDouble: {
      double v = 0;
      if (!absl::SimpleAtod(value, &v)) return bad("expected a number");
      *static_cast<double*>(f.dst) = v;
      return absl::OkStatus();
    }
    case Kind::kBool: {
      if (value == "true" || value == "1") {
        *static_cast<bool*>(f.dst) = true;
      } else if (value == "false" || value == "0") {
        *static_cast<bool*>(f.dst) = false;
      } else {
        return bad("expected true or false");
      }
      return absl::OkStatus();
    }
    case Kind::kDuration: {
      absl::StatusOr<int64_t> ms = storage::ParseDurationMs(value);
      if (!ms.ok()) return bad(ms.status().message());
      *static_cast<absl::Duration*>(f.dst) = absl::Milliseconds(*ms);
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown flag kind");
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  absl::Status first_error;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (a == "--help" || a == "-h") {
      help_requested_ = true;
      continue;
    }
    if (a.size() < 2 || a[0] != '-' || a == "-") {
      positional.push_back(a);
      continue;
    }
    if (!first_error.ok()) continue;
    if (a[1] != '-') {
      first_error = absl::InvalidArgumentError(absl::StrCat("unknown short flag '", a, "'"));
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const Flag* f = Find(name);
    if (f == nullptr && !has_value && absl::StartsWith(name, "no-")) {
      const Flag* neg = Find(name.substr(3));
      if (neg != nullptr && neg->kind == Kind::kBool) {
        *static_cast<bool*>(neg->dst) = false;
        continue;
      }
    }
    if (f == nullptr) {
      first_error = absl::InvalidArgumentError(absl::StrCat("unknown long flag '--", name, "'"));
      continue;
    }
    if (!has_value) {
      if (f->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        first_error =
            absl::InvalidArgumentError(absl::StrCat("expected argument for flag '--", name, "'"));
        continue;
      }
    }
    if (absl::Status s = Set(*f, value); !s.ok()) first_error = s;
  }
  if (help_requested_) {
    std::fputs(Help().c_str(), stdout);
    return positional;
  }
  if (!first_error.ok()) return first_error;
  absl::StatusOr<log::Level> level = log::ParseLevel(log_level_);
  if (!level.ok()) return level.status();
  absl::StatusOr<log::Format> format = log::ParseFormat(log_format_);
  if (!format.ok()) return format.status();
  log::SetLevel(*level);
  log::SetFormat(*format);
  return positional;
}

std::string FlagSet::Help() const {
  std::string out = absl::StrCat("usage: ", usage_, "\n\n", description_, "\n\nFlags:\n");
  std::vector<std::pair<std::string, const Flag*>> rows;
  rows.push_back({"-h, --help", nullptr});
  size_t width = rows[0].first.size();
  for (const Flag& f : flags_) {
    std::string left = absl::StrCat("    --", f.name);
    switch (f.kind) {
      case Kind::kBool: break;
      case Kind::kInt: absl::StrAppend(&left, "=INT"); break;
      case Kind::kDouble: absl::StrAppend(&left, "=FLOAT"); break;
      case Kind::kDuration: absl::StrAppend(&left, "=DURATION"); break;
      case Kind::kStringList: absl::StrAppend(&left, "=VALUE ..."); break;
      case Kind::kString: absl::StrAppend(&left, "=VALUE"); break;
    }
    width = std::max(width, left.size());
    rows.push_back({std::move(left), &f});
  }
  for (const auto& [left, f] : rows) {
    absl::StrAppend(&out, "  ", left, std::string(width - left.size() + 2, ' '));
    if (f == nullptr) {
      absl::StrAppend(&out, "Show context-sensitive help.\n");
      continue;
    }
    absl::StrAppend(&out, f->help);
    if (!f->default_text.empty()) absl::StrAppend(&out, " (default: ", f->default_text, ")");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

int ParseFlagsOrExit(FlagSet& flags, const std::vector<std::string>& args,
                     std::vector<std::string>* positional) {
  absl::StatusOr<std::vector<std::string>> pos = flags.Parse(args);
  if (flags.help_requested()) return kExitOk;
  if (!pos.ok()) {
    std::fprintf(stderr, "tally: error: %s, try --help\n",
                 std::string(pos.status().message()).c_str());
    return kExitUsage;
  }
  *positional = std::move(*pos);
  return -1;
}

}  // namespace tally::tools
