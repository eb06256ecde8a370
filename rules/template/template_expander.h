// The Go text/template subset Prometheus 2.42 uses for alerting-rule labels and
// annotations. Each template is evaluated with Prometheus's prelude, so these work:
//   {{ $labels.x }}  {{ $value }}  {{ $externalLabels.x }}  {{ $externalURL }}
//   {{ .Labels.x }}  {{ .Value }}  {{ .ExternalLabels.x }}  {{ .ExternalURL }}
// plus pipelines, parentheses, `printf` (Go fmt verbs %s %d %f %.Nf %g %v %q %x %e),
// the comparison functions eq ne lt le gt ge, and/or/not/len/index, if / else if / else,
// range (over a map or a query result), with, variables ($x := ...), whitespace trimming
// ({{- -}}), comments ({{/* */}}), and Prometheus's functions humanize, humanize1024,
// humanizePercentage, humanizeDuration, humanizeTimestamp, title, toUpper, toLower,
// reReplaceAll, match, label, value, first, strvalue, sortByLabel, safeHtml, args,
// stripPort, stripDomain, pathPrefix, externalURL, query (when a QueryFunc is given).
//
// Output is what Prometheus would produce for the same input, byte for byte (number
// formatting follows Go's %v / strconv.FormatFloat, humanize* follow Prometheus's
// template package); tests/rules/template replays ~600 cases recorded from promtool.
// The full language and the few differences are in docs/rules.md ("Templates"); the
// implementation is split over rules/template/{lexer,parser,executor,go_fmt,...}.
//
// Limits (Prometheus has none): templates up to 1 MiB, output and any one function
// result up to 4 MiB, expressions nested up to 200 deep; beyond them an InvalidArgument.
//
// Thread-safety: safe to call from any thread. Parsed templates and compiled regexps are
// cached internally (bounded), so repeated expansion of the same text only executes it.
// `TemplateData::query` is called synchronously on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "promql/value.h"

namespace tally::rules {

struct TemplateData {
  std::map<std::string, std::string> labels;           // $labels / .Labels
  std::map<std::string, std::string> external_labels;  // $externalLabels
  std::string external_url;                            // $externalURL
  double value = 0;                                    // $value
  // Evaluation time (ms) used by `query`; also the reference for humanizeTimestamp tests.
  int64_t eval_time_ms = 0;
  // Backs the `query` template function; unset = `query` fails with an error.
  std::function<absl::StatusOr<promql::Vector>(absl::string_view expr, int64_t t_ms)> query;
};

// Parses `text` (with the prelude) without executing it: for `tally rules check` and rule
// loading. InvalidArgument with Go's wording, e.g.
//   template: __alert_HighCost:1: unexpected "}" in operand
absl::Status CheckTemplate(absl::string_view name, absl::string_view text);

// Expands `text`. `name` is the template name in messages: Prometheus uses
// "__alert_" + alert name. On failure returns InvalidArgument with Prometheus's wording
//   error executing template __alert_X: template: __alert_X:1:3: executing ...
// The caller (AlertingRule) stores "<error expanding template: " + message + ">" as the
// value, as Prometheus does, and keeps evaluating.
absl::StatusOr<std::string> ExpandTemplate(absl::string_view name, absl::string_view text,
                                           const TemplateData& data);

}  // namespace tally::rules
