// DBImpl: opening (dir checks, lock, format marker, load, replay), metadata, retention,
// flush and the background thread. The commit path is in db_commit.cc, Stats() and the
// persisted totals in db_stats.cc.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/db_impl.h"
#include "storage/head/head_appender.h"
#include "storage/kv/key_codec.h"
#include "storage/query/querier.h"
#include "storage/util/coding.h"
#include "storage/util/log.h"
#include "storage/util/status_macros.h"
#include "storage/util/utf8.h"

namespace tally::storage {
namespace {

namespace fs = std::filesystem;
using kv::Cf;

constexpr absl::string_view kLockFile = "lock";

absl::Status ValidateLabels(const Labels& labels) {
  if (labels.empty()) return absl::InvalidArgumentError("empty label set");
  absl::string_view prev;
  bool first = true;
  for (const auto& l : labels) {
    if (!IsValidLabelName(l.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid label name ", GoQuote(l.name), " in ", labels.ToString()));
    }
    if (!first && prev >= l.name) {
      return absl::InvalidArgumentError(
          absl::StrCat("label set has duplicate or unsorted names: ", labels.ToString()));
    }
    if (!IsValidUtf8(l.value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid UTF-8 in value of label ", l.name, " in ", labels.ToString()));
    }
    prev = l.name;
    first = false;
  }
  return absl::OkStatus();
}

// Refuses directories that hold something other than a Tally database.
absl::Status CheckDataDir(const std::string& path) {
  if (kv::RocksStore::LooksLikeRocksDb(path)) return absl::OkStatus();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    const std::string name = e.path().filename().string();
    if (name == kLockFile) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        "data dir ", path, " is not a Tally database: it contains foreign files (e.g. \"", name,
        "\"); refusing to use it. Point --storage.tsdb.path at an empty or Tally directory"));
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", path, ": ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<int> LockDir(const std::string& path) {
  const std::string lock_path = (fs::path(path) / std::string(kLockFile)).string();
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create lock file ", lock_path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data dir ", path, " is in use by another process (lock file ", lock_path,
          " is held); only one Tally may open a data dir at a time"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(err)));
  }
  return fd;
}

void PutLengthPrefixed(std::string* out, absl::string_view s) {
  PutVarint64(out, s.size());
  out->append(s.data(), s.size());
}
bool GetLengthPrefixed(absl::string_view* in, std::string* s) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DB>> DB::Open(const DBOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<DBImpl> db, DBImpl::OpenImpl(options));
  return std::unique_ptr<DB>(std::move(db));
}

DBImpl::DBImpl(const DBOptions& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<DBImpl>> DBImpl::OpenImpl(const DBOptions& options) {
  // Debian's Abseil is built without NDEBUG, which turns on absl::Mutex deadlock detection
  // (a global lock-order graph updated on every lock): ~80% of append CPU in profiles.
  // Our lock order is fixed and documented (db_impl.h), so switch the debug aid off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (options.path.empty()) return absl::InvalidArgumentError("data dir path is empty");
  if (options.retention_ms <= 0) return absl::InvalidArgumentError("retention must be positive");
  if (options.max_chunk_span_ms <= 0) {
    return absl::InvalidArgumentError("max chunk span must be positive");
  }
  std::error_code ec;
  if (options.read_only) return OpenReadOnly(options);
  fs::create_directories(options.path, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data dir ", options.path, ": ", ec.message()));
  }
  if (!fs::is_directory(options.path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("data dir ", options.path, " is not a directory"));
  }
  RETURN_IF_ERROR(CheckDataDir(options.path));
  ASSIGN_OR_RETURN(int fd, LockDir(options.path));
  auto db = std::unique_ptr<DBImpl>(new DBImpl(options));
  db->lock_fd_ = fd;  // released by the destructor, also on the error paths below
  kv::StoreOptions so;
  so.path = options.path;
  ASSIGN_OR_RETURN(db->store_, kv::RocksStore::Open(so));
  RETURN_IF_ERROR(db->Init());
  if (options.retention_check_interval_ms > 0) {
    db->bg_thread_ = std::thread([p = db.get()] { p->BackgroundLoop(); });
  }
  return db;
}

absl::StatusOr<std::unique_ptr<DBImpl>> DBImpl::OpenReadOnly(const DBOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(options.path, ec)) {
    return absl::NotFoundError(absl::StrCat("no such data dir: ", options.path));
  }
  RETURN_IF_ERROR(CheckDataDir(options.path));
  auto db = std::unique_ptr<DBImpl>(new DBImpl(options));
  kv::StoreOptions so;
  so.path = options.path;
  so.create_if_missing = false;
  so.read_only = true;
  ASSIGN_OR_RETURN(db->store_, kv::RocksStore::Open(so));
  RETURN_IF_ERROR(db->Init());
  return db;
}

