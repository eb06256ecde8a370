#include "storage/ingest/backfill.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/time/clock.h"
#include "storage/ingest/backfill_windows.h"
#include "storage/ingest/backfill_write.h"
#include "storage/util/duration.h"
#include "storage/util/status_macros.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace tally::storage {
namespace {

using backfill_internal::AddCommit;
using backfill_internal::Histogram;
using backfill_internal::PlanWindows;
using backfill_internal::ShardOfHash;
using backfill_internal::ShardTotals;
using backfill_internal::Window;
using backfill_internal::WindowSeries;

constexpr size_t kMinSliceBytes = 256 << 10;
constexpr size_t kMaxChunkBytes = 64 << 20;
constexpr int64_t kPlannedBytesPerSample = 40;

struct MetaEntry {
  TextEntry kind;
  absl::string_view family;
  MetricType type;
  std::string text;  // help or unit
};

// What one slice of the input parses to.
struct SliceResult {
  absl::string_view text;
  int64_t first_line = 1;
  int64_t newlines = 0;  // set when the whole slice parsed
  bool last = false;
  absl::Status status;
  absl::flat_hash_map<absl::string_view, uint32_t> index;  // series_text -> local id
  std::vector<Labels> labels;                              // per local id
  std::vector<uint64_t> hashes;                            // per local id: absl::Hash
  absl::flat_hash_map<uint64_t, uint32_t> by_hash;         // hash -> first local id
  std::vector<std::vector<Sample>> samples;                // per local id (window pass)
  Histogram hist;                                          // validating pass, if asked
  std::vector<MetaEntry> metadata;
  int64_t count = 0;
  int64_t min_t = kMaxTime;
  int64_t max_t = kMinTime;
};

// Cuts input into slices ending at line boundaries.
std::vector<SliceResult> Slice(absl::string_view input, int parallelism, bool last_chunk) {
  const size_t target =
      std::max(kMinSliceBytes, input.size() / (static_cast<size_t>(parallelism) * 4 + 1));
  std::vector<SliceResult> slices;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t end = std::min(input.size(), pos + target);
    if (end < input.size()) {
      const size_t nl = input.find('\n', end);
      end = nl == absl::string_view::npos ? input.size() : nl + 1;
    }
    SliceResult s;
    s.text = input.substr(pos, end - pos);
    slices.push_back(std::move(s));
    pos = end;
  }
  if (slices.empty()) slices.emplace_back();
  slices.back().last = last_chunk;
  return slices;
}

