// ApiError: the one table mapping an absl::Status to Prometheus's API errorType and HTTP
// status code, and the JSON error envelope. Pure functions; thread-safe.
//
//   InvalidArgument, OutOfRange            -> bad_data   400
//   DeadlineExceeded                       -> timeout    503
//   Cancelled                              -> canceled   499  (2.42 says 503; 2.43+ 499)
//   NotFound                               -> not_found  404
//   Internal, DataLoss, Unknown            -> internal   500
//   Unavailable                            -> unavailable 503 (retry can help)
//   Unimplemented                          -> execution  501 (compliance tester: "unsupported")
//   everything else (ResourceExhausted, FailedPrecondition, ...) -> execution 422
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tally::server::api {

enum class ErrorType {
  kBadData,
  kExecution,
  kCanceled,
  kTimeout,
  kInternal,
  kUnavailable,
  kNotFound,
};

struct ApiErrorInfo {
  ErrorType type;
  int http_status;
};

ApiErrorInfo ClassifyStatus(const absl::Status& status);
const char* ErrorTypeString(ErrorType t);
int DefaultHttpStatus(ErrorType t);

// {"status":"error","errorType":"<type>","error":"<message>"} with Go's HTML-safe escaping.
std::string ErrorBody(ErrorType type, absl::string_view message);

}  // namespace tally::server::api
