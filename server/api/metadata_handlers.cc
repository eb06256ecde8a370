// /api/v1/series, /labels, /label/<name>/values, /query_exemplars (/metadata: targets_handlers.cc).
#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "promql/parser/parser.h"
#include "server/api/http_api.h"
#include "server/api/json_builder.h"
#include "storage/model/labels.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

namespace {

void StringArray(const std::vector<std::string>& v, JsonBuilder* j) {
  j->Raw("[");
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) j->Raw(",");
    j->String(v[i]);
  }
  j->Raw("]");
}

// Sorted union of several sorted string lists.
std::vector<std::string> Union(std::vector<std::vector<std::string>> lists) {
  if (lists.size() == 1) return std::move(lists[0]);
  std::set<std::string> s;
  for (auto& l : lists) s.insert(std::make_move_iterator(l.begin()), std::make_move_iterator(l.end()));
  return {s.begin(), s.end()};
}

}  // namespace

void HttpApi::Series(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  std::vector<std::string> match = p.GetAll("match[]");
  if (match.empty()) return Error(resp, ErrorType::kBadData, "no match[] parameter provided");
  int64_t start, end;
  if (absl::Status s = ParseRange(p, &start, &end); !s.ok()) return StatusError(resp, s);
  absl::StatusOr<std::vector<storage::Matchers>> sets = ParseMatches(match, /*wrap=*/true);
  if (!sets.ok()) return StatusError(resp, sets.status());

  std::unique_ptr<storage::Querier> q = db_->NewQuerier(start, end);
  std::vector<storage::Labels> out;
  for (const storage::Matchers& m : *sets) {
    absl::StatusOr<std::vector<std::unique_ptr<storage::Series>>> ss = q->Select(m);
    if (!ss.ok()) return StatusError(resp, ss.status());
    for (const auto& s : *ss) out.push_back(s->labels());
  }
  if (sets->size() > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  JsonBuilder j;
  j.Raw("[");
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) j.Raw(",");
    j.LabelsObject(out[i]);
  }
  j.Raw("]");
  Success(resp, j.str());
}

void HttpApi::Labels(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  int64_t start, end;
  if (absl::Status s = ParseRange(p, &start, &end); !s.ok()) return StatusError(resp, s);
  absl::StatusOr<std::vector<storage::Matchers>> sets =
      ParseMatches(p.GetAll("match[]"), /*wrap=*/false);
  if (!sets.ok()) return StatusError(resp, sets.status());
  std::unique_ptr<storage::Querier> q = db_->NewQuerier(start, end);
  std::vector<std::vector<std::string>> lists;
  if (sets->empty()) sets->push_back({});
  for (const storage::Matchers& m : *sets) {
    absl::StatusOr<std::vector<std::string>> names = q->LabelNames(m);
    if (!names.ok()) return StatusError(resp, names.status());
    lists.push_back(*std::move(names));
  }
  JsonBuilder j;
  StringArray(Union(std::move(lists)), &j);
  Success(resp, j.str());
}

void HttpApi::LabelValues(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  std::string name = UrlDecode(req.PathParam("name"), false);
  if (!storage::IsValidLabelName(name)) {
    return Error(resp, ErrorType::kBadData,
                 absl::StrCat("invalid label name: ", storage::GoQuote(name)));
  }
  int64_t start, end;
  if (absl::Status s = ParseRange(p, &start, &end); !s.ok()) return StatusError(resp, s);
  absl::StatusOr<std::vector<storage::Matchers>> sets =
      ParseMatches(p.GetAll("match[]"), /*wrap=*/false);
  if (!sets.ok()) return StatusError(resp, sets.status());
  std::unique_ptr<storage::Querier> q = db_->NewQuerier(start, end);
  std::vector<std::vector<std::string>> lists;
  if (sets->empty()) sets->push_back({});
  for (const storage::Matchers& m : *sets) {
    absl::StatusOr<std::vector<std::string>> vals = q->LabelValues(name, m);
    if (!vals.ok()) return StatusError(resp, vals.status());
    lists.push_back(*std::move(vals));
  }
  JsonBuilder j;
  StringArray(Union(std::move(lists)), &j);
  Success(resp, j.str());
}

void HttpApi::QueryExemplars(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  absl::StatusOr<promql::ExprPtr> e = promql::ParseExpr(p.GetOr("query"));
  if (!e.ok()) return Error(resp, ErrorType::kBadData, e.status().message());
  int64_t start = kApiMinTimeMs, end = kApiMaxTimeMs;
  for (const char* name : {"start", "end"}) {
    std::optional<std::string> v = p.Get(name);
    if (!v || v->empty()) continue;
    absl::StatusOr<int64_t> t = ParseTimeMs(*v);
    if (!t.ok()) {
      return Error(resp, ErrorType::kBadData,
                   absl::StrCat("invalid parameter \"", name, "\": ", t.status().message()));
    }
    (std::string(name) == "start" ? start : end) = *t;
  }
  if (end < start) {
    return Error(resp, ErrorType::kBadData, "end timestamp must not be before start timestamp");
  }
  bool has_selector = false;
  promql::Inspect(**e, [&](const promql::Expr& n, absl::Span<const promql::Expr* const>) {
    if (n.kind == promql::NodeKind::kVectorSelector) has_selector = true;
    return !has_selector;
  });
  // Prometheus compat: no selectors means no data and no error -> 204 (HTTP_API.md §6).
  if (!has_selector) {
    resp->status = 204;
    resp->body.clear();
    return;
  }
  // Exemplar storage is off, as in a default Prometheus: always empty.
  Success(resp, "[]");
}

}  // namespace tally::server::api