// validate: the first pass (metadata; the histogram too if histogram). window != nullptr:
// keeps the samples inside *window.
void ParseSlice(SliceResult& r, TextFormat format, const BackfillOptions& opt,
                int64_t max_valid_t, bool validate, bool histogram, const Window* window) {
  TextParser p(r.text, TextParserOptions{
                           .format = format, .first_line = r.first_line, .require_eof = r.last});
  int64_t since_check = 0;
  constexpr uint32_t kNoId = ~uint32_t{0};
  uint32_t last_id = kNoId;  // local id of the previous sample's series
  while (true) {
    absl::StatusOr<TextEntry> e = p.Next();
    if (!e.ok()) {
      r.status = e.status();
      return;
    }
    if (*e == TextEntry::kEnd) {
      const bool open_last_line = !r.text.empty() && r.text.back() != '\n';
      r.newlines = p.line() - r.first_line + 1 - (open_last_line ? 1 : 0);
      return;
    }
    if (*e != TextEntry::kSample) {
      if (!validate) continue;
      MetaEntry m{*e, p.family(), p.type(), ""};
      if (*e == TextEntry::kHelp) m.text = std::string(p.help());
      if (*e == TextEntry::kUnit) m.text = std::string(p.unit());
      r.metadata.push_back(std::move(m));
      continue;
    }
    if (!p.has_timestamp()) {
      r.status = absl::InvalidArgumentError(
          absl::StrCat("line ", p.line(), ": sample of ", p.series_text(),
                       " has no timestamp (backfill needs one on every sample)"));
      return;
    }
    // A series repeated from the previous line (files grouped by series) skips the lookup.
    if (!p.series_repeated() || last_id == kNoId) {
      auto [it, inserted] = r.index.try_emplace(p.series_text(), r.labels.size());
      if (inserted) {
        // Another spelling (label order) of a label set already seen in this slice shares
        // its id, so a series' samples stay in file order whatever the slicing.
        Labels labels = p.BuildLabels();
        const uint64_t h = absl::Hash<Labels>{}(labels);
        auto [alias, fresh] = r.by_hash.try_emplace(h, static_cast<uint32_t>(r.labels.size()));
        if (!fresh && r.labels[alias->second] == labels) {
          it->second = alias->second;
        } else {
          r.labels.push_back(std::move(labels));
          r.hashes.push_back(h);
          if (window != nullptr) r.samples.emplace_back();
          if (absl::Status ls = CheckSeriesLimits(r.labels.back(), opt.series_limits);
              !ls.ok()) {
            r.status =
                absl::InvalidArgumentError(absl::StrCat("line ", p.line(), ": ", ls.message()));
            return;
          }
        }
      }
      last_id = it->second;
    }
    const int64_t t = p.timestamp_ms();
    if (t > max_valid_t) {
      r.status = absl::InvalidArgumentError(
          absl::StrCat("line ", p.line(), ": sample of ", p.series_text(), " at timestamp ", t,
                       " is too far in the future (more than ", FormatDurationMs(opt.max_future_ms),
                       " after the current time; limit set by --storage.tsdb.max-future)"));
      return;
    }
    const uint32_t shard = ShardOfHash(r.hashes[last_id]);
    if (histogram) r.hist.Add(t, shard);
    if (window != nullptr && window->Contains(t, shard)) {
      r.samples[last_id].push_back(Sample{t, p.value()});
    }
    r.min_t = std::min(r.min_t, t);
    r.max_t = std::max(r.max_t, t);
    ++r.count;
    if (++since_check == 65536) {
      since_check = 0;
      if (opt.cancel != nullptr && opt.cancel->load(std::memory_order_relaxed)) {
        r.status = absl::CancelledError("backfill interrupted while parsing; nothing written");
        return;
      }
    }
  }
}


// A chunk of the input as cut by the validating pass, reused by the window passes.
struct Chunk {
  int64_t offset = 0;
  int64_t size = 0;
  int64_t first_line = 1;
  bool last = false;
  int64_t min_t = kMaxTime;
  int64_t max_t = kMinTime;
  uint64_t shard_mask = 0;
};

class Importer {
 public:
  Importer(DB& db, BackfillSource& src, const BackfillOptions& o)
      : db_(db), src_(src), opt_(o), progress_(o.progress),
        threads_(o.max_threads > 0 ? o.max_threads : tbb::this_task_arena::max_concurrency()),
        arena_(threads_) {
    chunk_bytes_ = kMaxChunkBytes;
    if (opt_.max_memory_bytes > 0) {
      chunk_bytes_ = static_cast<size_t>(std::clamp<int64_t>(opt_.max_memory_bytes / 32,
                                                              256 << 10, kMaxChunkBytes));
    }
  }

  absl::StatusOr<BackfillResult> Run();
  BackfillResult Finish();  // fills the counters in from the write totals

 private:
  bool Cancelled() const {
    return opt_.cancel != nullptr && opt_.cancel->load(std::memory_order_relaxed);
  }
  // Reads the chunk starting at offset, extended to the end of its last whole line.
  absl::StatusOr<absl::string_view> ReadChunk(int64_t offset, int64_t size);
  // Cuts text into slices (line numbers from first_line) and parses them in parallel.
  // *next_line: the line number after the chunk. The first failed slice (in file order)
  // carries its error; later slices' statuses are not meaningful.
  std::vector<SliceResult> ParseChunk(absl::string_view text, int64_t first_line, bool last,
                                      bool validate, bool histogram, const Window* window,
                                      int64_t* next_line = nullptr);
  // Rebuilds hist_ from the samples kept so far (the validating pass skips the histogram
  // while everything still fits one window).
  void HistogramFromKept();
  absl::Status Validate();
  int64_t ReadCost(const std::vector<Window>& windows) const {
    int64_t cost = 0;
    for (const Window& w : windows) {
      for (const Chunk& c : chunks_) {
        if (w.Overlaps(c.min_t, c.max_t, c.shard_mask)) cost += c.size;
      }
    }
    return cost;
  }
  absl::Status CollectWindow(const Window& w, WindowSeries* out, bool* cancelled);
  absl::Status WriteWindow(WindowSeries& ws) {
    return backfill_internal::WriteWindow(db_, arena_, threads_, opt_, ws, stop_, totals_);
  }
  // Moves a slice's kept samples into out; returns how many.
  int64_t MergeSlice(SliceResult& s, WindowSeries* out);
  // Samples one window may hold under options.max_memory_bytes (0: no bound).
  int64_t MaxWindowSamples() const {
    if (opt_.max_memory_bytes <= 0) return 0;
    return std::max<int64_t>(1 << 14, (opt_.max_memory_bytes -
                                       2 * static_cast<int64_t>(chunk_bytes_)) /
                                          kPlannedBytesPerSample);
  }

