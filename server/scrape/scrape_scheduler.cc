#include "server/scrape/scrape_scheduler.h"

#include <algorithm>

namespace tally::server::scrape {

ScrapeScheduler::ScrapeScheduler(int workers) {
  threads_.reserve(std::max(1, workers));
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Work(); });
}

ScrapeScheduler::~ScrapeScheduler() { Stop(); }

uint64_t ScrapeScheduler::Add(absl::Time first, Task task) {
  absl::MutexLock l(&mu_);
  const uint64_t id = next_id_++;
  TaskState& t = tasks_[id];
  t.fn = std::move(task);
  heap_.push(Slot{first, id, t.gen});
  cv_.SignalAll();
  return id;
}

void ScrapeScheduler::Remove(uint64_t id) {
  absl::MutexLock l(&mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  if (!it->second.running) {
    tasks_.erase(it);  // its heap slot is skipped when it surfaces
    return;
  }
  it->second.removed = true;  // the worker erases it when the run returns
  while (tasks_.contains(id)) done_cv_.Wait(&mu_);
}

void ScrapeScheduler::Reschedule(uint64_t id, absl::Time next) {
  absl::MutexLock l(&mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end() || it->second.running) return;  // a running task picks its own next
  heap_.push(Slot{next, id, ++it->second.gen});
  cv_.SignalAll();
}

size_t ScrapeScheduler::tasks() const {
  absl::MutexLock l(&mu_);
  return tasks_.size();
}

void ScrapeScheduler::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stop_ && threads_.empty()) return;
    stop_ = true;
    cv_.SignalAll();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void ScrapeScheduler::Work() {
  absl::MutexLock l(&mu_);
  while (!stop_) {
    if (heap_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    const Slot top = heap_.top();
    auto it = tasks_.find(top.id);
    if (it == tasks_.end() || it->second.gen != top.gen || it->second.running) {
      heap_.pop();  // stale slot
      continue;
    }
    if (top.due > absl::Now()) {
      cv_.WaitWithDeadline(&mu_, top.due);
      continue;
    }
    heap_.pop();
    it->second.running = true;
    Task fn = it->second.fn;  // a copy: Remove() may erase the state while it runs
    mu_.Unlock();
    const absl::Time next = fn(top.due);
    mu_.Lock();
    auto again = tasks_.find(top.id);
    if (again != tasks_.end()) {
      again->second.running = false;
      if (next == absl::InfiniteFuture() || again->second.removed) {
        tasks_.erase(again);
      } else {
        heap_.push(Slot{next, top.id, again->second.gen});
        cv_.SignalAll();
      }
    }
    done_cv_.SignalAll();
  }
}

}  // namespace tally::server::scrape