absl::Status DBImpl::CheckWritable() const {
  if (!options_.read_only) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("data dir ", options_.path, " is open read-only"));
}

DBImpl::~DBImpl() {
  {
    absl::MutexLock l(&bg_mu_);
    stop_ = true;
  }
  if (bg_thread_.joinable()) bg_thread_.join();
  if (store_ && !options_.read_only) {
    absl::MutexLock a(&apply_mu_);
    if (!sealed_.empty()) WriteSealed().IgnoreError();
  }
  store_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

absl::Status DBImpl::Init() {
  absl::StatusOr<std::string> magic = store_->Get(Cf::kMeta, kv::kMagicKey);
  if (absl::IsNotFound(magic.status()) && options_.read_only) {
    return absl::InvalidArgumentError(
        absl::StrCat("data dir ", options_.path, " is not a Tally database (no format marker)"));
  }
  if (absl::IsNotFound(magic.status())) {
    for (Cf cf : {Cf::kSeries, Cf::kChunks, Cf::kWal}) {
      auto it = store_->NewIterator(cf);
      it->SeekToFirst();
      if (it->Valid()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "data dir ", options_.path,
            " holds data without Tally's format marker; not a Tally database (or a damaged "
            "one); refusing to use it"));
      }
    }
    kv::KvBatch b(store_.get());
    std::string v(kv::kMagic);
    PutFixed32BE(&v, kv::kFormatVersion);
    b.Put(Cf::kMeta, kv::kMagicKey, v);
    RETURN_IF_ERROR(store_->Write(&b, /*sync=*/true));
    stored_version_ = kv::kFormatVersion;
  } else if (!magic.ok()) {
    return magic.status();
  } else {
    const std::string& m = *magic;
    if (m.size() != kv::kMagic.size() + 4 || absl::string_view(m).substr(0, 8) != kv::kMagic) {
      return absl::InvalidArgumentError(absl::StrCat(
          "data dir ", options_.path, " is not a Tally database (bad format marker)"));
    }
    const uint32_t version = DecodeFixed32BE(m.data() + 8);
    if (version > kv::kFormatVersion || version < kv::kOldestMigratableVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("data dir ", options_.path, " has format version ", version,
                       "; this build reads version ", kv::kFormatVersion,
                       " and migrates versions ", kv::kOldestMigratableVersion, " to ",
                       kv::kFormatVersion - 1));
    }
    stored_version_ = version;
  }

  uint64_t span = static_cast<uint64_t>(options_.max_chunk_span_ms);
  bool meta_current = true;  // both records below already hold what this open would write
  if (auto s = store_->Get(Cf::kMeta, kv::kMaxChunkSpanKey); s.ok()) {
    uint64_t stored;
    if (!kv::DecodeU64(*s, &stored)) return absl::DataLossError("corrupt data dir: bad meta");
    meta_current = stored >= span;
    span = std::max(span, stored);
  } else {
    meta_current = false;
  }
  if (stored_version_ < kv::kFormatVersion && options_.read_only) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data dir ", options_.path, " has format version ", stored_version_,
        "; open it once with a writable tally (tally serve or tally backfill) to migrate it "
        "to version ", kv::kFormatVersion, " (docs/storage.md, \"Format versions\")"));
  }
  // The chunk bucket width is fixed when the dir gets bucketed keys (creation or migration).
  if (auto s = store_->Get(Cf::kMeta, kv::kChunkBucketMsKey); s.ok()) {
    uint64_t stored;
    if (!kv::DecodeU64(*s, &stored) || stored == 0 || stored > (uint64_t{1} << 50)) {
      return absl::DataLossError("corrupt data dir: bad meta chunk_bucket_ms");
    }
    bucket_ms_ = static_cast<int64_t>(stored);
  } else if (!absl::IsNotFound(s.status())) {
    return s.status();
  } else {
    meta_current = false;
    constexpr int64_t kStep = int64_t{2} * 3600 * 1000;
    bucket_ms_ = options_.chunk_bucket_ms > 0
                     ? options_.chunk_bucket_ms
                     : std::clamp(options_.retention_ms / 10 / kStep * kStep, kStep, 12 * kStep);
  }
  // Skipped when unchanged: a synced write is an fsync on every start (cold start).
  if (!options_.read_only && !meta_current) {
    kv::KvBatch b(store_.get());
    b.Put(Cf::kMeta, kv::kMaxChunkSpanKey, kv::EncodeU64(span));
    b.Put(Cf::kMeta, kv::kChunkBucketMsKey, kv::EncodeU64(static_cast<uint64_t>(bucket_ms_)));
    RETURN_IF_ERROR(store_->Write(&b, /*sync=*/true));
  }
  read_ctx_ = ReadContext{&head_,      store_.get(), static_cast<int64_t>(span),
                          bucket_ms_,  &postings_,   &chunk_writes_};

  absl::MutexLock a(&apply_mu_);
  if (auto s = store_->Get(Cf::kMeta, kv::kChunkIdKey); s.ok()) {
    if (!kv::DecodeU64(*s, &chunk_id_)) return absl::DataLossError("corrupt data dir: bad meta");
  }
  if (auto s = store_->Get(Cf::kMeta, "wal_seq"); s.ok()) {
    if (!kv::DecodeU64(*s, &seq_)) return absl::DataLossError("corrupt data dir: bad meta");
  }
  const absl::Time t0 = absl::Now();
  RETURN_IF_ERROR(LoadSeries());
  if (stored_version_ < kv::kFormatVersion) {
    RETURN_IF_ERROR(FinishMigration());
  } else {
    RETURN_IF_ERROR(LoadBucketStats());
  }
  const absl::Time t1 = absl::Now();
  RETURN_IF_ERROR(Replay());
  const absl::Time t2 = absl::Now();
  TALLY_LOG(kDebug, "Data dir opened",
            {{"series", head_.num_series()},
             {"load_ms", absl::ToInt64Milliseconds(t1 - t0)},
             {"replay_ms", absl::ToInt64Milliseconds(t2 - t1)}});
  return absl::OkStatus();
}

