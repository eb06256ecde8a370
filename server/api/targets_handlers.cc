// /api/v1/targets, /api/v1/targets/metadata, and the scraped part of /api/v1/metadata,
// shaped as Prometheus 2.42's web/api/v1/api.go answers them.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "promql/parser/parser.h"
#include "server/api/http_api.h"
#include "server/api/json_builder.h"
#include "server/scrape/scrape_manager.h"
#include "storage/util/duration.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

namespace {

// Go's time.Time JSON (RFC 3339, nanoseconds, trailing zeros trimmed), in UTC; a target
// never scraped shows the zero time.
std::string GoTimeJson(const scrape::TargetStatus& st) {
  if (!st.scraped) return "0001-01-01T00:00:00Z";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", st.last_scrape, absl::UTCTimeZone());
}

bool MatchAll(const storage::Labels& l, const storage::Matchers& ms) {
  for (const storage::Matcher& m : ms) {
    if (!m.Matches(l.Get(m.name()))) return false;
  }
  return true;
}

// Parses the optional `limit` parameter: -1 when absent.
bool ParseLimit(const RequestParams& p, int64_t* limit) {
  *limit = -1;
  std::optional<std::string> l = p.Get("limit");
  return !l || l->empty() || absl::SimpleAtoi(*l, limit);
}

}  // namespace

void HttpApi::Targets(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  const std::string state = absl::AsciiStrToLower(p.GetOr("state"));
  // Prometheus compat: any other state value shows neither list (no error).
  const bool active = state.empty() || state == "any" || state == "active";
  const bool dropped = state.empty() || state == "any" || state == "dropped";
  scrape::ScrapeManager* sm = hooks_.scrape ? hooks_.scrape() : nullptr;
  JsonBuilder j;
  j.Raw("{\"activeTargets\":[");
  if (active && sm != nullptr) {
    bool first = true;
    for (const scrape::ActiveTargetInfo& t : sm->ActiveTargets()) {
      j.Raw(first ? "{" : ",{");
      first = false;
      j.Raw("\"discoveredLabels\":").LabelsObject(t.discovered_labels);
      j.Raw(",\"labels\":").LabelsObject(t.labels);
      j.Raw(",\"scrapePool\":").String(t.pool);
      j.Raw(",\"scrapeUrl\":").String(t.scrape_url);
      j.Raw(",\"globalUrl\":").String(t.global_url);
      j.Raw(",\"lastError\":").String(t.status.last_error);
      j.Raw(",\"lastScrape\":").String(GoTimeJson(t.status));
      j.Raw(",\"lastScrapeDuration\":").Double(absl::ToDoubleSeconds(t.status.last_duration));
      j.Raw(",\"health\":").String(scrape::TargetHealthString(t.status.health));
      j.Raw(",\"scrapeInterval\":").String(storage::FormatDurationMs(t.interval_ms));
      j.Raw(",\"scrapeTimeout\":").String(storage::FormatDurationMs(t.timeout_ms));
      j.Raw("}");
    }
  }
  j.Raw("],\"droppedTargets\":[");
  if (dropped && sm != nullptr) {
    bool first = true;
    for (const scrape::DroppedTargetInfo& t : sm->DroppedTargets()) {
      j.Raw(first ? "{\"discoveredLabels\":" : ",{\"discoveredLabels\":");
      first = false;
      j.LabelsObject(t.discovered_labels).Raw("}");
    }
  }
  j.Raw("]}");
  Success(resp, j.str());
}

void HttpApi::TargetsMetadata(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  int64_t limit;
  if (!ParseLimit(p, &limit)) return Error(resp, ErrorType::kBadData, "limit must be a number");
  const std::string match_target = p.GetOr("match_target");
  storage::Matchers matchers;
  if (!match_target.empty()) {
    absl::StatusOr<storage::Matchers> m = promql::ParseMetricSelector(match_target);
    if (!m.ok()) {
      return Error(resp, ErrorType::kBadData,
                   absl::StrCat("invalid parameter \"match_target\": ", m.status().message()));
    }
    matchers = *std::move(m);
  }
  const std::string metric = p.GetOr("metric");
  scrape::ScrapeManager* sm = hooks_.scrape ? hooks_.scrape() : nullptr;
  JsonBuilder j;
  j.Raw("[");
  int64_t n = 0;
  auto emit = [&](const storage::Labels& target, const scrape::MetadataEntry& md, bool name) {
    j.Raw(n++ ? ",{\"target\":" : "{\"target\":").LabelsObject(target);
    if (name) j.Raw(",\"metric\":").String(md.metric);
    j.Raw(",\"type\":").String(md.type).Raw(",\"help\":").String(md.help);
    j.Raw(",\"unit\":").String(md.unit).Raw("}");
  };
  if (sm != nullptr) {
    for (const scrape::ActiveTargetInfo& t : sm->ActiveTargets()) {
      // Prometheus compat: the limit is checked per target, so one target's list may
      // overshoot it (api.go targetMetadata).
      if (limit >= 0 && n >= limit) break;
      if (!matchers.empty() && !MatchAll(t.labels, matchers)) continue;
      if (metric.empty()) {
        for (const scrape::MetadataEntry& md : t.loop->MetadataList()) emit(t.labels, md, true);
      } else if (scrape::MetadataEntry md; t.loop->GetMetadata(metric, &md)) {
        emit(t.labels, md, false);
      }
    }
  }
  j.Raw("]");
  Success(resp, j.str());
}

void HttpApi::Metadata(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  int64_t limit;
  if (!ParseLimit(p, &limit)) return Error(resp, ErrorType::kBadData, "limit must be a number");
  const std::string metric = p.GetOr("metric");
  // metric -> distinct (type, help, unit). Prometheus collects them from the active
  // targets; metadata Tally stored from remote write or backfill fills in the families no
  // target exposes (docs/compatibility.md).
  std::map<std::string, std::set<std::tuple<std::string, std::string, std::string>>> all;
  if (scrape::ScrapeManager* sm = hooks_.scrape ? hooks_.scrape() : nullptr) {
    for (const scrape::ActiveTargetInfo& t : sm->ActiveTargets()) {
      if (metric.empty()) {
        for (const scrape::MetadataEntry& md : t.loop->MetadataList()) {
          all[md.metric].insert({md.type, md.help, md.unit});
        }
      } else if (scrape::MetadataEntry md; t.loop->GetMetadata(metric, &md)) {
        all[metric].insert({md.type, md.help, md.unit});
      }
    }
  }
  absl::StatusOr<std::vector<std::pair<std::string, storage::MetricMetadata>>> stored =
      db_->Metadata();
  if (!stored.ok()) return StatusError(resp, stored.status());
  for (const auto& [family, m] : *stored) {
    if (!metric.empty() && family != metric) continue;
    if (all.count(family) == 0) all[family].insert({m.type, m.help, m.unit});
  }
  JsonBuilder j;
  j.Raw("{");
  int64_t n = 0;
  for (const auto& [family, set] : all) {
    if (limit >= 0 && n >= limit) break;
    j.Raw(n++ ? "," : "").String(family).Raw(":[");
    bool first = true;
    for (const auto& [type, help, unit] : set) {
      j.Raw(first ? "{\"type\":" : ",{\"type\":").String(type);
      first = false;
      j.Raw(",\"help\":").String(help).Raw(",\"unit\":").String(unit).Raw("}");
    }
    j.Raw("]");
  }
  j.Raw("}");
  Success(resp, j.str());
}

}  // namespace tally::server::api
