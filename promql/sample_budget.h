// SampleBudget: the --query.max-samples accounting of one query, and SampleReservation, the
// RAII handle through which the evaluator holds part of it.
//
// The rule it enforces: every buffer of samples the evaluator builds (a dense per-step row
// or scalar: one cell per step; a point list: one per point; a series' decoded samples) is
// reserved *before* it is allocated and released when it is freed, so a query that would
// exceed the limit fails with ResourceExhausted before the memory exists, and a query's
// sample buffers never hold more than `limit` samples at once (about limit x 16 B; a dense
// cell is 8 B, a point 16 B). Prometheus compat (engine.go currentSamples): the error text
// is Prometheus's, "query processing would load too many samples into memory in query
// execution" (engine.h).
//
// Thread-safety: SampleBudget is thread-safe (oneTBB workers of one query reserve from it
// at once). A SampleReservation is used by one thread at a time and must not outlive its
// budget.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"

namespace tally::promql {

class SampleBudget {
 public:
  explicit SampleBudget(int64_t limit) : limit_(limit) {}
  SampleBudget(const SampleBudget&) = delete;
  SampleBudget& operator=(const SampleBudget&) = delete;

  // Takes n more samples from the budget, all or nothing: ResourceExhausted (and nothing
  // taken) when used() + n would exceed limit(). n < 0 is treated as 0.
  absl::Status Reserve(int64_t n);
  void Release(int64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  int64_t used() const { return used_.load(std::memory_order_relaxed); }
  int64_t limit() const { return limit_; }
  // Largest used() seen: what a query needed at its peak (for tests and debugging).
  int64_t peak() const { return peak_.load(std::memory_order_relaxed); }

  static absl::Status TooManySamples();

 private:
  const int64_t limit_;
  std::atomic<int64_t> used_{0};
  std::atomic<int64_t> peak_{0};
};

// Holds `held()` samples of a budget until it is destroyed, reset or resized. Move-only; a
// default-constructed reservation has no budget and holds nothing.
class SampleReservation {
 public:
  SampleReservation() = default;
  explicit SampleReservation(SampleBudget* budget) : budget_(budget) {}
  SampleReservation(SampleReservation&& o) noexcept
      : budget_(std::exchange(o.budget_, nullptr)), held_(std::exchange(o.held_, 0)) {}
  SampleReservation& operator=(SampleReservation&& o) noexcept {
    if (this != &o) {
      Reset();
      budget_ = std::exchange(o.budget_, nullptr);
      held_ = std::exchange(o.held_, 0);
    }
    return *this;
  }
  ~SampleReservation() { Reset(); }

  // Makes this reservation hold exactly n samples: growing reserves the difference first
  // (ResourceExhausted, and nothing changes, when it does not fit); shrinking releases.
  absl::Status Resize(int64_t n);
  absl::Status Grow(int64_t n) { return Resize(held_ + n); }
  // Releases everything held.
  void Reset() {
    if (budget_ != nullptr && held_ != 0) budget_->Release(held_);
    held_ = 0;
  }

  int64_t held() const { return held_; }
  SampleBudget* budget() const { return budget_; }

 private:
  SampleBudget* budget_ = nullptr;
  int64_t held_ = 0;
};

}  // namespace tally::promql
