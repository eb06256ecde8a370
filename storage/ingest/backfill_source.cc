// BackfillSource implementations: a view of memory, and pread over a regular file (so a
// file of any size is read a chunk at a time instead of being mapped or loaded whole).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/ingest/backfill.h"

namespace tally::storage {
namespace {

class StringSource : public BackfillSource {
 public:
  explicit StringSource(absl::string_view data) : data_(data) {}
  int64_t size() const override { return static_cast<int64_t>(data_.size()); }
  absl::StatusOr<absl::string_view> Read(int64_t offset, size_t len, std::string*) override {
    if (offset >= size()) return absl::string_view();
    return data_.substr(static_cast<size_t>(offset), len);
  }

 private:
  absl::string_view data_;
};

class FileSource : public BackfillSource {
 public:
  FileSource(int fd, int64_t size) : fd_(fd), size_(size) {}
  int64_t size() const override { return size_; }
  absl::StatusOr<absl::string_view> Read(int64_t offset, size_t len,
                                         std::string* scratch) override {
    if (offset >= size_) return absl::string_view();
    len = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(len), size_ - offset));
    scratch->resize(len);
    size_t done = 0;
    while (done < len) {
      const ssize_t n = ::pread(fd_, scratch->data() + done, len - done,
                                static_cast<off_t>(offset + static_cast<int64_t>(done)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return absl::UnavailableError(absl::StrCat("read: ", std::strerror(errno)));
      if (n == 0) {
        return absl::DataLossError("input file shrank while backfilling (it must not change)");
      }
      done += static_cast<size_t>(n);
    }
    return absl::string_view(*scratch);
  }

 private:
  int fd_;
  int64_t size_;
};

}  // namespace

std::unique_ptr<BackfillSource> StringBackfillSource(absl::string_view data) {
  return std::make_unique<StringSource>(data);
}

absl::StatusOr<std::unique_ptr<BackfillSource>> FileBackfillSource(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::UnavailableError(absl::StrCat("stat: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError("not a regular file");
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<FileSource>(fd, static_cast<int64_t>(st.st_size));
}

}  // namespace tally::storage
