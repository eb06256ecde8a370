#include "storage/kv/rocksdb_store.h"

#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/write_batch.h"
#include "storage/kv/key_codec.h"
#include "storage/util/log.h"
#include "storage/util/status_macros.h"

namespace tally::storage::kv {
namespace {

rocksdb::Slice S(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view V(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

absl::Status ToStatus(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  return FromRocks(static_cast<int>(s.code()), s.ToString(), context);
}

// RocksDB's diagnostics go to Tally's log instead of a LOG file in the data dir. Besides
// keeping the dir small, this is what keeps a full disk survivable: Debian's librocksdb is
// built with assertions, and once a write to the LOG file fails with ENOSPC its file
// writer asserts on the next message (`sync_without_flush_called_`) and aborts the
// process, typically from the very thread that would recover the DB when space returns.
class TallyRocksLogger : public rocksdb::Logger {
 public:
  TallyRocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(buf, sizeof(buf), format, copy);
    va_end(copy);
    if (n > 0 && static_cast<size_t>(n) < sizeof(buf) && buf[n - 1] == '\n') buf[n - 1] = '\0';
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      TALLY_LOG(kError, "rocksdb", {{"msg", buf}});
    } else {
      TALLY_LOG(kWarn, "rocksdb", {{"msg", buf}});
    }
  }
};

bool ZstdSupported() {
  static const bool supported = [] {
    for (rocksdb::CompressionType c : rocksdb::GetSupportedCompressions()) {
      if (c == rocksdb::kZSTD) return true;
    }
    return false;
  }();
  return supported;
}

rocksdb::ColumnFamilyOptions CfOptions(Cf cf) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  // Point lookups (Get) use a whole-key Bloom filter, and only the meta family has them;
  // the other families are read by Seek + scan, where a whole-key filter is never consulted
  // but costs ~1.25 bytes per key on disk.
  if (cf == Cf::kMeta) t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (cf == Cf::kChunks) {
    // Reads of one series seek (time bucket, series ref) prefixes, one per bucket of the
    // range, and a series has chunks starting in only some buckets: a prefix Bloom filter
    // (10 bits per distinct prefix, i.e. per series and bucket, not per chunk) lets such a
    // seek skip every file without the prefix instead of decompressing a 64 KiB block to
    // find the next series' chunk. docs/storage.md, "chunks", has the measurement.
    o.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kChunkPrefixBytes));
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.whole_key_filtering = false;  // no Get on chunks
  }
  // Chunks: 64 KiB blocks give ZSTD enough neighbouring chunks (same series, then series
  // with similar values) to find the redundancy one chunk alone cannot show.
  if (cf == Cf::kChunks) t.block_size = 64 << 10;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  switch (cf) {
    case Cf::kChunks:
      // Measured on generated LLM-cost data (docs/storage.md, "Chunk encodings"): ZSTD on
      // 64 KiB blocks shrinks packed chunks by a further ~40%. Only flushed and compacted
      // files pay it; the block cache holds decompressed blocks.
      o.compression = ZstdSupported() ? rocksdb::kZSTD : rocksdb::kNoCompression;
      o.write_buffer_size = 32 << 20;
      // Retention deletes chunks with point tombstones: a file in which at least half of
      // any 1,000 consecutive entries are deletions is compacted in the background, so the
      // space comes back without a full manual compaction.
      o.table_properties_collector_factories.push_back(
          rocksdb::NewCompactOnDeletionCollectorFactory(1000, 500));
      break;
    case Cf::kWal:
      // Short-lived records deleted by range tombstones once their chunks are sealed.
      o.compression = rocksdb::kNoCompression;
      o.write_buffer_size = 64 << 20;
      break;
    default:
      o.compression = rocksdb::kSnappyCompression;
      o.write_buffer_size = 16 << 20;
      break;
  }
  return o;
}

}  // namespace