absl::Status DBImpl::Replay() {
  auto it = store_->NewIterator(Cf::kWal);
  head::WalReader reader;
  head::WalSample ws;
  // Open is single-threaded: a dense ref -> series table replaces a locked stripe lookup
  // per logged sample (the lookups were ~a fifth of replay time). Refs are dense from 1.
  std::vector<head::MemSeries*> by_ref;
  if (head_.next_ref() <= (SeriesRef{1} << 26)) {
    by_ref.assign(static_cast<size_t>(head_.next_ref()), nullptr);
    head_.ForEach([&](head::MemSeries* s) { by_ref[s->ref] = s; });
  }
  auto find = [&](SeriesRef ref) -> head::MemSeries* {
    if (by_ref.empty()) return head_.Find(ref);
    return ref < by_ref.size() ? by_ref[ref] : nullptr;
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq;
    if (!kv::DecodeWalKey(it->key(), &seq) || !reader.Init(it->value())) {
      return absl::DataLossError("corrupt data dir: malformed WAL record");
    }
    uint32_t index = 0;
    while (reader.Next(&ws)) {
      const uint32_t idx = index++;
      head::MemSeries* s = find(ws.ref);
      if (s == nullptr) continue;  // deleted by retention
      if (!ws.ooo) {
        if (ws.t_ms <= s->persisted_t) continue;  // already in a sealed chunk
      } else if (seq < s->ooo_persisted_seq ||
                 (seq == s->ooo_persisted_seq && idx <= s->ooo_persisted_index)) {
        continue;
      }
      ApplySample(s, ws.t_ms, ws.v_bits, ws.ooo, seq, idx);
    }
    if (reader.corrupt()) {
      return absl::DataLossError(absl::StrCat("corrupt data dir: WAL record ", seq, " is damaged"));
    }
    seq_ = std::max(seq_, seq);
  }
  RETURN_IF_ERROR(it->status());
  // Read-only: chunks sealed during replay stay in memory, where queries read them too.
  if (!sealed_.empty() && !options_.read_only) RETURN_IF_ERROR(WriteSealed());
  return absl::OkStatus();
}

absl::StatusOr<DBImpl::SeriesHandle> DBImpl::GetOrCreateSeriesHandle(const Labels& labels) {
  const Labels* lset = &labels;
  Labels cleaned;
  for (const auto& l : labels) {
    if (!l.value.empty()) continue;
    // Prometheus compat: an empty label value is the same as an absent label.
    std::vector<LabelView> keep;
    for (const auto& x : labels) {
      if (!x.value.empty()) keep.push_back(x);
    }
    cleaned = Labels::FromSorted(keep);
    lset = &cleaned;
    break;
  }
  // The head files series by their encoding: one encode (into a reused buffer) and a fast
  // hash of its bytes instead of a byte-wise hash over every label.
  thread_local std::string enc;
  kv::EncodeLabels(*lset, &enc);
  const uint64_t hash = head::Head::HashEncoded(enc);
  SeriesHandle h{nullptr, kInvalidSeriesRef};
  if ((h.series = head_.FindByEncoded(enc, hash, &h.ref)) != nullptr) return h;
  RETURN_IF_ERROR(ValidateLabels(*lset));
  bool created;
  h.series = head_.GetOrCreateEncoded(enc, hash, &created, &h.ref);
  return h;
}