  DB& db_;
  BackfillSource& src_;
  const BackfillOptions& opt_;
  BackfillProgress* progress_;
  const int threads_;
  tbb::task_arena arena_;
  size_t chunk_bytes_;
  std::string scratch_;
  int64_t max_valid_t_ = kMaxTime;

  BackfillResult result_;
  std::vector<Chunk> chunks_;
  Histogram hist_{1 << 18};
  absl::flat_hash_map<std::string, MetricMetadata> metadata_;
  std::vector<std::string> family_order_;

  bool keeping_ = false;  // validating pass also keeps samples while they fit one window
  WindowSeries kept_;
  int64_t kept_samples_ = 0;
  ShardTotals totals_;
  std::atomic<bool> stop_{false};
};

absl::StatusOr<absl::string_view> Importer::ReadChunk(int64_t offset, int64_t size) {
  const int64_t total = src_.size();
  if (size > 0) return src_.Read(offset, static_cast<size_t>(size), &scratch_);
  size_t len = chunk_bytes_;
  while (true) {
    ASSIGN_OR_RETURN(absl::string_view data, src_.Read(offset, len, &scratch_));
    if (offset + static_cast<int64_t>(data.size()) >= total) return data;
    const size_t nl = data.rfind('\n');
    if (nl != absl::string_view::npos) return data.substr(0, nl + 1);
    len *= 2;  // a line longer than a chunk: read more
  }
}

std::vector<SliceResult> Importer::ParseChunk(absl::string_view text, int64_t first_line,
                                              bool last, bool validate, bool histogram,
                                              const Window* window, int64_t* next_line) {
  // Slices are parsed with line numbers relative to their own start (no separate pass over
  // the chunk to count lines); a slice's newline count comes out of its parse, and the one
  // slice whose error is reported is parsed again with its absolute first line.
  std::vector<SliceResult> slices = Slice(text, threads_, last);
  arena_.execute([&] {
    tbb::parallel_for(
        size_t{0}, slices.size(),
        [&](size_t i) {
          ParseSlice(slices[i], result_.format, opt_, max_valid_t_, validate, histogram, window);
          if (progress_ != nullptr && validate) {
            progress_->bytes_parsed += slices[i].text.size();
          }
        },
        tbb::simple_partitioner());
  });
  int64_t line = first_line;
  for (SliceResult& s : slices) {
    if (!s.status.ok()) {
      if (!absl::IsCancelled(s.status) && s.first_line != line) {
        SliceResult again;
        again.text = s.text;
        again.first_line = line;
        again.last = s.last;
        ParseSlice(again, result_.format, opt_, max_valid_t_, validate, false, window);
        s.status = again.status;
      }
      break;
    }
    s.first_line = line;
    line += s.newlines;
  }
  if (next_line != nullptr) *next_line = line;
  return slices;
}

void Importer::HistogramFromKept() {
  for (size_t i = 0; i < kept_.labels.size(); ++i) {
    const uint32_t shard = ShardOfHash(absl::Hash<Labels>{}(kept_.labels[i]));
    for (const Sample& x : kept_.samples[i]) hist_.Add(x.t_ms, shard);
  }
}