// Tracks RocksDB's background-error state (see RocksStore::health()).
class HealthListener : public rocksdb::EventListener {
 public:
  explicit HealthListener(RocksStore* store) : store_(store) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* bg_error) override {
    if (bg_error != nullptr && !bg_error->ok()) store_->SetUnhealthy(bg_error->ToString());
  }
  // RocksDB's own recovery from a full disk waits until the free space exceeds its largest
  // write buffer (64 MB here), which a small or nearly full disk may never offer again, and
  // while it waits it refuses DB::Resume() (Busy). For errors that stop writes (a failed
  // log write is a hard error) RocksStore::Write() resumes instead, on the first write
  // after any space is back. Soft errors (a failed compaction) leave writes working and
  // keep RocksDB's recovery: without it their background work would stay stopped.
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status bg_error,
                            bool* auto_recovery) override {
    if (auto_recovery != nullptr && bg_error.severity() >= rocksdb::Status::Severity::kHardError) {
      *auto_recovery = false;
    }
  }
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (info.new_bg_error.ok()) store_->SetHealthy();
  }

 private:
  RocksStore* store_;  // outlives the DB (listeners are released with it)
};

const char* CfName(Cf cf) {
  switch (cf) {
    case Cf::kMeta: return "default";
    case Cf::kSeries: return "series";
    case Cf::kState: return "state";
    case Cf::kPostings: return "postings";
    case Cf::kChunks: return "chunks";
    case Cf::kWal: return "wal";
    case Cf::kCount: break;
  }
  return "?";
}

absl::Status FromRocks(int code, absl::string_view msg, absl::string_view context) {
  const std::string text = absl::StrCat(context, ": ", msg);
  switch (static_cast<rocksdb::Status::Code>(code)) {
    case rocksdb::Status::kOk: return absl::OkStatus();
    case rocksdb::Status::kNotFound: return absl::NotFoundError(text);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(absl::StrCat("corrupt data dir: ", text));
    case rocksdb::Status::kIOError: return absl::UnavailableError(text);
    case rocksdb::Status::kInvalidArgument: return absl::InvalidArgumentError(text);
    case rocksdb::Status::kNotSupported: return absl::FailedPreconditionError(text);
    default: return absl::InternalError(text);
  }
}

KvBatch::KvBatch(const RocksStore* store)
    : store_(store), batch_(std::make_unique<rocksdb::WriteBatch>()) {}
KvBatch::~KvBatch() = default;

void KvBatch::Put(Cf cf, absl::string_view key, absl::string_view value) {
  batch_->Put(store_->handle(cf), S(key), S(value));
}
void KvBatch::Delete(Cf cf, absl::string_view key) {
  batch_->Delete(store_->handle(cf), S(key));
}
void KvBatch::DeleteRange(Cf cf, absl::string_view begin, absl::string_view end) {
  batch_->DeleteRange(store_->handle(cf), S(begin), S(end));
}
size_t KvBatch::Count() const { return batch_->Count(); }
size_t KvBatch::ByteSize() const { return batch_->GetDataSize(); }
void KvBatch::Clear() { batch_->Clear(); }

KvIterator::KvIterator(std::unique_ptr<rocksdb::Iterator> it, std::string upper_bound)
    : upper_bound_(std::move(upper_bound)), it_(std::move(it)) {}
KvIterator::~KvIterator() = default;
void KvIterator::Seek(absl::string_view key) { it_->Seek(S(key)); }
void KvIterator::SeekToFirst() { it_->SeekToFirst(); }
void KvIterator::SeekToLast() { it_->SeekToLast(); }
void KvIterator::SeekForPrev(absl::string_view key) { it_->SeekForPrev(S(key)); }
bool KvIterator::Valid() const { return it_->Valid(); }
void KvIterator::Next() { it_->Next(); }
void KvIterator::Prev() { it_->Prev(); }
absl::string_view KvIterator::key() const { return V(it_->key()); }
absl::string_view KvIterator::value() const { return V(it_->value()); }
absl::Status KvIterator::status() const { return ToStatus(it_->status(), "iterate"); }

