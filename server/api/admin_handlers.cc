// /api/v1/admin/tsdb/{snapshot,delete_series,clean_tombstones}: POST or PUT, acting only with
// --web.enable-admin-api. Answers checked side by side with Prometheus 2.42 (with and without
// the flag): disabled -> 500 {"errorType":"unavailable","error":"admin APIs disabled"};
// snapshot -> {"name":"20261201T063459Z-00211ce44d0a632c"}; delete_series and
// clean_tombstones -> 204.
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/api/http_api.h"
#include "server/api/json_builder.h"
#include "storage/util/log.h"

namespace tally::server::api {

using http::HttpRequest;
using http::HttpResponse;

namespace {

// Go's strconv.ParseBool.
std::optional<bool> ParseGoBool(const std::string& s) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) return true;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) return false;
  }
  return std::nullopt;
}

// Prometheus compat: tsdb.DB.Snapshot's caller in api.go names snapshots
// <UTC 20060102T150405Z>-<16 hex digits of a random int63>.
std::string SnapshotName() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t r = rng() >> 1;
  return absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()), "-",
                      absl::StrFormat("%016x", r));
}

}  // namespace

void HttpApi::RegisterAdminRoutes(http::Router* r) {
  auto admin = [this](void (HttpApi::*fn)(const HttpRequest&, HttpResponse*)) {
    return [this, fn](const HttpRequest& req, HttpResponse* resp) {
      cors_.Apply(req, resp);
      if (!options_.enable_admin_api) {
        return Error(resp, ErrorType::kUnavailable, "admin APIs disabled", 500);
      }
      (this->*fn)(req, resp);
    };
  };
  for (const char* m : {"POST", "PUT"}) {
    r->Handle(m, "/api/v1/admin/tsdb/snapshot", admin(&HttpApi::AdminSnapshot));
    r->Handle(m, "/api/v1/admin/tsdb/delete_series", admin(&HttpApi::AdminDeleteSeries));
    r->Handle(m, "/api/v1/admin/tsdb/clean_tombstones", admin(&HttpApi::AdminCleanTombstones));
  }
}

void HttpApi::AdminSnapshot(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  bool skip_head = false;
  if (std::optional<std::string> v = p.Get("skip_head"); v && !v->empty()) {
    std::optional<bool> b = ParseGoBool(*v);
    if (!b) {
      return Error(resp, ErrorType::kBadData,
                   absl::StrCat("invalid parameter \"skip_head\": unable to parse boolean: "
                                "strconv.ParseBool: parsing \"",
                                *v, "\": invalid syntax"));
    }
    skip_head = *b;
  }
  const std::filesystem::path parent = std::filesystem::path(options_.data_dir) / "snapshots";
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return Error(resp, ErrorType::kInternal,
                 absl::StrCat("create snapshot directory: mkdir ", parent.string(), ": ",
                              ec.message()));
  }
  const std::string name = SnapshotName();
  const std::string dir = (parent / name).string();
  if (absl::Status st = db_->Snapshot(dir, !skip_head); !st.ok()) {
    return Error(resp, ErrorType::kInternal, absl::StrCat("create snapshot: ", st.message()));
  }
  TALLY_LOG(kInfo, "Snapshot created", {{"dir", dir}, {"skip_head", skip_head ? "true" : "false"}});
  JsonBuilder j;
  j.Raw("{\"name\":").String(name).Raw("}");
  Success(resp, j.str());
}

void HttpApi::AdminDeleteSeries(const HttpRequest& req, HttpResponse* resp) {
  RequestParams p(req);
  std::vector<std::string> match = p.GetAll("match[]");
  if (match.empty()) return Error(resp, ErrorType::kBadData, "no match[] parameter provided");
  int64_t start_ms = 0, end_ms = 0;
  if (absl::Status st = ParseRange(p, &start_ms, &end_ms); !st.ok()) {
    return Error(resp, ErrorType::kBadData, st.message());
  }
  absl::StatusOr<std::vector<storage::Matchers>> sets = ParseMatches(match, /*wrap=*/true);
  if (!sets.ok()) return Error(resp, ErrorType::kBadData, sets.status().message());
  for (const storage::Matchers& m : *sets) {
    if (absl::Status st = db_->DeleteSeries(m, start_ms, end_ms); !st.ok()) {
      return Error(resp, ErrorType::kInternal, st.message());
    }
  }
  resp->status = 204;
  resp->content_type.clear();
  resp->body.clear();
}

void HttpApi::AdminCleanTombstones(const HttpRequest&, HttpResponse* resp) {
  // Tally deletes at once (delete_series rewrites the chunks), so there are no tombstones
  // to clean: the answer is 2.42's, the work already done.
  resp->status = 204;
  resp->content_type.clear();
  resp->body.clear();
}

}  // namespace tally::server::api
