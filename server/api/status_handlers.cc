// /api/v1/status/*, /metrics, /-/reload.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/api/http_api.h"
#include "server/api/json_builder.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

namespace {

std::string Rfc3339Nano(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

int ThreadCount() {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

void HttpApi::BuildInfo(const HttpRequest&, HttpResponse* resp) {
  // Prometheus compat: Grafana picks features from `version`, so Tally reports the
  // Prometheus release whose API it implements; `revision` names Tally itself.
  Success(resp,
          "{\"version\":\"2.42.0\",\"revision\":\"tally-0.1.0\",\"branch\":\"main\","
          "\"buildUser\":\"tally\",\"buildDate\":\"\",\"goVersion\":\"none (C++20)\"}");
}

void HttpApi::StatusConfig(const HttpRequest&, HttpResponse* resp) {
  std::shared_ptr<const config::Config> c = hooks_.config ? hooks_.config() : nullptr;
  JsonBuilder j;
  j.Raw("{\"yaml\":").String(config::ConfigToYaml(c ? *c : config::Config())).Raw("}");
  Success(resp, j.str());
}

void HttpApi::StatusFlags(const HttpRequest&, HttpResponse* resp) {
  std::vector<std::pair<std::string, std::string>> f = options_.flags;
  std::sort(f.begin(), f.end());
  JsonBuilder j;
  j.Raw("{");
  for (size_t i = 0; i < f.size(); ++i) {
    if (i) j.Raw(",");
    j.String(f[i].first).Raw(":").String(f[i].second);
  }
  j.Raw("}");
  Success(resp, j.str());
}

void HttpApi::RuntimeInfo(const HttpRequest&, HttpResponse* resp) {
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  absl::Time last = hooks_.last_config_time ? hooks_.last_config_time() : start_time_;
  bool ok = hooks_.last_reload_ok ? hooks_.last_reload_ok() : true;
  JsonBuilder j;
  j.Raw("{\"startTime\":").String(Rfc3339Nano(start_time_));
  j.Raw(",\"CWD\":").String(cwd);
  j.Raw(",\"reloadConfigSuccess\":").Bool(ok);
  j.Raw(",\"lastConfigTime\":")
      .String(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", last, absl::UTCTimeZone()));
  j.Raw(",\"corruptionCount\":0");
  // Go-runtime fields keep their names for client compatibility: goroutineCount reports
  // OS threads, GOMAXPROCS the hardware threads.
  j.Raw(",\"goroutineCount\":").Int(ThreadCount());
  j.Raw(",\"GOMAXPROCS\":").Int(static_cast<int64_t>(std::thread::hardware_concurrency()));
  j.Raw(",\"GOGC\":\"\",\"GODEBUG\":\"\"");
  j.Raw(",\"storageRetention\":").String(options_.retention);
  j.Raw("}");
  Success(resp, j.str());
}

void HttpApi::TsdbStatus(const HttpRequest&, HttpResponse* resp) {
  absl::StatusOr<storage::DBStats> st = db_->Stats(10);
  if (!st.ok()) return StatusError(resp, st.status());
  // Series per metric name: the top 10 by count, from the label index.
  std::vector<std::pair<std::string, int64_t>> by_metric;
  std::unique_ptr<storage::Querier> q = db_->NewQuerier(storage::kMinTime, storage::kMaxTime);
  absl::StatusOr<std::vector<std::string>> names = q->LabelValues(storage::kMetricNameLabel, {});
  int64_t label_pairs = 0;
  for (const auto& l : st->label_names) label_pairs += l.values;
  if (names.ok() && names->size() <= 10'000) {
    for (const std::string& n : *names) {
      absl::StatusOr<storage::Matcher> m =
          storage::Matcher::Make(storage::MatchType::kEqual, storage::kMetricNameLabel, n);
      if (!m.ok()) continue;
      absl::StatusOr<std::vector<std::unique_ptr<storage::Series>>> ss = q->Select({*m});
      if (ss.ok()) by_metric.emplace_back(n, static_cast<int64_t>(ss->size()));
    }
    std::sort(by_metric.begin(), by_metric.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (by_metric.size() > 10) by_metric.resize(10);
  }
  JsonBuilder j;
  j.Raw("{\"headStats\":{\"numSeries\":").Int(st->num_series);
  j.Raw(",\"numLabelPairs\":").Int(label_pairs);
  j.Raw(",\"chunkCount\":").Int(st->num_chunks);
  j.Raw(",\"minTime\":").Int(st->num_series ? st->min_time_ms : 0);
  j.Raw(",\"maxTime\":").Int(st->num_series ? st->max_time_ms : 0);
  j.Raw("},\"seriesCountByMetricName\":[");
  for (size_t i = 0; i < by_metric.size(); ++i) {
    if (i) j.Raw(",");
    j.Raw("{\"name\":").String(by_metric[i].first).Raw(",\"value\":").Int(by_metric[i].second);
    j.Raw("}");
  }
  j.Raw("],\"labelValueCountByLabelName\":[");
  for (size_t i = 0; i < st->label_names.size(); ++i) {
    if (i) j.Raw(",");
    j.Raw("{\"name\":").String(st->label_names[i].name).Raw(",\"value\":");
    j.Int(st->label_names[i].values).Raw("}");
  }
  // Value bytes per label name and series per name=value pair, from the index: bounded
  // work (top label names only, at most 1,000 values each).
  std::vector<std::pair<std::string, int64_t>> mem, pairs;
  for (const auto& ln : st->label_names) {
    absl::StatusOr<std::vector<std::string>> vals = q->LabelValues(ln.name, {});
    if (!vals.ok()) continue;
    int64_t bytes = 0;
    for (const std::string& v : *vals) bytes += static_cast<int64_t>(v.size());
    mem.emplace_back(ln.name, bytes);
    if (vals->size() > 1000) continue;
    for (const std::string& v : *vals) {
      absl::StatusOr<storage::Matcher> m =
          storage::Matcher::Make(storage::MatchType::kEqual, ln.name, v);
      if (!m.ok() || v.empty()) continue;
      absl::StatusOr<std::vector<std::unique_ptr<storage::Series>>> ss = q->Select({*m});
      if (ss.ok()) pairs.emplace_back(absl::StrCat(ln.name, "=", v), ss->size());
    }
  }
  auto top10 = [](std::vector<std::pair<std::string, int64_t>>* v) {
    std::sort(v->begin(), v->end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (v->size() > 10) v->resize(10);
  };
  top10(&mem);
  top10(&pairs);
  auto list = [&](const char* key, const std::vector<std::pair<std::string, int64_t>>& v) {
    j.Raw("],\"").Raw(key).Raw("\":[");
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) j.Raw(",");
      j.Raw("{\"name\":").String(v[i].first).Raw(",\"value\":").Int(v[i].second).Raw("}");
    }
  };
  list("memoryInBytesByLabelName", mem);
  list("seriesCountByLabelValuePair", pairs);
  j.Raw("]}");
  Success(resp, j.str());
}

void HttpApi::Metrics(const HttpRequest&, HttpResponse* resp) {
  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  resp->body = metrics_->Render(db_);
}

void HttpApi::Reload(const HttpRequest&, HttpResponse* resp) {
  resp->content_type = "text/plain; charset=utf-8";
  absl::Status s = hooks_.reload ? hooks_.reload() : absl::OkStatus();
  if (!s.ok()) {
    // Prometheus compat: web.go answers 500 "failed to reload config: <err>".
    resp->status = 500;
    resp->body = absl::StrCat("failed to reload config: ", s.message(), "\n");
  }
}

}  // namespace tally::server::api
