// The commit pipeline of DBImpl: group commit, validation, WAL write, head apply, chunk
// sealing and WAL truncation. See db_impl.h for the overview and docs/storage.md for the
// durability contract.
#include <algorithm>
#include <bit>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/chunk/chunk.h"
#include "storage/db_impl.h"
#include "storage/kv/key_codec.h"
#include "storage/util/duration.h"
#include "storage/util/status_macros.h"

namespace tally::storage {
namespace {

// Bound on the samples one commit group carries (keeps a WAL record and its batch modest).
constexpr size_t kMaxGroupSamples = 256 * 1024;
// How often (at most) the leader truncates the WAL.
constexpr int64_t kTruncateIntervalMs = 2000;

absl::string_view VerdictError(int v) {
  switch (v) {
    case 3: return "out of order sample";
    case 4: return "duplicate sample for timestamp";
    case 5: return "too old sample";
    case 6: return "too far in the future sample";
  }
  return "";
}

}  // namespace

const char* RejectReasonString(RejectReason r) {
  switch (r) {
    case RejectReason::kOutOfOrder: return "out_of_order";
    case RejectReason::kDuplicate: return "duplicate";
    case RejectReason::kTooOld: return "too_old";
    case RejectReason::kInvalid: return "invalid";
    case RejectReason::kTooFarInFuture: return "too_far_in_future";
  }
  return "unknown";
}

absl::StatusOr<CommitResult> DBImpl::CommitSamples(const std::vector<PendingSample>& samples,
                                                   uint64_t removal_epoch) {
  if (samples.empty()) return CommitResult{};
  RETURN_IF_ERROR(CheckWritable());
  Writer w;
  w.samples = &samples;
  w.removal_epoch = removal_epoch;
  std::vector<Writer*> group;
  {
    absl::MutexLock l(&queue_mu_);
    queue_.push_back(&w);
    while (!w.done && queue_.front() != &w) queue_cv_.Wait(&queue_mu_);
    if (w.done) {
      if (!w.status.ok()) return w.status;
      return std::move(w.result);
    }
    size_t n = 0;
    for (Writer* x : queue_) {
      group.push_back(x);
      n += x->samples->size();
      if (n >= kMaxGroupSamples) break;
    }
  }
  {
    absl::MutexLock a(&apply_mu_);
    ProcessGroup(group);
  }
  {
    absl::MutexLock l(&queue_mu_);
    for (size_t i = 0; i < group.size(); ++i) {
      queue_.front()->done = true;
      queue_.pop_front();
    }
    queue_cv_.SignalAll();
  }
  if (!w.status.ok()) return w.status;
  return std::move(w.result);
}

uint64_t DBImpl::OpenRead() {
  absl::MutexLock l(&iso_mu_);
  ++open_reads_[published_];
  return published_;
}

void DBImpl::CloseRead(uint64_t bound) {
  absl::MutexLock l(&iso_mu_);
  auto it = open_reads_.find(bound);
  if (it != open_reads_.end() && --it->second == 0) open_reads_.erase(it);
}

uint64_t DBImpl::published_commit() const {
  absl::MutexLock l(&iso_mu_);
  return published_;
}

uint64_t DBImpl::LowWatermark() {
  // Open readers' bounds never exceed published_, which only this leader advances.
  absl::MutexLock l(&iso_mu_);
  return open_reads_.empty() ? published_ : open_reads_.begin()->first;
}

void DBImpl::SetCommitListener(CommitListener* l) {
  absl::MutexLock a(&apply_mu_);
  commit_listener_ = l;
}

void DBImpl::SetApplyHookForTesting(std::function<void()> hook) {
  absl::MutexLock a(&apply_mu_);
  apply_hook_ = std::move(hook);
}

DBImpl::Verdict DBImpl::Validate(head::MemSeries* s, int64_t t, uint64_t v_bits,
                                 int64_t min_valid_t, int64_t max_valid_t) {
  if (s->pend_epoch != epoch_) {
    s->pend_epoch = epoch_;
    s->pend_t = s->last_t;
    s->pend_v_bits = s->last_v_bits;
  }
  if (t < min_valid_t) return Verdict::kTooOld;
  if (t > max_valid_t) return Verdict::kTooFarInFuture;
  if (t > s->pend_t) {
    s->pend_t = t;
    s->pend_v_bits = v_bits;
    return Verdict::kInOrder;
  }
  // Prometheus compat: tsdb/head_append.go appendable() — same timestamp and same value
  // bits is a silent no-op; same timestamp with another value is a duplicate.
  if (t == s->pend_t) return v_bits == s->pend_v_bits ? Verdict::kNoop : Verdict::kDuplicate;
  const int64_t window = options_.out_of_order_window_ms;
  if (window > 0 && t >= s->pend_t - window) {
    if (s->ooo) {
      const auto& v = s->ooo->samples;
      auto it = std::lower_bound(v.begin(), v.end(), t,
                                 [](const Sample& a, int64_t x) { return a.t_ms < x; });
      if (it != v.end() && it->t_ms == t) {
        return std::bit_cast<uint64_t>(it->v) == v_bits ? Verdict::kNoop : Verdict::kDuplicate;
      }
    }
    return Verdict::kOoo;
  }
  return Verdict::kOutOfOrder;
}

void DBImpl::ProcessGroup(const std::vector<Writer*>& group) {
  ++epoch_;
  const uint64_t seq = seq_ + 1;
  // Both bounds are anchored to the wall clock: the too-old bound is measured from the
  // newest sample (Prometheus compat: head minValidTime), but never from a point after
  // "now", so a far-future sample that got in (e.g. before max_future_ms existed) cannot
  // make every current sample "too old".
  const int64_t now = NowMs();
  const int64_t min_valid = MinValidTime(now);
  const int64_t max_valid = options_.max_future_ms > 0 && now <= kMaxTime - options_.max_future_ms
                                ? now + options_.max_future_ms
                                : kMaxTime;
  wal_writer_.Reset();
  verdicts_.clear();
  resolved_.clear();
  kv::KvBatch batch(store_.get());
  std::vector<head::MemSeries*> new_series;
  std::string key;

  const uint64_t removals = head_.removals();
  for (Writer* w : group) {
    CommitResult& r = w->result;
    // Pointers resolved at Append are valid unless a series was removed since (removals
    // happen only under apply_mu_, which we hold).
    const bool trust = w->removal_epoch == removals;
    const std::vector<PendingSample>& ps = *w->samples;
    for (size_t k = 0; k < ps.size(); ++k) {
      const PendingSample& p = ps[k];
      if (trust && k + 4 < ps.size()) __builtin_prefetch(ps[k + 4].series);
      const uint64_t bits = std::bit_cast<uint64_t>(p.v);
      head::MemSeries* s = trust ? p.series : head_.Find(p.ref);
      // A series can only vanish between Append and Commit if retention deleted it.
      const Verdict v =
          s == nullptr ? Verdict::kTooOld : Validate(s, p.t_ms, bits, min_valid, max_valid);
      resolved_.push_back(s);
      verdicts_.push_back(v);
      switch (v) {
        case Verdict::kInOrder:
        case Verdict::kOoo:
          wal_writer_.Add(head::WalSample{p.ref, p.t_ms, bits, v == Verdict::kOoo});
          ++r.appended;
          if (!s->persisted) {
            s->persisted = true;
            new_series.push_back(s);
            key = kv::SeriesKey(s->ref);
            batch.Put(kv::Cf::kSeries, key, s->labels_enc);
          }
          continue;
        case Verdict::kNoop:
          ++r.appended;
          continue;
        case Verdict::kOutOfOrder:
          ++r.rejected_out_of_order;
          break;
        case Verdict::kDuplicate:
          ++r.rejected_duplicate;
          break;
        case Verdict::kTooOld:
          ++r.rejected_too_old;
          break;
        case Verdict::kTooFarInFuture:
          ++r.rejected_too_far_in_future;
          break;
      }
      if (r.first_error.empty()) {
        Labels lset;
        if (s != nullptr) kv::DecodeLabels(s->labels_enc, &lset);
        r.first_error = absl::StrCat(VerdictError(static_cast<int>(v)), " for series ",
                                     s != nullptr ? lset.ToString() : "(deleted by retention)",
                                     " at timestamp ", p.t_ms);
        if (v == Verdict::kTooFarInFuture) {
          absl::StrAppend(&r.first_error, " (more than ", FormatDurationMs(options_.max_future_ms),
                          " after the current time; limit set by --storage.tsdb.max-future)");
        }
      }
    }
    rejected_ooo_.fetch_add(r.rejected_out_of_order, std::memory_order_relaxed);
    rejected_dup_.fetch_add(r.rejected_duplicate, std::memory_order_relaxed);
    rejected_too_old_.fetch_add(r.rejected_too_old, std::memory_order_relaxed);
    rejected_future_.fetch_add(r.rejected_too_far_in_future, std::memory_order_relaxed);
  }

  const bool has_wal = wal_writer_.count() > 0;
  if (has_wal) batch.Put(kv::Cf::kWal, kv::WalKey(seq), wal_writer_.Finish());
  if (batch.Count() > 0) {
    absl::Status st = store_->Write(&batch, options_.sync_commits);
    if (!st.ok()) {
      for (head::MemSeries* s : new_series) s->persisted = false;
      ++epoch_;  // forget the tentative pend_* state
      for (Writer* w : group) {
        w->status = absl::Status(st.code(), absl::StrCat("commit failed: ", st.message()));
      }
      return;
    }
  }
  if (has_wal) seq_ = seq;
  // The in-memory postings list exactly the persisted series (see mem_postings.h).
  for (head::MemSeries* s : new_series) {
    Labels lset;
    kv::DecodeLabels(s->labels_enc, &lset);
    postings_.Add(s->ref, lset);
  }

  // Durable: now apply the samples under a new commit id, then publish it, so a Querier
  // sees all of the group or none of it (db_impl.h, Isolation).
  if (has_wal) {
    applying_commit_ = ++last_commit_;
    iso_low_ = LowWatermark();
  }
  uint32_t index = 0;
  size_t i = 0;
  for (Writer* w : group) {
    for (const PendingSample& p : *w->samples) {
      if (i + 4 < resolved_.size() && resolved_[i + 4] != nullptr) {
        __builtin_prefetch(resolved_[i + 4]->open.get());
      }
      const Verdict v = verdicts_[i];
      head::MemSeries* s = resolved_[i++];
      if (v != Verdict::kInOrder && v != Verdict::kOoo) continue;
      ApplySample(s, p.t_ms, std::bit_cast<uint64_t>(p.v), v == Verdict::kOoo, seq, index++);
      if (index == 1 && apply_hook_) [[unlikely]] apply_hook_();
    }
  }
  if (has_wal) {
    absl::MutexLock l(&iso_mu_);
    published_ = applying_commit_;
    applying_commit_ = 0;
  }
  if (has_wal && commit_listener_ != nullptr) NotifyCommitListener(group);
  // A failed chunk write keeps the chunks in memory (still queryable, still covered by
  // the WAL); the next group retries. The acknowledged samples are durable either way.
  if (!sealed_.empty() && WriteSealed().ok()) {
    const int64_t now = absl::ToUnixMillis(absl::Now());
    if (now - last_truncate_ms_ >= kTruncateIntervalMs) {
      last_truncate_ms_ = now;
      TruncateWal().IgnoreError();
    }
  }
}

void DBImpl::NotifyCommitListener(const std::vector<Writer*>& group) {
  committed_.clear();
  size_t i = 0;
  for (Writer* w : group) {
    for (const PendingSample& p : *w->samples) {
      const Verdict v = verdicts_[i++];
      if (v == Verdict::kInOrder || v == Verdict::kOoo) {
        committed_.push_back(CommittedSample{p.ref, p.t_ms, p.v});
      }
    }
  }
  commit_listener_->OnCommit(committed_, [this](SeriesRef ref, Labels* out) {
    *out = Labels();
    if (const head::MemSeries* s = head_.Find(ref)) kv::DecodeLabels(s->labels_enc, out);
  });
}

void DBImpl::ApplySample(head::MemSeries* s, int64_t t, uint64_t v_bits, bool ooo,
                         uint64_t seq, uint32_t index) {
  absl::MutexLock l(&s->mu);
  if (!ooo) {
    if (t <= s->last_t) return;  // only during replay of already-sealed data
    if (s->open && s->open->chunk.ShouldSeal(s->open->mint, t, options_.max_chunk_span_ms)) {
      SealOpenChunk(s);
    }
    if (applying_commit_ != 0) s->NoteCommit(applying_commit_, iso_low_);
    if (!s->open) s->open = std::make_unique<head::HeadChunk>(t, seq);
    s->open->app.Append(t, std::bit_cast<double>(v_bits));
    s->open->maxt = t;
    s->last_t = t;
    s->last_v_bits = v_bits;
  } else {
    if (s->ooo && !s->ooo->samples.empty()) {
      const auto& v = s->ooo->samples;
      const int64_t lo = std::min(v.front().t_ms, t), hi = std::max(v.back().t_ms, t);
      if (hi - lo >= options_.max_chunk_span_ms) SealOoo(s);
    }
    if (!s->ooo) {
      s->ooo = std::make_unique<head::OooBuffer>();
      s->ooo->first_seq = seq;
      s->ooo->samples.reserve(head::kOooCapacity);
    }
    auto& v = s->ooo->samples;
    auto it = std::lower_bound(v.begin(), v.end(), t,
                               [](const Sample& a, int64_t x) { return a.t_ms < x; });
    if (it == v.end() || it->t_ms != t) v.insert(it, Sample{t, std::bit_cast<double>(v_bits)});
    s->ooo->last_seq = seq;
    s->ooo->last_index = index;
    if (static_cast<int>(v.size()) >= head::kOooCapacity) SealOoo(s);
  }
  NoteTime(t);
}

void DBImpl::SealOpenChunk(head::MemSeries* s) {
  head::HeadChunk& c = *s->open;
  if (!s->sealing) {
    s->sealing = std::make_unique<std::vector<head::SealingChunk>>();
    sealed_.push_back(s);
  }
  const int n = c.chunk.num_samples();
  // Sealed chunks take the smaller of XOR and the packed encoding (storage/chunk/chunk.h).
  s->sealing->push_back(
      head::SealingChunk{c.mint, c.maxt, n, EncodeForStorage(c.chunk.ReleaseBytes())});
  s->persisted_t = c.maxt;
  s->persisted_v_bits = s->last_v_bits;
  s->state_dirty = true;
  s->open.reset();
}

void DBImpl::SealOoo(head::MemSeries* s) {
  head::OooBuffer& b = *s->ooo;
  if (!b.samples.empty()) {
    XorChunk chunk;
    XorAppender app(&chunk);
    for (const Sample& x : b.samples) app.Append(x.t_ms, x.v);
    if (!s->sealing) {
      s->sealing = std::make_unique<std::vector<head::SealingChunk>>();
      sealed_.push_back(s);
    }
    s->sealing->push_back(head::SealingChunk{b.samples.front().t_ms, b.samples.back().t_ms,
                                             static_cast<int>(b.samples.size()),
                                             EncodeForStorage(chunk.ReleaseBytes())});
  }
  s->ooo_persisted_seq = b.last_seq;
  s->ooo_persisted_index = b.last_index;
  s->state_dirty = true;
  s->ooo.reset();
}

absl::Status DBImpl::WriteSealed() {
  kv::KvBatch b(store_.get());
  std::string val;
  uint64_t id = chunk_id_;
  int64_t chunks = 0, samples = 0;
  absl::btree_map<int64_t, kv::BucketStats> touched;  // new totals of the buckets written
  for (head::MemSeries* s : sealed_) {
    int64_t mint = s->disk_mint, maxt = s->disk_maxt;
    if (s->sealing) {
      for (const head::SealingChunk& c : *s->sealing) {
        ++chunks;
        samples += c.num_samples;
        kv::EncodeChunkValue(c.mint, c.maxt, c.num_samples, c.bytes, &val);
        const int64_t bucket = kv::BucketStart(c.mint, bucket_ms_);
        const std::string key = kv::ChunkKey(bucket, s->ref, c.mint, ++id);
        b.Put(kv::Cf::kChunks, key, val);
        kv::BucketStats& bs = touched[bucket];
        if (bs.chunks == 0 && bs.max_maxt == kMinTime) {
          if (auto old = buckets_.find(bucket); old != buckets_.end()) bs = old->second;
        }
        ++bs.chunks;
        bs.samples += c.num_samples;
        bs.bytes += static_cast<int64_t>(key.size() + val.size());
        bs.max_maxt = std::max(bs.max_maxt, c.maxt);
        mint = std::min(mint, c.mint);
        maxt = std::max(maxt, c.maxt);
      }
    }
    if (s->state_dirty) {
      kv::SeriesState st;
      st.last_t = s->persisted_t;
      st.last_v_bits = s->persisted_v_bits;
      st.ooo_seq = s->ooo_persisted_seq;
      st.ooo_index = s->ooo_persisted_index;
      st.disk_mint = mint;
      st.disk_maxt = maxt;
      b.Put(kv::Cf::kState, kv::SeriesKey(s->ref), kv::EncodeSeriesState(st));
    }
  }
  for (const auto& [bucket, bs] : touched) {
    b.Put(kv::Cf::kMeta, kv::BucketStatsKey(bucket), kv::EncodeBucketStats(bs));
  }
  b.Put(kv::Cf::kMeta, kv::kChunkIdKey, kv::EncodeU64(id));
  b.Put(kv::Cf::kMeta, kv::kStatsKey,
        EncodeDiskTotals(disk_chunks_.load() + chunks, disk_samples_.load() + samples));
  // Not synced: RocksDB recovers a prefix of its log, and the WAL records these chunks
  // replace are only deleted by a later write, so a lost chunk write is replayed.
  absl::Status st = store_->Write(&b, /*sync=*/false);
  if (!st.ok()) return st;
  chunk_id_ = id;
  for (auto& [bucket, bs] : touched) buckets_[bucket] = bs;
  disk_chunks_.fetch_add(chunks);
  disk_samples_.fetch_add(samples);
  // Readers that reuse a RocksDB iterator re-create it when this moved (ReadContext).
  chunk_writes_.fetch_add(1, std::memory_order_release);
  for (head::MemSeries* s : sealed_) {
    absl::MutexLock l(&s->mu);
    if (s->sealing) {
      for (const head::SealingChunk& c : *s->sealing) {
        s->disk_mint = std::min(s->disk_mint, c.mint);
        s->disk_maxt = std::max(s->disk_maxt, c.maxt);
      }
    }
    s->sealing.reset();
    s->state_dirty = false;
  }
  sealed_.clear();
  return absl::OkStatus();
}

absl::Status DBImpl::TruncateWal() {
  if (!sealed_.empty()) return absl::OkStatus();  // unwritten chunks still need their WAL
  uint64_t low = seq_ + 1;
  head_.ForEach([&](head::MemSeries* s) {
    if (s->open) low = std::min(low, s->open->first_seq);
    if (s->ooo) low = std::min(low, s->ooo->first_seq);
  });
  if (low <= wal_truncated_below_) return absl::OkStatus();
  kv::KvBatch b(store_.get());
  b.DeleteRange(kv::Cf::kWal, kv::WalKey(0), kv::WalKey(low));
  b.Put(kv::Cf::kMeta, "wal_seq", kv::EncodeU64(seq_));
  absl::Status st = store_->Write(&b, /*sync=*/false);
  if (st.ok()) wal_truncated_below_ = low;
  return st;
}

int64_t DBImpl::NowMs() const {
  return options_.clock_ms ? options_.clock_ms() : absl::ToUnixMillis(absl::Now());
}

int64_t DBImpl::MinValidTime(int64_t now_ms) const {
  const int64_t ref = std::min(max_time(), now_ms);
  return ref < kMinTime + options_.retention_ms ? kMinTime : ref - options_.retention_ms;
}

void DBImpl::NoteTime(int64_t t) {
  int64_t cur = min_time_.load(std::memory_order_relaxed);
  while (t < cur && !min_time_.compare_exchange_weak(cur, t, std::memory_order_relaxed)) {
  }
  cur = max_time_.load(std::memory_order_relaxed);
  while (t > cur && !max_time_.compare_exchange_weak(cur, t, std::memory_order_relaxed)) {
  }
}

}  // namespace tally::storage
