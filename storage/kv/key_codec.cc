#include "storage/kv/key_codec.h"

#include <cstring>

#include "storage/util/coding.h"

namespace tally::storage::kv {
namespace {

// The pair layout of Labels::Encoded(): varint64(len) then the bytes.
void PutLengthPrefixed(std::string* out, absl::string_view s) {
  PutVarint64(out, s.size());
  out->append(s.data(), s.size());
}

bool GetLengthPrefixed(absl::string_view* in, absl::string_view* s) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// Order-preserving escape so that a value never contains the 0x00 separator.
void AppendEscaped(std::string* out, absl::string_view v) {
  for (char c : v) {
    if (c == '\0') {
      out->append("\x01\x01", 2);
    } else if (c == '\x01') {
      out->append("\x01\x02", 2);
    } else {
      out->push_back(c);
    }
  }
}

bool Unescape(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\x01') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 1 >= in.size()) return false;
    const char n = in[++i];
    if (n == '\x01') {
      out->push_back('\0');
    } else if (n == '\x02') {
      out->push_back('\x01');
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string SeriesKey(SeriesRef ref) {
  std::string k;
  PutFixed64BE(&k, ref);
  return k;
}

bool DecodeSeriesKey(absl::string_view key, SeriesRef* ref) {
  if (key.size() != 8) return false;
  *ref = DecodeFixed64BE(key.data());
  return true;
}

// Labels keep their pairs in exactly this encoding (Labels::Encoded()), so these are copies.
void EncodeLabels(const Labels& labels, std::string* out) {
  const absl::string_view enc = labels.Encoded();
  out->assign(enc.data(), enc.size());
}

bool DecodeLabels(absl::string_view enc, Labels* out) { return Labels::FromEncoded(enc, out); }

bool EncodedLabelsEqual(absl::string_view enc, const Labels& labels) {
  return enc == labels.Encoded();
}

bool ForEachEncodedLabel(absl::string_view enc,
                         absl::FunctionRef<void(absl::string_view, absl::string_view)> fn) {
  while (!enc.empty()) {
    absl::string_view n, v;
    if (!GetLengthPrefixed(&enc, &n) || !GetLengthPrefixed(&enc, &v)) return false;
    fn(n, v);
  }
  return true;
}

std::string EncodeSeriesState(const SeriesState& s) {
  std::string out;
  PutFixed64BE(&out, static_cast<uint64_t>(s.last_t));
  PutFixed64BE(&out, s.last_v_bits);
  PutFixed64BE(&out, s.ooo_seq);
  PutFixed32BE(&out, s.ooo_index);
  PutFixed64BE(&out, static_cast<uint64_t>(s.disk_mint));
  PutFixed64BE(&out, static_cast<uint64_t>(s.disk_maxt));
  return out;
}

bool DecodeSeriesState(absl::string_view v, SeriesState* s) {
  if (v.size() != 28 && v.size() != 44) return false;
  s->last_t = static_cast<int64_t>(DecodeFixed64BE(v.data()));
  s->last_v_bits = DecodeFixed64BE(v.data() + 8);
  s->ooo_seq = DecodeFixed64BE(v.data() + 16);
  s->ooo_index = DecodeFixed32BE(v.data() + 24);
  s->has_bounds = v.size() == 44;
  if (s->has_bounds) {
    s->disk_mint = static_cast<int64_t>(DecodeFixed64BE(v.data() + 28));
    s->disk_maxt = static_cast<int64_t>(DecodeFixed64BE(v.data() + 36));
  }
  return true;
}

std::string PostingsNamePrefix(absl::string_view name) {
  std::string k(name);
  k.push_back('\0');
  return k;
}

std::string PostingsPrefix(absl::string_view name, absl::string_view value) {
  std::string k = PostingsNamePrefix(name);
  AppendEscaped(&k, value);
  k.push_back('\0');
  return k;
}

std::string PostingsKey(absl::string_view name, absl::string_view value, SeriesRef ref) {
  std::string k = PostingsPrefix(name, value);
  PutFixed64BE(&k, ref);
  return k;
}

bool DecodePostingsKey(absl::string_view key, std::string* name, std::string* value,
                       SeriesRef* ref) {
  if (key.size() < 10) return false;
  const size_t sep1 = key.find('\0');
  const size_t sep2 = key.size() - 9;
  if (sep1 == absl::string_view::npos || sep1 > sep2 || key[sep2] != '\0') return false;
  name->assign(key.data(), sep1);
  if (!Unescape(key.substr(sep1 + 1, sep2 - sep1 - 1), value)) return false;
  *ref = DecodeFixed64BE(key.data() + sep2 + 1);
  return true;
}

int64_t BucketStart(int64_t t_ms, int64_t bucket_ms) {
  int64_t q = t_ms / bucket_ms;
  if (t_ms % bucket_ms != 0 && t_ms < 0) --q;  // floor, also for negative times
  return q * bucket_ms;
}

std::string BucketPrefix(int64_t bucket) {
  std::string k;
  PutTimestampKey(&k, bucket);
  return k;
}

std::string BucketSeriesPrefix(int64_t bucket, SeriesRef ref) {
  std::string k;
  k.reserve(16);
  PutTimestampKey(&k, bucket);
  PutFixed64BE(&k, ref);
  return k;
}

std::string ChunkKey(int64_t bucket, SeriesRef ref, int64_t mint_ms, uint64_t chunk_id) {
  std::string k;
  k.reserve(32);
  PutTimestampKey(&k, bucket);
  PutFixed64BE(&k, ref);
  PutTimestampKey(&k, mint_ms);
  PutFixed64BE(&k, chunk_id);
  return k;
}

std::string ChunkSeekKey(int64_t bucket, SeriesRef ref, int64_t mint_ms) {
  std::string k = BucketSeriesPrefix(bucket, ref);
  PutTimestampKey(&k, mint_ms);
  return k;
}

bool DecodeChunkKey(absl::string_view key, int64_t* bucket, SeriesRef* ref, int64_t* mint_ms,
                    uint64_t* chunk_id) {
  if (key.size() != 32) return false;
  *bucket = DecodeTimestampKey(key.data());
  *ref = DecodeFixed64BE(key.data() + 8);
  *mint_ms = DecodeTimestampKey(key.data() + 16);
  *chunk_id = DecodeFixed64BE(key.data() + 24);
  return true;
}

bool DecodeLegacyChunkKey(absl::string_view key, SeriesRef* ref, int64_t* mint_ms,
                          uint64_t* chunk_id) {
  if (key.size() != 24) return false;
  *ref = DecodeFixed64BE(key.data());
  *mint_ms = DecodeTimestampKey(key.data() + 8);
  *chunk_id = DecodeFixed64BE(key.data() + 16);
  return true;
}

std::string BucketStatsKey(int64_t bucket) {
  std::string k(kBucketStatsPrefix);
  PutTimestampKey(&k, bucket);
  return k;
}

std::string EncodeBucketStats(const BucketStats& b) {
  std::string v;
  PutFixed64BE(&v, static_cast<uint64_t>(b.chunks));
  PutFixed64BE(&v, static_cast<uint64_t>(b.samples));
  PutFixed64BE(&v, static_cast<uint64_t>(b.bytes));
  PutFixed64BE(&v, static_cast<uint64_t>(b.max_maxt));
  return v;
}

bool DecodeBucketStats(absl::string_view key, absl::string_view v, int64_t* bucket,
                       BucketStats* b) {
  if (key.size() != kBucketStatsPrefix.size() + 8 || v.size() != 32) return false;
  *bucket = DecodeTimestampKey(key.data() + kBucketStatsPrefix.size());
  b->chunks = static_cast<int64_t>(DecodeFixed64BE(v.data()));
  b->samples = static_cast<int64_t>(DecodeFixed64BE(v.data() + 8));
  b->bytes = static_cast<int64_t>(DecodeFixed64BE(v.data() + 16));
  b->max_maxt = static_cast<int64_t>(DecodeFixed64BE(v.data() + 24));
  return true;
}

void EncodeChunkValue(int64_t mint_ms, int64_t maxt_ms, int num_samples,
                      absl::string_view xor_bytes, std::string* out) {
  out->clear();
  PutVarint64(out, static_cast<uint64_t>(maxt_ms) - static_cast<uint64_t>(mint_ms));
  PutVarint64(out, static_cast<uint64_t>(num_samples));
  out->append(xor_bytes.data(), xor_bytes.size());
}

bool DecodeChunkValue(absl::string_view value, int64_t mint_ms, int64_t* maxt_ms,
                      int* num_samples, absl::string_view* xor_bytes) {
  uint64_t span, n;
  if (!GetVarint64(&value, &span) || !GetVarint64(&value, &n) || n > 65535) return false;
  *maxt_ms = static_cast<int64_t>(static_cast<uint64_t>(mint_ms) + span);
  if (*maxt_ms < mint_ms) return false;
  *num_samples = static_cast<int>(n);
  *xor_bytes = value;
  return true;
}

std::string WalKey(uint64_t seq) { return EncodeU64(seq); }

bool DecodeWalKey(absl::string_view key, uint64_t* seq) { return DecodeU64(key, seq); }

std::string MetadataKey(absl::string_view metric) {
  std::string k(kMetadataPrefix);
  k.append(metric.data(), metric.size());
  return k;
}

std::string EncodeU64(uint64_t v) {
  std::string s;
  PutFixed64BE(&s, v);
  return s;
}

bool DecodeU64(absl::string_view v, uint64_t* out) {
  if (v.size() != 8) return false;
  *out = DecodeFixed64BE(v.data());
  return true;
}

bool DecodeChunkRecord(absl::string_view key, absl::string_view value, ChunkRecord* out) {
  return DecodeChunkKey(key, &out->bucket, &out->ref, &out->mint_ms, &out->chunk_id) &&
         DecodeChunkValue(value, out->mint_ms, &out->maxt_ms, &out->num_samples, &out->bytes);
}

}  // namespace tally::storage::kv
