// The Alertmanager API v2 request body (POST /api/v2/alerts): a JSON array of
// PostableAlert objects, as Prometheus 2.42's notifier marshals them:
//
//   [{"annotations":{"summary":"..."},"endsAt":"2026-12-01T03:00:00.000Z",
//     "generatorURL":"http://.../graph?g0.expr=...","labels":{"alertname":"X",...},
//     "startsAt":"2026-12-01T02:55:00.000Z"}]
//
// - labels is always present (an object, possibly empty); annotations and generatorURL
//   are omitted when empty (omitempty in the OpenAPI model);
// - startsAt/endsAt are RFC 3339 with exactly three fractional digits, truncated as Go's
//   time.Format("2006-01-02T15:04:05.000Z07:00") does (go-openapi strfmt.DateTime), in
//   UTC; an unset time (InfinitePast) is omitted, and Alertmanager then uses "now";
// - strings are JSON-escaped; invalid UTF-8 is replaced with U+FFFD as Go's encoding/json
//   does.
// Key order within an object does not matter to Alertmanager; we emit keys sorted.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "rules/notifier/notifier.h"

namespace tally::rules {

// "2006-01-02T15:04:05.000Z" in UTC, fractional seconds truncated to milliseconds.
std::string FormatRfc3339Millis(absl::Time t);

std::string EncodeAlertsV2(const std::vector<NotifierAlert>& alerts);

}  // namespace tally::rules
