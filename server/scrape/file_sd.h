// File service discovery's file format (Prometheus 2.42 discovery/file): a JSON (.json) or
// YAML (.yml/.yaml) list of target groups
//   [{"targets": ["host:9100", ...], "labels": {"env": "prod"}}, ...]
// Each target becomes {__address__: target}; each group gets __meta_filepath = the path and
// the source "<path>:<index>". Pure functions (ReadFileSD does one read); thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/scrape/target.h"

namespace tally::server::scrape {

// A file SD file larger than this is an error (Tally's limit; Prometheus has none).
inline constexpr size_t kMaxFileSDBytes = size_t{64} << 20;

// Parses `content` as the format `path`'s extension names. InvalidArgument for syntax
// errors, unknown keys (YAML is strict, as Prometheus's yaml.UnmarshalStrict), wrong types,
// invalid label names ("\"1a\" is not a valid label name"), null groups ("nil target group
// item found") and unknown extensions.
absl::StatusOr<std::vector<TargetGroup>> ParseFileSD(const std::string& path,
                                                     absl::string_view content);

// Reads (at most kMaxFileSDBytes) and parses `path`. NotFound / Unavailable for I/O errors.
absl::StatusOr<std::vector<TargetGroup>> ReadFileSD(const std::string& path);

}  // namespace tally::server::scrape
