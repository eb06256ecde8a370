// The *time.Time values of alert templates (toTime, humanizeTimestamp): Prometheus
// builds them from model.Time, so they carry milliseconds, always in UTC. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/template/value.h"

namespace tally::rules::tmpl {

// time.Time.String() of a UTC instant: "1970-01-01 00:00:01.5 +0000 UTC" (fraction
// digits only as needed).
std::string FormatGoTimeUtc(int64_t unix_ms);

// time.Time.Format(layout) of a UTC instant: Go's layout elements ("2006-01-02
// 15:04:05.000 MST", "Jan _2", "3:04PM", "Monday", "-07:00", ".999"); other text is copied.
std::string FormatGoLayout(int64_t unix_ms, absl::string_view layout);

// The result of calling the niladic method `name` of a *time.Time at `unix_ms` (Unix,
// UnixMilli, UnixMicro, UnixNano, UTC, String, Year, YearDay, Day, Hour, Minute, Second,
// Nanosecond); NotFound for any other name.
absl::StatusOr<Value> TimeMethod(int64_t unix_ms, absl::string_view name);

}  // namespace tally::rules::tmpl
