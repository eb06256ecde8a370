#include "server/remote/forward_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "storage/util/coding.h"
#include "storage/util/log.h"
#include "storage/util/status_macros.h"

namespace tally::server::remote {
namespace {

namespace fs = std::filesystem;
using storage::CommittedSample;
using storage::SeriesRef;

constexpr size_t kHeader = 8;
constexpr size_t kReadChunk = 1 << 20;
constexpr int64_t kDefaultBytesPerSample = 17;

absl::Status Errno(absl::string_view what, const std::string& path) {
  const int e = errno;
  const std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(e));
  if (e == EACCES || e == EPERM) return absl::PermissionDeniedError(msg);
  return absl::UnavailableError(msg);
}

void PutFixed32LE(std::string* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetFixed32LE(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
void PutFixed64LE(std::string* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetFixed64LE(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Frames `payload` (already at the end of *dst after `start`) with its header.
void Frame(std::string* dst, size_t start) {
  const size_t len = dst->size() - start - kHeader;
  const uint32_t crc =
      crc32(0, reinterpret_cast<const Bytef*>(dst->data() + start + kHeader), len);
  std::string hdr;
  PutFixed32LE(&hdr, static_cast<uint32_t>(len));
  PutFixed32LE(&hdr, crc);
  dst->replace(start, kHeader, hdr);
}

bool GetString(absl::string_view* in, std::string* out) {
  uint64_t n = 0;
  if (!storage::GetVarint64(in, &n) || n > in->size()) return false;
  out->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

std::string ForwardLog::SegmentPath(uint64_t seg) const {
  return absl::StrFormat("%s/%08d.seg", options_.dir, seg);
}
std::string ForwardLog::PositionPath(const std::string& id) const {
  return absl::StrCat(options_.dir, "/", id, ".pos");
}

absl::StatusOr<std::unique_ptr<ForwardLog>> ForwardLog::Open(ForwardLogOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("create remote-write queue dir ", options.dir, ": ", ec.message()));
  }
  std::unique_ptr<ForwardLog> log(new ForwardLog(std::move(options)));
  absl::MutexLock l(&log->mu_);
  uint64_t last = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(log->options_.dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string stem = e.path().stem().string();
    uint64_t seg = 0;
    if (e.path().extension() == ".seg" && absl::SimpleAtoi(stem, &seg)) {
      log->segments_[seg] = {static_cast<int64_t>(e.file_size(ec)), -1};
      last = std::max(last, seg);
    } else if (e.path().extension() == ".pos") {
      std::ifstream in(e.path());
      LogPosition p;
      if (in >> p.segment >> p.offset) log->positions_[stem] = p;
    }
  }
  if (ec) return absl::UnavailableError(absl::StrCat("list ", log->options_.dir, ": ", ec.message()));
  log->segment_ = last;
  RETURN_IF_ERROR(log->StartSegment());
  return log;
}

ForwardLog::~ForwardLog() {
  absl::MutexLock l(&mu_);
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

absl::Status ForwardLog::StartSegment() {
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  const uint64_t next = segment_ + 1;
  const std::string path = SegmentPath(next);
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", path);
  fd_ = fd;
  segment_ = next;
  offset_ = 0;
  defined_.clear();
  segments_[segment_] = {0, 0};
  DeleteSegments();
  return absl::OkStatus();
}

void ForwardLog::DeleteSegments() {
  // Segments before every reader's persisted position are done.
  uint64_t keep_from = segment_;
  for (const auto& [id, p] : positions_) keep_from = std::min(keep_from, p.segment);
  int64_t total = 0;
  for (const auto& [seg, info] : segments_) total += info.first;
  for (auto it = segments_.begin(); it != segments_.end() && it->first != segment_;) {
    const bool done = it->first < keep_from;
    const bool overflow = total > options_.max_bytes;
    if (!done && !overflow) break;
    if (!done) {
      ++dropped_segments_;
      if (it->second.second > 0) dropped_samples_ += it->second.second;
      overflowed_[it->first] = std::max<int64_t>(0, it->second.second);
      TALLY_LOG(kWarn, "Remote-write queue full: dropping its oldest segment",
                {{"segment", SegmentPath(it->first)}, {"max_bytes", options_.max_bytes}});
    }
    ::unlink(SegmentPath(it->first).c_str());
    total -= it->second.first;
    it = segments_.erase(it);
  }
}

void ForwardLog::OnCommit(absl::Span<const CommittedSample> samples,
                          absl::FunctionRef<void(SeriesRef, storage::Labels*)> labels_of) {
  absl::MutexLock l(&mu_);
  if (fd_ < 0) return;
  scratch_.clear();
  storage::Labels lset;
  for (const CommittedSample& s : samples) {
    if (!defined_.insert(s.ref).second) continue;
    labels_of(s.ref, &lset);
    const size_t start = scratch_.size();
    scratch_.append(kHeader, '\0');
    scratch_.push_back('S');
    storage::PutVarint64(&scratch_, s.ref);
    storage::PutVarint64(&scratch_, lset.size());
    for (const auto& x : lset) {
      storage::PutVarint64(&scratch_, x.name.size());
      scratch_.append(x.name.data(), x.name.size());
      storage::PutVarint64(&scratch_, x.value.size());
      scratch_.append(x.value.data(), x.value.size());
    }
    Frame(&scratch_, start);
  }
  const size_t start = scratch_.size();
  scratch_.append(kHeader, '\0');
  scratch_.push_back('D');
  storage::PutVarint64(&scratch_, samples.size());
  for (const CommittedSample& s : samples) {
    highest_t_ms_ = std::max(highest_t_ms_, s.t_ms);
    storage::PutVarint64(&scratch_, s.ref);
    storage::PutVarsint64(&scratch_, s.t_ms);
    PutFixed64LE(&scratch_, std::bit_cast<uint64_t>(s.v));
  }
  Frame(&scratch_, start);
  size_t done = 0;
  while (done < scratch_.size()) {
    const ssize_t n = ::write(fd_, scratch_.data() + done, scratch_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The samples are stored; only their forwarding is lost. Start a fresh segment so the
      // partial record is that segment's (torn) end.
      TALLY_LOG(kError, "Remote-write queue write failed; samples not forwarded",
                {{"segment", SegmentPath(segment_)}, {"err", std::strerror(errno)}});
      dropped_samples_ += static_cast<int64_t>(samples.size());
      segments_[segment_].first = static_cast<int64_t>(offset_ + done);
      StartSegment().IgnoreError();
      return;
    }
    done += static_cast<size_t>(n);
  }
  offset_ += done;
  written_samples_ += static_cast<int64_t>(samples.size());
  segments_[segment_].first = static_cast<int64_t>(offset_);
  segments_[segment_].second += static_cast<int64_t>(samples.size());
  const absl::Time now = absl::Now();
  if (offset_ >= static_cast<uint64_t>(options_.segment_bytes)) {
    StartSegment().IgnoreError();
    last_sync_ = now;
  } else if (now - last_sync_ >= options_.sync_interval) {
    ::fdatasync(fd_);
    last_sync_ = now;
  }
  cv_.SignalAll();
}

absl::StatusOr<std::unique_ptr<ForwardLog::Reader>> ForwardLog::NewReader(const std::string& id) {
  LogPosition pos;
  {
    absl::MutexLock l(&mu_);
    if (!open_readers_.insert(id).second) {
      return absl::AlreadyExistsError(absl::StrCat("remote-write queue reader ", id, " exists"));
    }
    auto it = positions_.find(id);
    pos = it != positions_.end() ? it->second : LogPosition{segment_, offset_};
  }
  SavePosition(id, pos);
  return std::unique_ptr<Reader>(new Reader(this, id, pos));
}

void ForwardLog::SavePosition(const std::string& id, LogPosition pos) {
  const std::string path = PositionPath(id), tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << pos.segment << " " << pos.offset << "\n";
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  absl::MutexLock l(&mu_);
  positions_[id] = pos;
  DeleteSegments();
}

void ForwardLog::ReaderGone(const std::string& id) {
  absl::MutexLock l(&mu_);
  open_readers_.erase(id);
}

void ForwardLog::RetainReaders(const absl::flat_hash_set<std::string>& ids) {
  absl::MutexLock l(&mu_);
  for (auto it = positions_.begin(); it != positions_.end();) {
    if (ids.contains(it->first) || open_readers_.contains(it->first)) {
      ++it;
      continue;
    }
    ::unlink(PositionPath(it->first).c_str());
    it = positions_.erase(it);
  }
  DeleteSegments();
}

void ForwardLog::Wake() {
  absl::MutexLock l(&mu_);
  ++wake_gen_;
  cv_.SignalAll();
}

int64_t ForwardLog::dropped_samples() const {
  absl::MutexLock l(&mu_);
  return dropped_samples_;
}
int64_t ForwardLog::dropped_segments() const {
  absl::MutexLock l(&mu_);
  return dropped_segments_;
}
int64_t ForwardLog::written_samples() const {
  absl::MutexLock l(&mu_);
  return written_samples_;
}
int64_t ForwardLog::highest_timestamp_ms() const {
  absl::MutexLock l(&mu_);
  return highest_t_ms_;
}
int64_t ForwardLog::bytes() const {
  absl::MutexLock l(&mu_);
  int64_t total = 0;
  for (const auto& [seg, info] : segments_) total += info.first;
  return total;
}

// --- Reader -------------------------------------------------------------------------------

ForwardLog::Reader::~Reader() {
  if (fd_ >= 0) ::close(fd_);
  log_->ReaderGone(id_);
}

absl::Status ForwardLog::Reader::Commit() {
  if (pos_ == committed_) return absl::OkStatus();
  log_->SavePosition(id_, pos_);
  committed_ = pos_;
  return absl::OkStatus();
}

int64_t ForwardLog::Reader::PendingSamples() const {
  absl::MutexLock l(&log_->mu_);
  int64_t bytes = 0, samples = 0, written_bytes = 0;
  for (const auto& [seg, info] : log_->segments_) {
    if (seg >= pos_.segment) bytes += info.first;
    if (info.second > 0) {
      samples += info.second;
      written_bytes += info.first;
    }
  }
  if (log_->segments_.contains(pos_.segment)) bytes -= static_cast<int64_t>(pos_.offset);
  const int64_t per = samples > 0 ? std::max<int64_t>(1, written_bytes / samples)
                                  : kDefaultBytesPerSample;
  return std::max<int64_t>(0, bytes) / per;
}

absl::Status ForwardLog::Reader::Read(int64_t min_samples, int64_t max_samples,
                                      absl::Time deadline, ForwardBatch* out) {
  out->Clear();
  blocked_ = false;
  uint64_t gen;
  {
    absl::MutexLock l(&log_->mu_);
    gen = log_->wake_gen_;
  }
  while (true) {
    while (static_cast<int64_t>(out->samples.size()) < max_samples) {
      ASSIGN_OR_RETURN(bool more, ReadSome(max_samples, out));
      if (!more) break;
    }
    if (static_cast<int64_t>(out->samples.size()) >= min_samples || blocked_ ||
        absl::Now() >= deadline) {
      return absl::OkStatus();
    }
    bool woken;
    {
      absl::MutexLock l(&log_->mu_);
      while (log_->wake_gen_ == gen && log_->segment_ == pos_.segment &&
             log_->offset_ == pos_.offset) {
        if (log_->cv_.WaitWithDeadline(&log_->mu_, deadline)) break;
      }
      woken = log_->wake_gen_ != gen;
    }
    if (woken || absl::Now() >= deadline) {
      while (static_cast<int64_t>(out->samples.size()) < max_samples) {
        ASSIGN_OR_RETURN(bool more, ReadSome(max_samples, out));
        if (!more) break;
      }
      return absl::OkStatus();
    }
  }
}

absl::Status ForwardLog::Reader::LoadSeriesDefs(uint64_t segment, uint64_t upto) {
  std::string rec;
  uint64_t off = 0;
  while (off + kHeader <= upto) {
    char hdr[kHeader];
    if (::pread(fd_, hdr, kHeader, static_cast<off_t>(off)) != static_cast<ssize_t>(kHeader)) break;
    const uint32_t len = GetFixed32LE(hdr);
    rec.resize(len);
    if (::pread(fd_, rec.data(), len, static_cast<off_t>(off + kHeader)) !=
        static_cast<ssize_t>(len)) {
      break;
    }
    off += kHeader + len;
    if (rec.empty() || rec[0] != 'S') continue;
    absl::string_view in(rec);
    in.remove_prefix(1);
    uint64_t ref = 0, n = 0;
    if (!storage::GetVarint64(&in, &ref) || !storage::GetVarint64(&in, &n)) continue;
    std::vector<storage::Label> v(n);
    bool ok = true;
    for (auto& x : v) ok = ok && GetString(&in, &x.name) && GetString(&in, &x.value);
    if (ok) defs_[ref] = storage::Labels::FromSorted(std::move(v));
  }
  (void)segment;
  return absl::OkStatus();
}

absl::StatusOr<bool> ForwardLog::Reader::ReadSome(int64_t max_samples, ForwardBatch* out) {
  uint64_t end;
  bool current;
  {
    absl::MutexLock l(&log_->mu_);
    auto it = log_->segments_.lower_bound(pos_.segment);
    if (it == log_->segments_.end()) return false;
    if (it->first != pos_.segment) {  // deleted by the overflow policy
      for (auto o = log_->overflowed_.lower_bound(pos_.segment);
           o != log_->overflowed_.end() && o->first < it->first; ++o) {
        dropped_ += o->second;
      }
      pos_ = LogPosition{it->first, 0};
    }
    current = pos_.segment == log_->segment_;
    end = current ? log_->offset_ : static_cast<uint64_t>(it->second.first);
  }
  if (fd_ < 0 || fd_segment_ != pos_.segment) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(log_->SegmentPath(pos_.segment).c_str(), O_RDONLY | O_CLOEXEC);
    fd_segment_ = pos_.segment;
    if (fd_ < 0) {
      // Deleted meanwhile (overflow): try the next one.
      pos_ = LogPosition{pos_.segment + 1, 0};
      return true;
    }
    if (pos_.offset > 0) RETURN_IF_ERROR(LoadSeriesDefs(pos_.segment, pos_.offset));
  }
  auto next_segment = [&]() {
    if (current) return false;
    pos_ = LogPosition{pos_.segment + 1, 0};
    return true;
  };
  if (pos_.offset + kHeader > end) return next_segment();
  const size_t want = static_cast<size_t>(std::min<uint64_t>(end - pos_.offset, kReadChunk));
  buf_.resize(want);
  ssize_t got = ::pread(fd_, buf_.data(), want, static_cast<off_t>(pos_.offset));
  if (got < static_cast<ssize_t>(kHeader)) return next_segment();
  buf_.resize(static_cast<size_t>(got));
  // A record larger than the chunk: read it whole.
  const uint32_t first_len = GetFixed32LE(buf_.data());
  if (kHeader + first_len > buf_.size() && pos_.offset + kHeader + first_len <= end) {
    buf_.resize(kHeader + first_len);
    got = ::pread(fd_, buf_.data(), buf_.size(), static_cast<off_t>(pos_.offset));
    if (got != static_cast<ssize_t>(buf_.size())) return next_segment();
  }
  size_t off = 0;
  bool progressed = false;
  while (off + kHeader <= buf_.size()) {
    const uint32_t len = GetFixed32LE(buf_.data() + off);
    const uint32_t crc = GetFixed32LE(buf_.data() + off + 4);
    if (off + kHeader + len > buf_.size()) {
      if (pos_.offset + off + kHeader + len > end) {
        // Torn tail of an earlier process's segment.
        if (!progressed) return next_segment();
      }
      break;
    }
    const char* p = buf_.data() + off + kHeader;
    if (crc32(0, reinterpret_cast<const Bytef*>(p), len) != crc || len == 0) {
      TALLY_LOG(kWarn, "Remote-write queue: corrupt record, skipping the rest of the segment",
                {{"segment", log_->SegmentPath(pos_.segment)}, {"offset", pos_.offset + off}});
      if (!progressed && next_segment()) return true;
      pos_.offset = end;  // current segment: skip to its end
      return progressed;
    }
    absl::string_view in(p, len);
    const char type = in[0];
    in.remove_prefix(1);
    if (type == 'D') {
      uint64_t n = 0;
      storage::GetVarint64(&in, &n);
      if (!out->samples.empty() &&
          static_cast<int64_t>(out->samples.size() + n) > max_samples) {
        blocked_ = true;
        break;  // the next Read takes this record
      }
      for (uint64_t k = 0; k < n; ++k) {
        uint64_t ref = 0;
        int64_t t = 0;
        if (!storage::GetVarint64(&in, &ref) || !storage::GetVarsint64(&in, &t) || in.size() < 8) {
          break;
        }
        const double v = std::bit_cast<double>(GetFixed64LE(in.data()));
        in.remove_prefix(8);
        auto d = defs_.find(ref);
        if (d == defs_.end()) continue;  // cannot happen: series precede samples
        if (!out->labels.contains(ref)) out->labels.emplace(ref, d->second);
        out->samples.push_back(CommittedSample{ref, t, v});
      }
    } else if (type == 'S') {
      uint64_t ref = 0, n = 0;
      if (storage::GetVarint64(&in, &ref) && storage::GetVarint64(&in, &n)) {
        std::vector<storage::Label> v(n);
        bool ok = true;
        for (auto& x : v) ok = ok && GetString(&in, &x.name) && GetString(&in, &x.value);
        if (ok) defs_[ref] = storage::Labels::FromSorted(std::move(v));
      }
    }
    off += kHeader + len;
    progressed = true;
  }
  pos_.offset += off;
  return progressed;
}

}  // namespace tally::server::remote
