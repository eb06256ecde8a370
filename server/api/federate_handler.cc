// GET /federate?match[]=...: the newest sample (within the lookback delta) of every matching
// series, in the Prometheus text format, so a Prometheus server can scrape Tally.
//
// Prometheus compat (web/federate.go): output grouped by metric name with one
// `# TYPE <name> untyped` line per name; external labels added unless the series has them;
// stale markers skipped; sample timestamps in ms; values as strconv.FormatFloat 'g'.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "server/api/http_api.h"
#include "storage/ingest/go_float.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

namespace {

void AppendEscapedLabelValue(absl::string_view v, std::string* out) {
  for (char c : v) {
    if (c == '\\') out->append("\\\\");
    else if (c == '"') out->append("\\\"");
    else if (c == '\n') out->append("\\n");
    else out->push_back(c);
  }
}

}  // namespace

void HttpApi::Federate(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  absl::StatusOr<std::vector<storage::Matchers>> sets =
      ParseMatches(p.GetAll("match[]"), /*wrap=*/false);
  if (!sets.ok()) {
    resp->status = 400;
    resp->content_type = "text/plain; charset=utf-8";
    resp->body = absl::StrCat(sets.status().message(), "\n");
    return;
  }
  const int64_t now = absl::ToUnixMillis(absl::Now());
  const int64_t mint = now - options_.lookback_delta_ms;
  std::unique_ptr<storage::Querier> q = db_->NewQuerier(mint, now);

  struct Point {
    storage::Labels labels;
    storage::Sample s;
  };
  std::vector<Point> points;
  std::vector<storage::Sample> buf;
  std::set<storage::Labels> seen;
  for (const storage::Matchers& m : *sets) {
    absl::StatusOr<std::vector<std::unique_ptr<storage::Series>>> ss = q->Select(m);
    if (!ss.ok()) {
      resp->status = 500;
      resp->content_type = "text/plain; charset=utf-8";
      resp->body = absl::StrCat(ss.status().message(), "\n");
      return;
    }
    for (const auto& s : *ss) {
      if (sets->size() > 1 && !seen.insert(s->labels()).second) continue;
      buf.clear();
      if (!s->Samples(mint, now, &buf).ok() || buf.empty()) continue;
      const storage::Sample& last = buf.back();
      if (storage::IsStaleNaN(last.v)) continue;
      points.push_back({s->labels(), last});
    }
  }
  std::stable_sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
    return a.labels.MetricName() < b.labels.MetricName();
  });

  std::shared_ptr<const config::Config> cfg = hooks_.config ? hooks_.config() : nullptr;
  std::string& o = resp->body;
  o.clear();
  absl::string_view last_name;
  bool first = true;
  char fbuf[storage::kGoFloatBufSize];
  for (const Point& pt : points) {
    absl::string_view name = pt.labels.MetricName();
    if (first || name != last_name) {
      absl::StrAppend(&o, "# TYPE ", name, " untyped\n");
      last_name = name;
      first = false;
    }
    o.append(name.data(), name.size());
    bool any = false;
    auto label = [&](absl::string_view n, absl::string_view v) {
      o.push_back(any ? ',' : '{');
      any = true;
      o.append(n.data(), n.size());
      o.append("=\"");
      AppendEscapedLabelValue(v, &o);
      o.push_back('"');
    };
    storage::LabelsBuilder lb(pt.labels);
    if (cfg) {
      for (const auto& el : cfg->global.external_labels) {
        if (!pt.labels.Has(el.name)) lb.Set(el.name, el.value);
      }
    }
    storage::Labels all = cfg && !cfg->global.external_labels.empty() ? lb.Build() : pt.labels;
    for (const auto& l : all) {
      if (l.name != storage::kMetricNameLabel) label(l.name, l.value);
    }
    if (any) o.push_back('}');
    o.push_back(' ');
    o.append(fbuf, storage::FormatGoFloat(pt.s.v, fbuf));
    absl::StrAppend(&o, " ", pt.s.t_ms, "\n");
  }
  resp->status = 200;
  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace tally::server::api
