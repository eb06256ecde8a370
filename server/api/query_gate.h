// QueryGate: --query.max-concurrency. At most `limit` queries run at once; the others wait
// in arrival order-ish (absl::Mutex wake-ups) until a slot frees, their deadline passes or
// their client goes away. Prometheus 2.42's engine does the same with its query tracker
// ("query timed out in query queue", errorType timeout, 503). Thread-safe.
#pragma once

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/http/http_types.h"

namespace tally::server::api {

class QueryGate {
 public:
  explicit QueryGate(int limit) : limit_(limit < 1 ? 1 : limit) {}

  // OK once a slot is held (release it with Release()); DeadlineExceeded "query timed out
  // in query queue" at `deadline`; Cancelled when `disconnect` (may be null) fires first.
  absl::Status Acquire(absl::Time deadline, const http::ClientDisconnect* disconnect);
  void Release();
  int running() const;

 private:
  bool HasFreeSlot() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ < limit_; }
  const int limit_;
  mutable absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

// Holds a slot for a scope.
class QueryGateSlot {
 public:
  explicit QueryGateSlot(QueryGate* g) : g_(g) {}
  ~QueryGateSlot() {
    if (g_) g_->Release();
  }
  QueryGateSlot(const QueryGateSlot&) = delete;
  QueryGateSlot& operator=(const QueryGateSlot&) = delete;

 private:
  QueryGate* g_;
};

}  // namespace tally::server::api