absl::StatusOr<DBImpl::SeriesHandle> DBImpl::GetOrCreateSeriesHandleEncoded(
    absl::string_view labels_enc) {
  SeriesHandle h{nullptr, kInvalidSeriesRef};
  h.series = head_.FindByEncoded(labels_enc, head::Head::HashEncoded(labels_enc), &h.ref);
  if (h.series != nullptr) return h;
  // A new series (or a malformed encoding): the full path, with its validation.
  Labels lset;
  if (!kv::DecodeLabels(labels_enc, &lset)) {
    return absl::InvalidArgumentError("malformed label set encoding");
  }
  return GetOrCreateSeriesHandle(lset);
}

absl::StatusOr<SeriesRef> DBImpl::GetOrCreateSeries(const Labels& labels) {
  ASSIGN_OR_RETURN(SeriesHandle h, GetOrCreateSeriesHandle(labels));
  return h.ref;
}

std::unique_ptr<Appender> DBImpl::NewAppender() {
  return std::make_unique<head::HeadAppender>(this);
}

std::unique_ptr<Querier> DBImpl::NewQuerier(int64_t mint_ms, int64_t maxt_ms) {
  return std::make_unique<query::HeadQuerier>(this, mint_ms, maxt_ms);
}

absl::Status DBImpl::SetMetadata(absl::string_view metric, const MetricMetadata& md) {
  RETURN_IF_ERROR(CheckWritable());
  if (metric.empty()) return absl::InvalidArgumentError("metadata needs a metric name");
  std::string v;
  PutLengthPrefixed(&v, md.type);
  PutLengthPrefixed(&v, md.help);
  PutLengthPrefixed(&v, md.unit);
  kv::KvBatch b(store_.get());
  b.Put(Cf::kMeta, kv::MetadataKey(metric), v);
  return store_->Write(&b, options_.sync_commits);
}

absl::StatusOr<std::vector<std::pair<std::string, MetricMetadata>>> DBImpl::Metadata() {
  std::vector<std::pair<std::string, MetricMetadata>> out;
  std::string upper(kv::kMetadataPrefix);
  upper.back() = '\x01';
  auto it = store_->NewIterator(Cf::kMeta, upper);
  for (it->Seek(kv::kMetadataPrefix); it->Valid(); it->Next()) {
    absl::string_view v = it->value();
    MetricMetadata md;
    if (!GetLengthPrefixed(&v, &md.type) || !GetLengthPrefixed(&v, &md.help) ||
        !GetLengthPrefixed(&v, &md.unit)) {
      return absl::DataLossError("corrupt data dir: malformed metadata record");
    }
    out.emplace_back(std::string(it->key().substr(kv::kMetadataPrefix.size())), std::move(md));
  }
  RETURN_IF_ERROR(it->status());
  return out;
}

absl::Status DBImpl::Flush() {
  RETURN_IF_ERROR(CheckWritable());
  absl::MutexLock a(&apply_mu_);
  head_.ForEach([&](head::MemSeries* s) {
    absl::MutexLock l(&s->mu);
    if (s->open) SealOpenChunk(s);
    if (s->ooo) SealOoo(s);
  });
  if (!sealed_.empty()) RETURN_IF_ERROR(WriteSealed());
  RETURN_IF_ERROR(TruncateWal());
  RETURN_IF_ERROR(store_->FlushMemtables());
  // A flushed memtable keeps the truncated log records on disk beside their range
  // tombstone until a compaction meets both (~10 bytes/sample: after a large backfill the
  // log family was 4x the chunks). Every record below the bound is deleted and none is
  // written while we hold apply_mu_, so its files can go as a whole.
  return store_->DropDeleted(Cf::kWal, kv::WalKey(0), kv::WalKey(wal_truncated_below_));
}

void DBImpl::BackgroundLoop() {
  while (true) {
    {
      absl::MutexLock l(&bg_mu_);
      if (bg_mu_.AwaitWithTimeout(absl::Condition(&stop_),
                                  absl::Milliseconds(options_.retention_check_interval_ms))) {
        return;
      }
    }
    const int64_t newest = max_time();
    // Prometheus compat: retention is measured from the newest data (so importing old data
    // does not delete it on the spot); ApplyRetention caps it at the wall clock.
    if (newest == kMinTime) continue;
    if (absl::Status st = ApplyRetention(newest); !st.ok()) {
      TALLY_LOG(kWarn, "Retention pass failed", {{"err", st.message()}});
    }
  }
}

}  // namespace tally::storage
