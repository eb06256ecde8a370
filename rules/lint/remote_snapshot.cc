#include "rules/lint/remote_snapshot.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "promql/parser/parser.h"
#include "rules/client/http_client.h"
#include "storage/util/status_macros.h"

namespace tally::rules::lint {
namespace {

constexpr absl::Duration kRequestTimeout = absl::Minutes(2);

std::string FormEscape(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// A selector as text without offset/@ ("name{a=\"b\"}"), the form it is fetched in.
std::string SelectorText(const promql::VectorSelector& sel) {
  std::string out = sel.name;
  out.push_back('{');
  bool first = true;
  for (const storage::Matcher& m : sel.matchers) {
    if (!sel.name.empty() && m.name() == storage::kMetricNameLabel &&
        m.type() == storage::MatchType::kEqual) {
      continue;
    }
    if (!first) out.push_back(',');
    first = false;
    out += m.ToString();
  }
  out.push_back('}');
  return out;
}

// Parses a Prometheus API answer; the "data" member on success.
absl::StatusOr<nlohmann::json> ApiData(const HttpClientResponse& resp, absl::string_view what) {
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", resp.StatusText(), ": response is not JSON"));
  }
  if (j.value("status", "") != "success") {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", j.value("errorType", "error"), ": ",
                                                   j.value("error", resp.StatusText())));
  }
  return j["data"];
}

double ParseValue(const std::string& s) {
  if (s == "NaN") return std::nan("");
  if (s == "+Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  double v = 0;
  return absl::SimpleAtod(s, &v) ? v : std::nan("");
}

}  // namespace

RemoteSnapshot::~RemoteSnapshot() {
  db_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

absl::StatusOr<std::unique_ptr<RemoteSnapshot>> RemoteSnapshot::Fetch(
    const std::string& url, const std::vector<LintFile>& files, const LintOptions& options) {
  std::string base(absl::StripSuffix(url, "/"));
  ASSIGN_OR_RETURN(HttpUrl parsed_url, ParseHttpUrl(base));
  (void)parsed_url;

  // What the rules read, and how far back.
  std::set<std::string> recorded;
  for (const LintFile& f : files) {
    for (const LintGroup& g : f.groups) {
      for (const LintRule& r : g.rules) {
        if (r.kind == LintRule::Kind::kRecording) recorded.insert(r.name);
      }
    }
  }
  std::set<std::string> selectors;
  int64_t raw_back = 0, recorded_back = 0;
  for (const LintFile& f : files) {
    for (const LintGroup& g : f.groups) {
      for (const LintRule& r : g.rules) {
        absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(r.expr);
        if (!e.ok()) continue;
        promql::Inspect(
            **e, [&](const promql::Expr& n, absl::Span<const promql::Expr* const> path) {
              int64_t back = 0;
              for (const promql::Expr* p : path) {
                if (p->kind == promql::NodeKind::kSubquery) {
                  const auto& sq = p->As<promql::SubqueryExpr>();
                  back += sq.range_ms + std::max<int64_t>(sq.offset_ms, 0);
                }
              }
              const promql::VectorSelector* sel = nullptr;
              if (n.kind == promql::NodeKind::kMatrixSelector) {
                sel = n.As<promql::MatrixSelector>().selector.get();
                back += n.As<promql::MatrixSelector>().range_ms;
              } else if (n.kind == promql::NodeKind::kVectorSelector &&
                         (path.empty() || path.back()->kind != promql::NodeKind::kMatrixSelector)) {
                sel = &n.As<promql::VectorSelector>();
                back += options.lookback_delta_ms;
              }
              if (sel == nullptr) return true;
              back += std::max<int64_t>(sel->offset_ms, 0);
              if (recorded.count(sel->name)) {
                recorded_back = std::max(recorded_back, back);
              } else {
                raw_back = std::max(raw_back, back);
                selectors.insert(SelectorText(*sel));
              }
              return true;
            });
      }
    }
  }

  auto snap = std::unique_ptr<RemoteSnapshot>(new RemoteSnapshot());
  snap->end_ms_ =
      options.time_ms != storage::kMinTime ? options.time_ms : absl::ToUnixMillis(absl::Now());
  // Recording rules run over the window plus what later rules read of them.
  const int64_t range_ms = options.window_ms + recorded_back + raw_back;

  std::string tmpl = (std::filesystem::temp_directory_path() / "tally-lint-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("creating a temporary directory: ", tmpl));
  }
  snap->dir_ = tmpl;
  storage::DBOptions dbo;
  dbo.path = snap->dir_;
  dbo.sync_commits = false;
  dbo.retention_ms = std::max<int64_t>(dbo.retention_ms, range_ms + 3'600'000);
  dbo.retention_check_interval_ms = 0;
  ASSIGN_OR_RETURN(snap->db_, storage::DB::Open(dbo));

  HttpClientOptions co;
  co.timeout = kRequestTimeout;
  HttpClient client(co);
  const std::string time_param = absl::StrFormat("%.3f", snap->end_ms_ / 1000.0);
  for (const std::string& sel : selectors) {
    const std::string query = absl::StrCat(sel, "[", range_ms, "ms]");
    ASSIGN_OR_RETURN(
        HttpClientResponse resp,
        client.Post(absl::StrCat(base, "/api/v1/query"), "application/x-www-form-urlencoded",
                    absl::StrCat("query=", FormEscape(query), "&time=", time_param)));
    ASSIGN_OR_RETURN(nlohmann::json data, ApiData(resp, absl::StrCat("query ", query)));
    if (data.value("resultType", "") != "matrix" || !data["result"].is_array()) {
      return absl::InvalidArgumentError(absl::StrCat("query ", query, ": not a matrix result"));
    }
    std::unique_ptr<storage::Appender> app = snap->db_->NewAppender();
    for (const nlohmann::json& s : data["result"]) {
      std::vector<storage::Label> labels;
      for (const auto& [k, v] : s["metric"].items()) {
        if (v.is_string()) labels.push_back({k, v.get<std::string>()});
      }
      storage::Labels l = storage::Labels::FromUnsorted(std::move(labels));
      ++snap->series_;
      for (const nlohmann::json& p : s.value("values", nlohmann::json::array())) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_string()) continue;
        const int64_t t = std::llround(p[0].get<double>() * 1000);
        if (!app->Append(l, t, ParseValue(p[1].get<std::string>())).ok()) break;
        ++snap->samples_;
      }
    }
    RETURN_IF_ERROR(app->Commit().status());
  }

  // TYPE metadata (a server without the endpoint just gives no types).
  absl::StatusOr<HttpClientResponse> md = client.Get(absl::StrCat(base, "/api/v1/metadata"));
  if (md.ok() && md->status == 200) {
    absl::StatusOr<nlohmann::json> data = ApiData(*md, "metadata");
    if (data.ok() && data->is_object()) {
      for (const auto& [name, entries] : data->items()) {
        if (!entries.is_array() || entries.empty() || !entries[0].is_object()) continue;
        const nlohmann::json& m = entries[0];
        RETURN_IF_ERROR(snap->db_->SetMetadata(
            name, storage::MetricMetadata{m.value("type", ""), m.value("help", ""),
                                          m.value("unit", "")}));
      }
    }
  }
  return snap;
}

}  // namespace tally::rules::lint
