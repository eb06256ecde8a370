// Status propagation macros. Abseil's public release has no RETURN_IF_ERROR /
// ASSIGN_OR_RETURN, so Tally defines its own. Both evaluate their argument once.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TALLY_STATUS_CONCAT_INNER_(a, b) a##b
#define TALLY_STATUS_CONCAT_(a, b) TALLY_STATUS_CONCAT_INNER_(a, b)

// RETURN_IF_ERROR(expr): returns the status of `expr` from the enclosing function if not ok.
#define RETURN_IF_ERROR(expr)                                        \
  do {                                                               \
    ::absl::Status tally_status_ = (expr);                           \
    if (!tally_status_.ok()) return tally_status_;                   \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): `lhs = *expr` when ok, else returns expr's status.
// `lhs` may be a declaration (`auto x`, `std::unique_ptr<T> y`).
#define ASSIGN_OR_RETURN(lhs, expr) \
  TALLY_ASSIGN_OR_RETURN_IMPL_(TALLY_STATUS_CONCAT_(tally_statusor_, __LINE__), lhs, expr)

#define TALLY_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
