#include "server/api/query_gate.h"

#include <algorithm>

namespace tally::server::api {

absl::Status QueryGate::Acquire(absl::Time deadline, const http::ClientDisconnect* disconnect) {
  absl::MutexLock l(&mu_);
  auto free_slot = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ < limit_; };
  while (!free_slot()) {
    // Wake up now and then to notice a client that went away (it has no hook into mu_).
    const absl::Time until = std::min(deadline, absl::Now() + absl::Milliseconds(100));
    mu_.AwaitWithDeadline(absl::Condition(this, &QueryGate::HasFreeSlot), until);
    if (free_slot()) break;
    if (disconnect != nullptr && disconnect->fired()) {
      return absl::CancelledError("query canceled in query queue");
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("query timed out in query queue");
    }
  }
  ++running_;
  return absl::OkStatus();
}

void QueryGate::Release() {
  absl::MutexLock l(&mu_);
  --running_;
}

int QueryGate::running() const {
  absl::MutexLock l(&mu_);
  return running_;
}

}  // namespace tally::server::api