absl::Status Importer::Validate() {
  absl::flat_hash_set<uint64_t> series;
  const Window everything;
  keeping_ = true;
  int64_t offset = 0;
  int64_t line = 1;
  const int64_t total = src_.size();
  do {
    ASSIGN_OR_RETURN(absl::string_view text, ReadChunk(offset, 0));
    Chunk c{.offset = offset, .size = static_cast<int64_t>(text.size()), .first_line = line};
    c.last = offset + c.size >= total;
    int64_t next_line = line;
    std::vector<SliceResult> slices = ParseChunk(text, line, c.last, true, !keeping_,
                                                 keeping_ ? &everything : nullptr, &next_line);
    // The first error in file order wins (slices stop at their own first error).
    for (const SliceResult& s : slices) {
      if (!s.status.ok()) return s.status;
    }
    for (SliceResult& s : slices) {
      for (uint64_t h : s.hashes) {
        series.insert(h);
        c.shard_mask |= uint64_t{1} << ShardOfHash(h);
      }
      hist_.Merge(s.hist);
      c.min_t = std::min(c.min_t, s.min_t);
      c.max_t = std::max(c.max_t, s.max_t);
      result_.samples_read += s.count;
      // Metadata: later lines override earlier ones, field by field.
      for (const MetaEntry& m : s.metadata) {
        auto [it, inserted] = metadata_.try_emplace(std::string(m.family));
        if (inserted) {
          family_order_.push_back(it->first);
          it->second.type = MetricTypeString(MetricType::kUnknown);
        }
        if (m.kind == TextEntry::kType) it->second.type = MetricTypeString(m.type);
        if (m.kind == TextEntry::kHelp) it->second.help = m.text;
        if (m.kind == TextEntry::kUnit) it->second.unit = m.text;
      }
    }
    result_.min_time_ms = std::min(result_.min_time_ms, c.min_t);
    result_.max_time_ms = std::max(result_.max_time_ms, c.max_t);
    if (keeping_) {
      for (SliceResult& s : slices) kept_samples_ += MergeSlice(s, &kept_);
      if (opt_.max_memory_bytes > 0 && kept_samples_ > MaxWindowSamples()) {
        keeping_ = false;  // does not fit: write in windows, re-reading the input
        HistogramFromKept();
        kept_ = WindowSeries();
      }
    }
    chunks_.push_back(c);
    offset += c.size;
    line = next_line;
  } while (offset < total);
  result_.series = static_cast<int64_t>(series.size());
  return absl::OkStatus();
}

absl::Status Importer::CollectWindow(const Window& w, WindowSeries* out, bool* cancelled) {
  for (const Chunk& c : chunks_) {
    if (!w.Overlaps(c.min_t, c.max_t, c.shard_mask)) continue;
    ASSIGN_OR_RETURN(absl::string_view text, ReadChunk(c.offset, c.size));
    std::vector<SliceResult> slices = ParseChunk(text, c.first_line, c.last, false, false, &w);
    for (SliceResult& s : slices) {
      if (absl::IsCancelled(s.status)) {
        *cancelled = true;
        return absl::OkStatus();
      }
      if (!s.status.ok()) {
        return absl::DataLossError(absl::StrCat(
            "the input changed while backfilling (it validated, then: ", s.status.message(), ")"));
      }
      MergeSlice(s, out);
    }
  }
  return absl::OkStatus();
}

int64_t Importer::MergeSlice(SliceResult& s, WindowSeries* out) {
  int64_t n = 0;
  for (uint32_t li = 0; li < s.samples.size(); ++li) {
    if (s.samples[li].empty()) continue;
    auto [it, inserted] = out->index.try_emplace(s.labels[li], out->labels.size());
    if (inserted) {
      out->labels.push_back(s.labels[li]);
      out->samples.emplace_back();
    }
    std::vector<Sample>& dst = out->samples[it->second];
    n += static_cast<int64_t>(s.samples[li].size());
    if (dst.empty()) {
      dst = std::move(s.samples[li]);
    } else {
      dst.insert(dst.end(), s.samples[li].begin(), s.samples[li].end());
    }
    s.samples[li] = {};
  }
  return n;
}