bool RocksStore::LooksLikeRocksDb(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec);
}

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(const StoreOptions& options) {
  rocksdb::DBOptions dbo;
  dbo.create_if_missing = options.create_if_missing;
  dbo.create_missing_column_families = false;
  dbo.max_background_jobs = 2;
  dbo.max_open_files = 512;
  // No LOG file in the data dir: warnings and errors go to Tally's log (TallyRocksLogger);
  // info-level chatter (options dumps, compactions) is dropped.
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  dbo.max_total_wal_size = 256 << 20;
  dbo.paranoid_checks = true;
  dbo.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  dbo.info_log = std::make_shared<TallyRocksLogger>();

  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (int i = 0; i < static_cast<int>(Cf::kCount); ++i) {
    descs.emplace_back(CfName(static_cast<Cf>(i)), CfOptions(static_cast<Cf>(i)));
  }

  const bool existing = LooksLikeRocksDb(options.path);
  if (existing) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(dbo, options.path, &names);
    if (!s.ok()) return ToStatus(s, absl::StrCat("open ", options.path));
    for (const auto& d : descs) {
      if (std::find(names.begin(), names.end(), d.name) == names.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "data dir ", options.path,
            " holds a RocksDB that is not a Tally database (missing column family \"", d.name,
            "\"); refusing to touch it"));
      }
    }
    if (names.size() != descs.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("data dir ", options.path,
                       " holds a RocksDB with unexpected column families; not a Tally database"));
    }
  } else if (options.read_only) {
    return absl::NotFoundError(absl::StrCat("data dir ", options.path, " holds no database"));
  } else {
    dbo.create_missing_column_families = true;
  }

  auto store = std::unique_ptr<RocksStore>(new RocksStore());
  dbo.listeners.push_back(std::make_shared<HealthListener>(store.get()));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(dbo, options.path, descs, &store->handles_, &raw)
          : rocksdb::DB::Open(dbo, options.path, descs, &store->handles_, &raw);
  if (!s.ok()) return ToStatus(s, absl::StrCat("open ", options.path));
  store->db_.reset(raw);
  return store;
}

RocksStore::~RocksStore() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  db_->Close();
  db_.reset();
}

absl::Status RocksStore::Write(KvBatch* batch, bool sync) {
  if (unhealthy_.load(std::memory_order_acquire)) {
    bool resume = false;
    {
      absl::MutexLock l(&health_mu_);
      const absl::Time now = absl::Now();
      if (now - last_resume_ >= absl::Seconds(1)) {
        last_resume_ = now;
        resume = true;
      }
    }
    // Resume() is a no-op while RocksDB's own recovery runs, and fails again while the
    // disk is still full; it succeeds once space is back.
    if (resume && db_->Resume().ok()) SetHealthy();
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->Write(wo, batch->batch_.get());
  if (s.ok()) {
    if (unhealthy_.load(std::memory_order_acquire)) SetHealthy();
    return absl::OkStatus();
  }
  if (s.IsIOError()) SetUnhealthy(s.ToString());
  return ToStatus(s, "write");
}

RocksStore::Health RocksStore::health() const {
  if (!unhealthy_.load(std::memory_order_acquire)) return {};
  absl::MutexLock l(&health_mu_);
  return Health{false, unhealthy_reason_};
}

void RocksStore::SetUnhealthy(absl::string_view reason) {
  absl::MutexLock l(&health_mu_);
  if (!unhealthy_.load()) {
    TALLY_LOG(kError,
              "Storage is read-only after a write error; writes resume by themselves "
              "once the cause is gone",
              {{"err", reason}});
  }
  unhealthy_reason_ = std::string(reason);
  unhealthy_.store(true, std::memory_order_release);
}

void RocksStore::SetHealthy() {
  absl::MutexLock l(&health_mu_);
  if (!unhealthy_.load()) return;
  TALLY_LOG(kInfo, "Storage is writable again", {{"after", unhealthy_reason_}});
  unhealthy_reason_.clear();
  unhealthy_.store(false, std::memory_order_release);
}

absl::StatusOr<std::string> RocksStore::Get(Cf cf, absl::string_view key) {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(cf), S(key), &v);
  if (!s.ok()) return ToStatus(s, absl::StrCat("get from ", CfName(cf)));
  return v;
}

