// ScrapeScheduler: the shared pool every scrape loop runs on. A min-heap of due times and
// a fixed set of worker threads: thousands of targets cost heap entries, not threads.
// A worker sleeps until the earliest due task, runs it (one scrape: it blocks the worker
// for at most the target's scrape_timeout plus parse and commit) and the task returns the
// time it wants to run next. A task never runs on two workers at once.
//
// Capacity: at most `workers` scrapes are in flight at once; a due task waits for a free
// worker (its scrape then starts late, as an overloaded Prometheus's would).
//
// Thread-safety: all methods may be called from any thread, except Remove() and Stop()
// from inside a task (they wait for running tasks).
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tally::server::scrape {

class ScrapeScheduler {
 public:
  // Runs at `scheduled` (the slot it was due at); returns the next slot, or
  // absl::InfiniteFuture() to finish (the task is then forgotten).
  using Task = std::function<absl::Time(absl::Time scheduled)>;

  explicit ScrapeScheduler(int workers);
  ~ScrapeScheduler();  // Stop()
  ScrapeScheduler(const ScrapeScheduler&) = delete;
  ScrapeScheduler& operator=(const ScrapeScheduler&) = delete;

  // Schedules `task` first at `first`; returns its id (never 0).
  uint64_t Add(absl::Time first, Task task);
  // Forgets the task; if it is running now, waits until that run returns. Unknown ids
  // are ignored.
  void Remove(uint64_t id);
  // Moves a waiting task's next run to `next` (e.g. its interval changed).
  void Reschedule(uint64_t id, absl::Time next);
  // Stops the workers after their current runs; pending tasks never run. Idempotent.
  void Stop();

  int workers() const { return static_cast<int>(threads_.size()); }
  size_t tasks() const;

 private:
  struct Slot {
    absl::Time due;
    uint64_t id;
    uint64_t gen;  // a slot is stale once its task was rescheduled or removed
    bool operator>(const Slot& o) const { return due > o.due; }
  };
  struct TaskState {
    Task fn;
    uint64_t gen = 0;
    bool running = false;
    bool removed = false;  // Remove() waits for the run in flight; never runs again
  };
  void Work();

  mutable absl::Mutex mu_;
  absl::CondVar cv_;       // heap changed or stopping
  absl::CondVar done_cv_;  // a run finished
  std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> heap_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, TaskState> tasks_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tally::server::scrape
