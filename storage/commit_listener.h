// CommitListener: an observer of the DB's commit pipeline, for consumers that must see
// every stored sample exactly once and in commit order (remote-write-out's durable queue,
// server/remote/). It sees what enters the write-ahead log: in-order and out-of-order
// samples that were accepted; rejected samples and same-value duplicates (no-ops) are not
// passed on.
//
// Threads and timing: OnCommit is called by the commit leader, one group at a time (never
// concurrently), after the group's log write is durable and its samples are visible, and
// before any writer of the group is acknowledged. So when Commit() returns, the listener
// has seen the samples. The call holds the DB's apply lock: it must be quick (buffer or
// append to a file), must not call back into the DB and must not block on anything that
// waits for a commit.
#pragma once

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "storage/model/labels.h"
#include "storage/model/sample.h"

namespace tally::storage {

struct CommittedSample {
  SeriesRef ref;
  int64_t t_ms;
  double v;
};

class CommitListener {
 public:
  virtual ~CommitListener() = default;
  // `samples`: the group's stored samples, in the order they were appended. `labels_of`
  // fills *out with a series' labels; valid for the refs of `samples`, during this call only.
  virtual void OnCommit(absl::Span<const CommittedSample> samples,
                        absl::FunctionRef<void(SeriesRef, Labels*)> labels_of) = 0;
};

}  // namespace tally::storage
