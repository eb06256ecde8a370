#include "promql/sample_budget.h"

namespace tally::promql {

absl::Status SampleBudget::TooManySamples() {
  return absl::ResourceExhaustedError(
      "query processing would load too many samples into memory in query execution");
}

absl::Status SampleBudget::Reserve(int64_t n) {
  if (n <= 0) return absl::OkStatus();
  // Compare-and-swap so a refused reservation never shows up in used(): concurrent
  // reservations of one query must not fail each other spuriously.
  int64_t cur = used_.load(std::memory_order_relaxed);
  do {
    if (n > limit_ - cur) return TooManySamples();
  } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
  int64_t now = cur + n;
  int64_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return absl::OkStatus();
}

absl::Status SampleReservation::Resize(int64_t n) {
  if (n < 0) n = 0;
  if (budget_ == nullptr) return absl::OkStatus();
  if (n > held_) {
    absl::Status s = budget_->Reserve(n - held_);
    if (!s.ok()) return s;
  } else if (n < held_) {
    budget_->Release(held_ - n);
  }
  held_ = n;
  return absl::OkStatus();
}

}  // namespace tally::promql