absl::StatusOr<BackfillResult> Importer::Run() {
  if (opt_.format.has_value()) {
    result_.format = *opt_.format;
  } else {
    // As DetectTextFormat over the whole input: a trailing "# EOF" line, or "# UNIT" in
    // the first 64 KiB.
    std::string head_buf, tail_buf;
    ASSIGN_OR_RETURN(absl::string_view head, src_.Read(0, 64 << 10, &head_buf));
    if (src_.size() <= static_cast<int64_t>(head.size())) {
      result_.format = DetectTextFormat(head);
    } else {
      ASSIGN_OR_RETURN(absl::string_view tail, src_.Read(src_.size() - 4096, 4096, &tail_buf));
      while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.remove_suffix(1);
      const bool om = absl::EndsWith(tail, "\n# EOF") || absl::StartsWith(head, "# UNIT ") ||
                      head.find("\n# UNIT ") != absl::string_view::npos;
      result_.format = om ? TextFormat::kOpenMetrics : TextFormat::kPrometheus;
    }
  }
  if (progress_ != nullptr) {
    progress_->phase = BackfillProgress::kParsing;
    progress_->bytes_total = src_.size();
  }

  // ---- Phase 1: validate everything. ----
  const int64_t now_ms = opt_.now_ms != 0 ? opt_.now_ms : absl::ToUnixMillis(absl::Now());
  max_valid_t_ = opt_.max_future_ms > 0 && now_ms <= kMaxTime - opt_.max_future_ms
                     ? now_ms + opt_.max_future_ms
                     : kMaxTime;
  RETURN_IF_ERROR(Validate());
  if (Cancelled()) {
    return absl::CancelledError("backfill interrupted while parsing; nothing written");
  }

  // ---- Phase 2: write, window by window. ----
  for (const std::string& family : family_order_) {
    RETURN_IF_ERROR(db_.SetMetadata(family, metadata_[family]));
  }
  result_.metadata_families = static_cast<int64_t>(family_order_.size());
  if (progress_ != nullptr) {
    progress_->samples_total = result_.samples_read;
    progress_->phase = BackfillProgress::kWriting;
  }
  const int64_t max_samples = MaxWindowSamples();
  if (keeping_) {
    // The whole file fitted in one window while validating: write it without re-reading.
    result_.windows = 1;
    absl::Status status = WriteWindow(kept_);
    kept_ = WindowSeries();
    if (progress_ != nullptr) progress_->phase = BackfillProgress::kDone;
    RETURN_IF_ERROR(status);
    return Finish();
  }
  // Time windows suit a file in scrape order, shard windows one grouped by series: take
  // the plan that re-reads fewer bytes (chunks outside a window are skipped).
  std::vector<Window> windows = PlanWindows(hist_, max_samples);
  if (windows.size() > 1) {
    std::vector<Window> by_shard = backfill_internal::PlanShardWindows(hist_, max_samples);
    if (!by_shard.empty() && ReadCost(by_shard) < ReadCost(windows)) windows = std::move(by_shard);
  }
  result_.windows = static_cast<int64_t>(windows.size());
  hist_ = Histogram();
  absl::Status status;
  for (const Window& w : windows) {
    if (stop_.load() || Cancelled()) {
      stop_ = true;
      break;
    }
    WindowSeries ws;
    bool cancelled = false;
    status = CollectWindow(w, &ws, &cancelled);
    if (!status.ok()) break;
    if (cancelled) {
      stop_ = true;
      break;
    }
    status = WriteWindow(ws);
    if (!status.ok()) break;
  }
  if (progress_ != nullptr) progress_->phase = BackfillProgress::kDone;
  RETURN_IF_ERROR(status);
  return Finish();
}

BackfillResult Importer::Finish() {
  result_.appended = totals_.commit.appended;
  result_.rejected_out_of_order = totals_.commit.rejected_out_of_order;
  result_.rejected_duplicate = totals_.commit.rejected_duplicate;
  result_.rejected_too_old = totals_.commit.rejected_too_old;
  result_.rejected_too_far_in_future = totals_.commit.rejected_too_far_in_future;
  result_.rejected_invalid = totals_.rejected_invalid;
  result_.exact_duplicates = totals_.exact_duplicates;
  result_.first_rejection = totals_.first_rejection;
  result_.interrupted = stop_.load();
  return result_;
}

}  // namespace

absl::StatusOr<BackfillResult> Backfill(DB& db, BackfillSource& input,
                                        const BackfillOptions& options) {
  Importer importer(db, input, options);
  return importer.Run();
}

absl::StatusOr<BackfillResult> Backfill(DB& db, absl::string_view input,
                                        const BackfillOptions& options) {
  std::unique_ptr<BackfillSource> src = StringBackfillSource(input);
  return Backfill(db, *src, options);
}

}  // namespace tally::storage
