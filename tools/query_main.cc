// `tally query`: runs one PromQL instant or range query against a data dir and prints
// exactly the JSON body Prometheus's /api/v1/query or /api/v1/query_range would return.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "promql/engine.h"
#include "server/api/api_error.h"
#include "server/api/json_writer.h"
#include "server/api/params.h"
#include "storage/db.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"

namespace tally::tools {
namespace {

int PrintError(server::api::ErrorType type, absl::string_view msg) {
  std::string body = server::api::ErrorBody(type, msg);
  std::fwrite(body.data(), 1, body.size(), stdout);
  std::fputc('\n', stdout);
  return kExitFailure;
}

int PrintStatus(const absl::Status& s) {
  return PrintError(server::api::ClassifyStatus(s).type, s.message());
}

int RunQuery(std::vector<std::string> args) {
  std::string path = "data/";
  std::string time_s, start_s, end_s, step_s;
  absl::Duration lookback = absl::Minutes(5), timeout = absl::Minutes(2);
  int64_t max_samples = 50'000'000;
  FlagSet flags("tally query [<flags>] EXPR",
                "Evaluate a PromQL expression against a data dir and print the JSON that\n"
                "Prometheus's /api/v1/query (--time) or /api/v1/query_range (--start, --end,\n"
                "--step) returns. Times: RFC 3339 or Unix seconds; steps: a duration or\n"
                "seconds. Exits 1 on a query error (the error JSON is still printed).");
  flags.String("storage.tsdb.path", &path, "Base path for metrics storage.");
  flags.String("time", &time_s, "Evaluation time of an instant query (default: now).");
  flags.String("start", &start_s, "Start of a range query.");
  flags.String("end", &end_s, "End of a range query.");
  flags.String("step", &step_s, "Step of a range query.");
  flags.Duration("query.lookback-delta", &lookback,
                 "How far back an instant selector looks for a sample.");
  flags.Duration("query.timeout", &timeout, "Maximum time a query may take.");
  flags.Int("query.max-samples", &max_samples,
            "Maximum number of samples a query may load into memory.");
  std::vector<std::string> pos;
  if (int rc = ParseFlagsOrExit(flags, args, &pos); rc >= 0) return rc;
  if (pos.size() != 1) {
    std::fprintf(stderr, "tally: error: expected exactly one EXPR argument, try --help\n");
    return kExitUsage;
  }
  const bool is_range = !start_s.empty() || !end_s.empty() || !step_s.empty();
  using server::api::ErrorType;
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return PrintError(ErrorType::kInternal, absl::StrCat("no such data dir: ", path));
  }
  storage::DBOptions dbo;
  dbo.path = path;
  dbo.read_only = true;  // no lock, no writes: works beside a running `tally serve`
  absl::StatusOr<std::unique_ptr<storage::DB>> db = storage::DB::Open(dbo);
  if (!db.ok()) return PrintError(ErrorType::kInternal, db.status().message());

  promql::QueryOptions qo;
  qo.lookback_delta = lookback;
  qo.timeout = timeout;
  qo.max_samples = max_samples;
  promql::Engine engine(qo);
  absl::StatusOr<std::unique_ptr<promql::Query>> q;
  if (!is_range) {
    int64_t t_ms = absl::ToUnixMillis(absl::Now());
    if (!time_s.empty()) {
      absl::StatusOr<int64_t> t = server::api::ParseTimeMs(time_s);
      if (!t.ok()) {
        return PrintError(ErrorType::kBadData,
                          absl::StrCat("invalid parameter \"time\": ", t.status().message()));
      }
      t_ms = *t;
    }
    q = engine.NewInstantQuery(db->get(), pos[0], t_ms);
    if (!q.ok()) {
      return PrintError(ErrorType::kBadData,
                        absl::StrCat("invalid parameter \"query\": ", q.status().message()));
    }
  } else {
    // Validation order and wording as /api/v1/query_range (HTTP_API.md section 2).
    absl::StatusOr<int64_t> start = server::api::ParseTimeMs(start_s);
    if (!start.ok()) {
      return PrintError(ErrorType::kBadData,
                        absl::StrCat("invalid parameter \"start\": ", start.status().message()));
    }
    absl::StatusOr<int64_t> end = server::api::ParseTimeMs(end_s);
    if (!end.ok()) {
      return PrintError(ErrorType::kBadData,
                        absl::StrCat("invalid parameter \"end\": ", end.status().message()));
    }
    if (*end < *start) {
      return PrintError(ErrorType::kBadData,
                        "invalid parameter \"end\": end timestamp must not be before start time");
    }
    absl::StatusOr<absl::Duration> step = server::api::ParseDurationParam(step_s);
    if (!step.ok()) {
      return PrintError(ErrorType::kBadData,
                        absl::StrCat("invalid parameter \"step\": ", step.status().message()));
    }
    int64_t step_ms = absl::ToInt64Milliseconds(*step);
    if (*step <= absl::ZeroDuration() || step_ms <= 0) {
      return PrintError(ErrorType::kBadData,
                        "invalid parameter \"step\": zero or negative query resolution step "
                        "widths are not accepted. Try a positive integer");
    }
    q = engine.NewRangeQuery(db->get(), pos[0], *start, *end, step_ms);
    if (!q.ok()) return PrintError(ErrorType::kBadData, q.status().message());
  }
  absl::StatusOr<promql::Value> v = (*q)->Exec();
  if (!v.ok()) return PrintStatus(v.status());
  server::api::QueryResultWriter w(
      [](absl::string_view c) { std::fwrite(c.data(), 1, c.size(), stdout); });
  w.WriteSuccess(*v);
  std::fputc('\n', stdout);
  return kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("query", "Evaluate a PromQL instant or range query (Prometheus API JSON)",
                       RunQuery);

}  // namespace tally::tools
