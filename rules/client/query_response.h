// Reading Prometheus's HTTP query API (GET/POST /api/v1/query) as a client: the request's
// time parameter and the response JSON, for the remote evaluation backend.
//
// Response shapes handled (Prometheus 2.42 web/api/v1, also served by Thanos, Mimir and
// VictoriaMetrics):
//   {"status":"success","data":{"resultType":"vector",
//      "result":[{"metric":{"__name__":"up","job":"x"},"value":[1700000000.123,"1"]}]}}
//   {"status":"success","data":{"resultType":"scalar","result":[1700000000.123,"NaN"]}}
//   {"status":"error","errorType":"bad_data","error":"1:5: parse error: ..."}
// Sample values are JSON strings in Go's float syntax, including "NaN", "+Inf", "-Inf";
// timestamps are float seconds. "warnings" are ignored.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "promql/value.h"

namespace tally::rules {

// Prometheus's API time parameter for t_ms: seconds with millisecond decimals,
// "1700000000.123", "-1.500", "0.000".
std::string FormatApiTime(int64_t t_ms);

// Parses an instant-query response. A scalar becomes a one-element Vector with empty
// labels (as the rule engine treats scalar rule results). Errors:
//  - status "error": the API's `error` text, with the code chosen by errorType:
//    bad_data -> InvalidArgument, execution -> FailedPrecondition, timeout ->
//    DeadlineExceeded, canceled/unavailable -> Unavailable, others -> Internal;
//  - resultType string or matrix: InvalidArgument "rule result is not a vector or scalar";
//  - a non-JSON or malformed body: Unavailable "server returned HTTP status <status>" when
//    the HTTP status is not 2xx (a proxy's error page), else Internal naming what is
//    malformed.
absl::StatusOr<promql::Vector> ParseQueryResponse(int http_status, absl::string_view status_text,
                                                  absl::string_view body);

}  // namespace tally::rules
