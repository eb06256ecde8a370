#include "server/api/api_error.h"

#include "server/api/json_builder.h"

namespace tally::server::api {

const char* ErrorTypeString(ErrorType t) {
  switch (t) {
    case ErrorType::kBadData: return "bad_data";
    case ErrorType::kExecution: return "execution";
    case ErrorType::kCanceled: return "canceled";
    case ErrorType::kTimeout: return "timeout";
    case ErrorType::kInternal: return "internal";
    case ErrorType::kUnavailable: return "unavailable";
    case ErrorType::kNotFound: return "not_found";
  }
  return "internal";
}

int DefaultHttpStatus(ErrorType t) {
  switch (t) {
    case ErrorType::kBadData: return 400;
    case ErrorType::kExecution: return 422;
    // Prometheus compat: 2.42 answers canceled queries with 503 like timeouts
    // (shared/compliance/HTTP_API.md); 2.43+ and 3.x use 499 (docs/compatibility.md).
    case ErrorType::kCanceled: return 503;
    case ErrorType::kTimeout: return 503;
    case ErrorType::kInternal: return 500;
    case ErrorType::kUnavailable: return 503;
    case ErrorType::kNotFound: return 404;
  }
  return 500;
}

ApiErrorInfo ClassifyStatus(const absl::Status& status) {
  ErrorType t;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      t = ErrorType::kBadData;
      break;
    case absl::StatusCode::kDeadlineExceeded:
      t = ErrorType::kTimeout;
      break;
    case absl::StatusCode::kCancelled:
      t = ErrorType::kCanceled;
      break;
    case absl::StatusCode::kNotFound:
      t = ErrorType::kNotFound;
      break;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      t = ErrorType::kInternal;
      break;
    case absl::StatusCode::kUnavailable:
      t = ErrorType::kUnavailable;
      break;
    case absl::StatusCode::kUnimplemented:
      // The compliance tester counts an error mentioning 501 as "unsupported".
      return {ErrorType::kExecution, 501};
    default:
      t = ErrorType::kExecution;
      break;
  }
  return {t, DefaultHttpStatus(t)};
}

std::string ErrorBody(ErrorType type, absl::string_view message) {
  JsonBuilder j;
  j.Raw("{\"status\":\"error\",\"errorType\":");
  j.String(ErrorTypeString(type));
  j.Raw(",\"error\":");
  j.String(message);
  j.Raw("}");
  return j.Release();
}

}  // namespace tally::server::api
