// The value of one "wal" column-family record: the samples accepted by one commit group,
// in the order they were applied to the head.
//
//   varint count
//   count x { varint (ref << 1 | ooo) ; varsint (t - previous t, starting at 0) ;
//             u64 BE float64 bits }
//
// `ooo` marks a sample that went to the series' out-of-order buffer. Replay re-applies the
// records in seq order, skipping what sealed chunks already hold (docs/storage.md).
// Pure functions; WalReader views the bytes it was given and must not outlive them.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/model/sample.h"
#include "storage/util/coding.h"

namespace tally::storage::head {

struct WalSample {
  SeriesRef ref;
  int64_t t_ms;
  uint64_t v_bits;
  bool ooo;
};

class WalWriter {
 public:
  void Reset() {
    body_.clear();
    count_ = 0;
    prev_t_ = 0;
  }
  void Add(const WalSample& s) {
    PutVarint64(&body_, (s.ref << 1) | (s.ooo ? 1 : 0));
    PutVarsint64(&body_, static_cast<int64_t>(static_cast<uint64_t>(s.t_ms) -
                                              static_cast<uint64_t>(prev_t_)));
    PutFixed64BE(&body_, s.v_bits);
    prev_t_ = s.t_ms;
    ++count_;
  }
  uint64_t count() const { return count_; }
  // The encoded record (count prefix + body).
  std::string Finish() const {
    std::string out;
    out.reserve(body_.size() + 10);
    PutVarint64(&out, count_);
    out += body_;
    return out;
  }

 private:
  std::string body_;
  uint64_t count_ = 0;
  int64_t prev_t_ = 0;
};

class WalReader {
 public:
  // False if the header is malformed.
  bool Init(absl::string_view rec) {
    in_ = rec;
    prev_t_ = 0;
    return GetVarint64(&in_, &remaining_);
  }
  uint64_t remaining() const { return remaining_; }
  // False at the end or on corruption (then corrupt() is true).
  bool Next(WalSample* s) {
    if (remaining_ == 0) return false;
    uint64_t rf;
    int64_t dt;
    if (!GetVarint64(&in_, &rf) || !GetVarsint64(&in_, &dt) || in_.size() < 8) {
      corrupt_ = true;
      return false;
    }
    s->ref = rf >> 1;
    s->ooo = (rf & 1) != 0;
    s->t_ms = static_cast<int64_t>(static_cast<uint64_t>(prev_t_) + static_cast<uint64_t>(dt));
    s->v_bits = DecodeFixed64BE(in_.data());
    in_.remove_prefix(8);
    prev_t_ = s->t_ms;
    --remaining_;
    return true;
  }
  bool corrupt() const { return corrupt_ || (remaining_ == 0 && !in_.empty()); }

 private:
  absl::string_view in_;
  uint64_t remaining_ = 0;
  int64_t prev_t_ = 0;
  bool corrupt_ = false;
};

}  // namespace tally::storage::head