std::unique_ptr<KvIterator> RocksStore::NewIterator(Cf cf, absl::string_view upper_bound) {
  // The bound slice must stay valid for the iterator's life: it points into the
  // KvIterator's own string, which is created first.
  auto holder = std::unique_ptr<KvIterator>(new KvIterator(nullptr, std::string(upper_bound)));
  rocksdb::ReadOptions ro;
  // Families with a prefix extractor (chunks) would otherwise seek in prefix mode, where
  // keys of other prefixes may be skipped: scans across series need the total order.
  ro.total_order_seek = true;
  rocksdb::Slice* bound = nullptr;
  if (!holder->upper_bound_.empty()) {
    bound = new rocksdb::Slice(holder->upper_bound_);
    ro.iterate_upper_bound = bound;
  }
  holder->it_.reset(db_->NewIterator(ro, handle(cf)));
  // ReadOptions are copied into the iterator, but iterate_upper_bound is a pointer to a
  // Slice that must outlive it: keep it alive by leaking into a cleanup on the iterator.
  if (bound != nullptr) {
    holder->it_->RegisterCleanup(
        [](void* arg1, void*) { delete static_cast<rocksdb::Slice*>(arg1); }, bound, nullptr);
  }
  return holder;
}

std::unique_ptr<KvIterator> RocksStore::NewPrefixIterator(Cf cf) {
  rocksdb::ReadOptions ro;
  ro.prefix_same_as_start = true;
  return std::unique_ptr<KvIterator>(
      new KvIterator(std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, handle(cf))), ""));
}

std::unique_ptr<KvIterator> RocksStore::NewScanIterator(Cf cf) {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  ro.readahead_size = 2 << 20;
  ro.fill_cache = false;
  ro.adaptive_readahead = true;
  return std::unique_ptr<KvIterator>(
      new KvIterator(std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, handle(cf))), ""));
}

uint64_t RocksStore::EstimateNumKeys(Cf cf) {
  uint64_t n = 0;
  if (!db_->GetIntProperty(handle(cf), "rocksdb.estimate-num-keys", &n)) return 0;
  return n;
}

absl::Status RocksStore::CompactRange(Cf cf, absl::string_view begin, absl::string_view end) {
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Slice b = S(begin), e = S(end);
  return ToStatus(db_->CompactRange(co, handle(cf), begin.empty() ? nullptr : &b,
                                    end.empty() ? nullptr : &e),
                  absl::StrCat("compact ", CfName(cf)));
}

absl::Status RocksStore::DropDeleted(Cf cf, absl::string_view begin, absl::string_view end) {
  // Whole files inside [begin, end) first: exact and independent of the compaction state.
  rocksdb::Slice b = S(begin), e = S(end);
  rocksdb::Status s = rocksdb::DeleteFilesInRange(db_.get(), handle(cf), &b, &e,
                                                  /*include_end=*/false);
  if (!s.ok()) return ToStatus(s, absl::StrCat("delete files of ", CfName(cf)));
  // Then compaction for what straddles the range. CompactRange picks its levels before it
  // waits for a running automatic compaction; if that one moves data down meanwhile, the
  // manual compaction misses the level holding it (seen after large backfills: the
  // tombstone ends above the data it covers). A second pass sees the settled levels.
  for (int pass = 0; pass < 2; ++pass) {
    RETURN_IF_ERROR(CompactRange(cf, begin, end));
    uint64_t live = 0;
    if (!db_->GetIntProperty(handle(cf), "rocksdb.estimate-num-keys", &live) || live == 0) break;
  }
  return absl::OkStatus();
}

absl::Status RocksStore::FlushMemtables() {
  rocksdb::FlushOptions fo;
  for (auto* h : handles_) {
    rocksdb::Status s = db_->Flush(fo, h);
    if (!s.ok()) return ToStatus(s, "flush");
  }
  return absl::OkStatus();
}

absl::Status RocksStore::CreateCheckpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status st = rocksdb::Checkpoint::Create(db_.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush 0: flush memtables first, so the copy holds SST files only.
  if (st.ok()) st = cp->CreateCheckpoint(dir, /*log_size_for_flush=*/0);
  if (!st.ok()) return FromRocks(static_cast<int>(st.code()), st.ToString(), "checkpoint");
  return absl::OkStatus();
}

}  // namespace tally::storage::kv
