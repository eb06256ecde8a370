// `tally generate`: the LLM Cost Tracker model (tools/sim) over an explicit past window
// (--start, --hours, --step) as OpenMetrics or Prometheus text, for `tally backfill`,
// benchmarks and tests. A front end of the same model and writer as `tally simulate
// --backfill` (which covers a window ending now).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "storage/util/log.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"
#include "tools/cli/signals.h"
#include "tools/sim/history_file.h"
#include "tools/sim/llm_cost_generator.h"

namespace tally::tools {
namespace {

int RunGenerate(std::vector<std::string> args) {
  double hours = 1;
  int64_t scale = 1;
  int64_t seed = 1;
  int64_t models = 0, applications = 0, users = 0;
  int64_t start_ms = -1;
  absl::Duration step = absl::Seconds(15);
  std::string format = "openmetrics";
  std::string out = "-";
  FlagSet flags("tally generate [<flags>]",
                "Write seeded, realistic LLM-cost monitoring data (the llm_cost_tracker_*\n"
                "metrics: cost and token counters with resets, latency histograms, cost\n"
                "summaries, budgets and system gauges; ~900 series per instance) with\n"
                "timestamps, ready for `tally backfill`. The same flags give the same bytes.\n"
                "The model is `tally simulate`'s: a simulator started with --history.start\n"
                "(and --history.end/--history.interval) continues this file's counters.");
  flags.Double("hours", &hours, "Time span to cover, ending now (or starting at --start).");
  flags.Int("series-scale", &scale, "Number of simulated tracker instances.");
  flags.Int("seed", &seed, "Random seed.");
  flags.Int("models", &models, "Generate the first N of the 6 catalogue models (0: all).");
  flags.Int("applications", &applications,
            "Generate the first N of the 4 catalogue applications (0: all).");
  flags.Int("users", &users,
            "Spread cost, request and token counters over N user_id values, 1..16 (0: no\n"
            "user_id label).");
  flags.Int("start", &start_ms, "First timestamp in ms since the epoch (default: now - hours).");
  flags.Duration("step", &step, "Scrape interval.");
  flags.String("format", &format, "Output format: openmetrics or prometheus.");
  flags.String("out", &out, "Output file, or - for stdout.");
  std::vector<std::string> pos;
  if (int rc = ParseFlagsOrExit(flags, args, &pos); rc >= 0) return rc;
  if (!pos.empty()) {
    std::fprintf(stderr, "tally: error: unexpected argument \"%s\", try --help\n", pos[0].c_str());
    return kExitUsage;
  }
  sim::LlmCostOptions o;
  o.seed = static_cast<uint64_t>(seed);
  o.models = static_cast<int>(models);
  o.applications = static_cast<int>(applications);
  o.users = static_cast<int>(users);
  o.hours = hours;
  o.series_scale = static_cast<int>(scale);
  o.step_ms = absl::ToInt64Milliseconds(step);
  if (format == "openmetrics") {
    o.format = storage::TextFormat::kOpenMetrics;
  } else if (format == "prometheus") {
    o.format = storage::TextFormat::kPrometheus;
  } else {
    std::fprintf(stderr, "tally: error: invalid --format \"%s\", try --help\n", format.c_str());
    return kExitUsage;
  }
  if (!(hours > 0) || scale < 1 || o.step_ms < 10 || models < 0 || models > 6 ||
      applications < 0 || applications > 4 || users < 0 || users > 16) {
    std::fprintf(stderr,
                 "tally: error: need --hours > 0, --series-scale >= 1, --step >= 10ms, "
                 "--models in 0..6, --applications in 0..4, --users in 0..16, try --help\n");
    return kExitUsage;
  }
  o.start_ms = start_ms >= 0
                   ? start_ms
                   : absl::ToUnixMillis(absl::Now()) - static_cast<int64_t>(hours * 3600 * 1000);

  InstallInterruptHandler();
  if (absl::Status s = sim::WriteHistoryFile(o, out, [] { return Interrupted(); }); !s.ok()) {
    std::fprintf(stderr, "tally: error: generate: %s\n", std::string(s.message()).c_str());
    return absl::IsCancelled(s) ? kExitInterrupted : kExitFailure;
  }
  TALLY_LOG(kInfo, "generated LLM-cost data",
            {{"series", sim::LlmCostSeriesPerInstance(o) * o.series_scale},
             {"samples", sim::LlmCostSampleCount(o)},
             {"format", format},
             {"out", out}});
  return kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("generate", "Write seeded sample LLM-cost data (OpenMetrics or text).",
                       RunGenerate);

}  // namespace tally::tools
