#include "server/scrape/scrape_loop.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/util/log.h"

namespace tally::server::scrape {

namespace {

// Prometheus compat: scrape.go's report series names, in report order.
constexpr const char* kReportNames[] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                        "scrape_samples_post_metric_relabeling",
                                        "scrape_series_added"};

}  // namespace

const char* TargetHealthString(TargetHealth h) {
  switch (h) {
    case TargetHealth::kUp:
      return "up";
    case TargetHealth::kDown:
      return "down";
    case TargetHealth::kUnknown:
      break;
  }
  return "unknown";
}

ScrapeLoop::ScrapeLoop(storage::DB* db, ScrapeFetcher* fetcher, ScrapeCounters* counters,
                       storage::Labels target_labels, std::string url,
                       std::shared_ptr<const LoopOptions> options)
    : db_(db),
      fetcher_(fetcher),
      counters_(counters),
      target_labels_(std::move(target_labels)),
      url_(std::move(url)),
      options_(std::move(options)) {
  for (int i = 0; i < kNumReport; ++i) report_labels_[i] = ReportLabels(kReportNames[i], target_labels_);
}

void ScrapeLoop::SetOptions(std::shared_ptr<const LoopOptions> options, bool labels_changed) {
  absl::MutexLock l(&mu_);
  options_ = std::move(options);
  if (labels_changed) relabel_changed_ = true;
}

std::shared_ptr<const LoopOptions> ScrapeLoop::options() const {
  absl::MutexLock l(&mu_);
  return options_;
}

TargetStatus ScrapeLoop::status() const {
  absl::MutexLock l(&mu_);
  return status_;
}

ScrapeResult ScrapeLoop::ScrapeOnce(absl::Time t) {
  std::shared_ptr<const LoopOptions> o = options();
  const absl::Time start = absl::Now();
  FetchRequest req{url_, o->timeout, o->body_size_limit};
  ScrapeFetcher* fetcher = o->fetcher ? o->fetcher.get() : fetcher_;
  absl::StatusOr<FetchResult> f = fetcher->Fetch(req);
  const absl::Duration took = absl::Now() - start;
  if (!f.ok()) {
    if (f.status().message() == "body size limit exceeded") ++counters_->body_size_limit;
    return AppendBody({}, storage::TextFormat::kPrometheus, t, took, f.status());
  }
  return AppendBody(f->body, FormatForContentType(f->content_type), t, took, absl::OkStatus());
}

ScrapeResult ScrapeLoop::AppendBody(absl::string_view body, storage::TextFormat format,
                                    absl::Time t, absl::Duration duration,
                                    absl::Status fetch_error) {
  std::shared_ptr<const LoopOptions> o = options();
  const int64_t t_ms = absl::ToUnixMillis(t);
  ScrapeResult r;
  if (relabel_changed_.exchange(false)) cache_.ClearSeries();
  cache_.BeginIteration();
  std::unique_ptr<storage::Appender> app = db_->NewAppender();
  r.error = fetch_error;
  if (r.error.ok()) r.error = AppendSamples(*app, body, format, t_ms, *o, &r);
  if (!r.error.ok()) {
    // Prometheus compat: scrapeAndReport: a failed scrape stores nothing of its own and is
    // then appended as an empty one, which makes every series of the last scrape stale.
    app->Rollback();
    app = db_->NewAppender();
    AppendStale(*app, /*failed=*/true, t_ms);
    // Prometheus compat: scrapeCache.iterDone flushes after failed scrapes too once the
    // cache grew past twice its last good size + 1000 (varying labels in failing scrapes).
    if (cache_.series_count() > 2 * last_good_cache_size_ + 1000) cache_.Sweep();
  } else {
    AppendStale(*app, /*failed=*/false, t_ms);
    cache_.Sweep();
    last_good_cache_size_ = cache_.series_count();
  }
  const double report[kNumReport] = {r.error.ok() ? 1.0 : 0.0, absl::ToDoubleSeconds(duration),
                                     static_cast<double>(r.scraped),
                                     static_cast<double>(r.post_relabel),
                                     static_cast<double>(r.series_added)};
  AppendReport(*app, t_ms, report);
  absl::StatusOr<storage::CommitResult> c = app->Commit();
  if (!c.ok()) {
    TALLY_LOG(kWarn, "Scrape commit failed", {{"target", url_}, {"err", c.status().message()}});
    if (r.error.ok()) r.error = c.status();
  } else {
    r.commit = *c;
    counters_->out_of_order += c->rejected_out_of_order;
    counters_->duplicate += c->rejected_duplicate;
    counters_->out_of_bounds += c->rejected_too_old + c->rejected_too_far_in_future;
    counters_->appended += c->appended;
    ever_appended_ = true;
  }
  absl::MutexLock l(&mu_);
  status_.health = r.error.ok() ? TargetHealth::kUp : TargetHealth::kDown;
  status_.last_error = r.error.ok() ? "" : std::string(r.error.message());
  status_.last_scrape = t;
  status_.scraped = true;
  status_.last_duration = duration;
  return r;
}

absl::Status ScrapeLoop::AppendOne(storage::Appender& app, ScrapeCache::Entry* e, int64_t t_ms,
                                   double v) {
  if (e->ref != storage::kInvalidSeriesRef) {
    absl::Status s = app.Append(e->ref, t_ms, v);
    if (!absl::IsNotFound(s)) return s;
    // The series left the head since (retention): append by labels again.
  }
  absl::StatusOr<storage::SeriesRef> ref = app.Append(e->labels, t_ms, v);
  if (!ref.ok()) return ref.status();
  e->ref = *ref;
  return absl::OkStatus();
}

absl::Status ScrapeLoop::AppendSamples(storage::Appender& app, absl::string_view body,
                                       storage::TextFormat format, int64_t t_ms,
                                       const LoopOptions& o, ScrapeResult* r) {
  storage::TextParser p(body, format);
  absl::Status limit_error;
  uint64_t counted = 0;
  while (true) {
    absl::StatusOr<storage::TextEntry> e = p.Next();
    if (!e.ok()) return e.status();
    switch (*e) {
      case storage::TextEntry::kEnd:
        // Prometheus compat: sample_limit is checked against every sample, and parsing
        // goes on after it was hit so scrape_samples_scraped reports the full count.
        if (!limit_error.ok()) ++counters_->sample_limit;
        return limit_error;
      case storage::TextEntry::kType:
        cache_.SetType(p.family(), p.type());
        continue;
      case storage::TextEntry::kHelp:
        cache_.SetHelp(p.family(), p.help());
        continue;
      case storage::TextEntry::kUnit:
        cache_.SetUnit(p.family(), p.unit());
        continue;
      case storage::TextEntry::kSample:
        break;
    }
    ++r->scraped;
    ScrapeCache::Entry* entry = cache_.Find(p.series_text());
    if (entry == nullptr) {
      storage::Labels lset =
          MutateSampleLabels(p.BuildLabels(), target_labels_, o.honor_labels, o.metric_relabel);
      if (lset.empty()) {
        cache_.Add(p.series_text(), {}, /*dropped=*/true);
        continue;
      }
      if (!lset.Has(storage::kMetricNameLabel)) {
        return absl::InvalidArgumentError("missing metric name (__name__ label)");
      }
      if (absl::Status s = VerifyLabelLimits(lset, o.label_limits); !s.ok()) {
        ++counters_->label_limits;
        return s;
      }
      entry = cache_.Add(p.series_text(), std::move(lset), /*dropped=*/false);
      if (limit_error.ok()) ++r->series_added;
    } else {
      entry->last_iter = cache_.iter();
      if (entry->dropped) continue;
    }
    ++r->post_relabel;
    const double v = p.value();
    if (o.sample_limit > 0 && !storage::IsStaleNaN(v) && ++counted > o.sample_limit) {
      if (limit_error.ok()) limit_error = absl::ResourceExhaustedError("sample limit exceeded");
      continue;
    }
    if (!limit_error.ok()) continue;
    const bool explicit_ts = o.honor_timestamps && p.has_timestamp();
    if (absl::Status s = AppendOne(app, entry, explicit_ts ? p.timestamp_ms() : t_ms, v);
        !s.ok()) {
      return s;
    }
    // Prometheus compat: only samples without an explicit timestamp take part in
    // staleness (scrapeCache.trackStaleness is skipped when tp != nil).
    if (!explicit_ts) cache_.Track(entry);
  }
}

void ScrapeLoop::AppendStale(storage::Appender& app, bool failed, int64_t t_ms) {
  cache_.ForEachStale(failed, [&](storage::SeriesRef ref) {
    app.Append(ref, t_ms, storage::StaleNaN()).IgnoreError();  // NotFound: left the head
  });
}

void ScrapeLoop::AppendReport(storage::Appender& app, int64_t t_ms,
                              const double (&values)[kNumReport]) {
  for (int i = 0; i < kNumReport; ++i) {
    if (report_refs_[i] != storage::kInvalidSeriesRef &&
        !absl::IsNotFound(app.Append(report_refs_[i], t_ms, values[i]))) {
      continue;
    }
    absl::StatusOr<storage::SeriesRef> ref = app.Append(report_labels_[i], t_ms, values[i]);
    report_refs_[i] = ref.ok() ? *ref : storage::kInvalidSeriesRef;
  }
}

void ScrapeLoop::WriteStaleMarkers(absl::Time t) {
  if (!ever_appended_) return;  // never scraped: nothing to mark
  const int64_t t_ms = absl::ToUnixMillis(t);
  cache_.BeginIteration();
  std::unique_ptr<storage::Appender> app = db_->NewAppender();
  AppendStale(*app, /*failed=*/true, t_ms);
  const double stale = storage::StaleNaN();
  const double report[kNumReport] = {stale, stale, stale, stale, stale};
  AppendReport(*app, t_ms, report);
  absl::StatusOr<storage::CommitResult> c = app->Commit();
  if (!c.ok()) {
    TALLY_LOG(kWarn, "Writing stale markers failed",
              {{"target", url_}, {"err", c.status().message()}});
  }
}

}  // namespace tally::server::scrape
