// `tally simulate`: the LLM Cost Tracker (tools/sim) as a live application. It serves
// /metrics (Prometheus text 0.0.4) and the seed's /health, /health/detailed and
// /health/{database,providers,cache,budget-engine} endpoints,
// or pushes each scrape step by remote write, or writes a past window as OpenMetrics for
// `tally backfill` (the generator's output). A --scenario provokes one of the shipped alerts.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "rules/client/remote_backend.h"
#include "server/http/http_server.h"
#include "storage/model/labels.h"
#include "storage/util/log.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_set.h"
#include "tools/cli/signals.h"
#include "tools/sim/history_file.h"
#include "tools/sim/llm_cost_generator.h"
#include "tools/sim/llm_cost_live.h"

namespace tally::tools {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

std::vector<rules::OutputSample> ToSamples(const sim::LlmCostLive& live) {
  std::vector<rules::OutputSample> out;
  const int64_t t = live.last_scrape_ms();
  for (const sim::LiveFamily& f : live.Snapshot()) {
    for (const sim::LiveSeries& s : f.series) {
      std::vector<storage::Label> l;
      l.reserve(s.labels.size() + 1);
      l.push_back({"__name__", s.name});
      for (const auto& [n, v] : s.labels) l.push_back({n, v});
      out.push_back({storage::Labels::FromUnsorted(std::move(l)), t, s.value});
    }
  }
  return out;
}

int WriteBackfill(const sim::LlmCostOptions& base, absl::Duration window, const std::string& out) {
  sim::LlmCostOptions o = base;
  o.hours = absl::ToDoubleHours(window);
  const int64_t now = NowMs();
  o.start_ms = now - absl::ToInt64Milliseconds(window);
  o.scenario_start_ms = now - 3'600'000;  // the scenario covers the last hour
  o.format = storage::TextFormat::kOpenMetrics;
  if (absl::Status s = sim::WriteHistoryFile(o, out, [] { return Interrupted(); }); !s.ok()) {
    std::fprintf(stderr, "tally: error: simulate: %s\n", std::string(s.message()).c_str());
    return absl::IsCancelled(s) ? kExitInterrupted : kExitFailure;
  }
  TALLY_LOG(kInfo, "wrote simulated history",
            {{"samples", sim::LlmCostSampleCount(o)}, {"out", out}});
  return kExitOk;
}

int RunSimulate(std::vector<std::string> args) {
  std::string listen, remote_write, out, scenario_name = "none";
  absl::Duration interval = absl::Seconds(15), backfill = absl::ZeroDuration(),
                 duration = absl::ZeroDuration(), scenario_after = absl::ZeroDuration();
  int64_t scale = 1, seed = 1, models = 0, applications = 0, users = 0, history_start = -1,
          history_end = -1;
  absl::Duration history_interval = absl::ZeroDuration();
  FlagSet flags(
      "tally simulate (--web.listen-address ADDR | --remote-write.url URL | --backfill D --out F)",
      "Run a simulated LLM Cost Tracker (the model of `tally generate`): serve /metrics,\n"
      "/health and /health/detailed, or push every scrape step by remote write, or write\n"
      "a past window as OpenMetrics for `tally backfill`. Stops on SIGINT/SIGTERM (exit 0).");
  flags.String("web.listen-address", &listen, "Serve /metrics and /health* on host:port.");
  flags.String("remote-write.url", &remote_write, "Push samples to this remote-write URL.");
  flags.Duration("interval", &interval, "Scrape step: how often values advance (and are pushed).");
  flags.Duration("backfill", &backfill, "Write this past window (ending now) to --out and exit.");
  flags.String("out", &out, "Output file of --backfill.");
  flags.Int("series-scale", &scale, "Number of simulated tracker instances (~900 series each).");
  flags.Int("seed", &seed, "Random seed.");
  flags.Int("models", &models, "Simulate the first N of the 6 catalogue models (0: all).");
  flags.Int("applications", &applications,
            "Simulate the first N of the 4 catalogue applications (0: all).");
  flags.Int("users", &users,
            "Spread cost, request and token counters over N user_id values, 1..16 (0: no\n"
            "user_id label).");
  flags.String("scenario", &scenario_name,
               "Provoke an alert: none, budget-overrun, latency-spike, token-anomaly, errors.");
  flags.Duration("scenario.after", &scenario_after,
                 "Live modes: start the scenario this long after start-up.");
  flags.Int("history.start", &history_start,
            "Live modes: continue a `tally generate --start MS` history (same --seed,\n"
            "--series-scale, --models, --applications, --users): counters go on from its\n"
            "values instead of starting at 0.");
  flags.Int("history.end", &history_end,
            "With --history.start: the history's end (its --start plus --hours, in ms). Its\n"
            "steps are replayed at --history.interval, then the simulator goes on at --interval.");
  flags.Duration("history.interval", &history_interval,
                 "The history's step (`tally generate --step`; default: --interval).");
  flags.Duration("duration", &duration, "Stop after this long (0: run until interrupted).");
  std::vector<std::string> pos;
  if (int rc = ParseFlagsOrExit(flags, args, &pos); rc >= 0) return rc;
  auto usage = [](const std::string& msg) {
    std::fprintf(stderr, "tally: error: %s, try --help\n", msg.c_str());
    return kExitUsage;
  };
  if (!pos.empty()) return usage(absl::StrFormat("unexpected argument \"%s\"", pos[0]));
  const int modes = !listen.empty() + !remote_write.empty() + (backfill > absl::ZeroDuration());
  if (modes != 1) {
    return usage("need exactly one of --web.listen-address, --remote-write.url, --backfill");
  }
  if (backfill > absl::ZeroDuration() && out.empty()) return usage("--backfill needs --out");
  if (scale < 1 || scale > 1000) return usage("--series-scale must be in 1..1000");
  if (interval < absl::Milliseconds(100) || interval > absl::Hours(1)) {
    return usage("--interval must be between 100ms and 1h");
  }
  if (models < 0 || models > 6 || applications < 0 || applications > 4 || users < 0 ||
      users > 16) {
    return usage("--models must be in 0..6, --applications in 0..4 and --users in 0..16");
  }
  sim::LlmCostOptions o;
  o.seed = static_cast<uint64_t>(seed);
  o.models = static_cast<int>(models);
  o.applications = static_cast<int>(applications);
  o.users = static_cast<int>(users);
  o.series_scale = static_cast<int>(scale);
  o.step_ms = absl::ToInt64Milliseconds(interval);
  if (!sim::ParseScenario(scenario_name, &o.scenario)) {
    return usage(absl::StrFormat("unknown --scenario \"%s\"", scenario_name));
  }
  InstallInterruptHandler();
  if (backfill > absl::ZeroDuration()) return WriteBackfill(o, backfill, out);

  const int64_t start = NowMs();
  if (history_start > start || (history_start >= 0 && start - history_start > 400LL * 86'400'000)) {
    return usage("--history.start must be in the past 400 days (ms since the epoch)");
  }
  if (history_end >= 0 && (history_start < 0 || history_end <= history_start ||
                           history_end > start)) {
    return usage("--history.end needs --history.start before it, and must not be in the future");
  }
  if (history_interval != absl::ZeroDuration() &&
      (history_interval < absl::Milliseconds(100) || history_interval > absl::Hours(1))) {
    return usage("--history.interval must be between 100ms and 1h");
  }
  o.start_ms = history_start >= 0 ? history_start : start;
  o.scenario_start_ms = start + absl::ToInt64Milliseconds(scenario_after);
  const int64_t live_step = o.step_ms;
  if (history_end >= 0 && history_interval != absl::ZeroDuration()) {
    o.step_ms = absl::ToInt64Milliseconds(history_interval);
  }
  std::mutex mu;
  sim::LlmCostLive live(o);  // guarded by mu
  if (history_end >= 0) {
    // Exactly the generator's steps: floor((end - start) / step), from the aligned start.
    const int64_t steps = (history_end - history_start) / o.step_ms;
    const int64_t aligned = history_start - history_start % o.step_ms;
    if (steps > 0) live.AdvanceTo(aligned + (steps - 1) * o.step_ms);
    live.ContinueWithStep(live_step);
  }
  live.AdvanceTo(start);  // replays the history's steps (not pushed again)

  std::unique_ptr<server::http::HttpServer> http;
  if (!listen.empty()) {
    server::http::HttpServerOptions ho;
    ho.listen_address = listen;
    ho.threads = 1;
    ho.worker_threads = 2;
    ho.max_body_bytes = 1 << 16;
    http = std::make_unique<server::http::HttpServer>(
        ho, [&](const server::http::HttpRequest& req, server::http::HttpResponse* resp) {
          if (req.method != "GET" && req.method != "HEAD") {
            resp->status = 405;
            resp->content_type = "text/plain; charset=utf-8";
            resp->body = "Method Not Allowed\n";
            return;
          }
          const int64_t now = NowMs();
          std::lock_guard<std::mutex> l(mu);
          live.AdvanceTo(now);
          if (req.path == "/metrics") {
            resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
            resp->body = live.RenderText();
          } else if (req.path == "/health" || req.path == "/health/detailed") {
            resp->content_type = "application/json";
            resp->body = live.HealthJson(req.path == "/health/detailed", now);
          } else if (absl::StartsWith(req.path, "/health/") &&
                     !(resp->body = live.ComponentHealthJson(req.path.substr(8), now)).empty()) {
            resp->content_type = "application/json";
          } else {
            resp->status = 404;
            resp->content_type = "text/plain; charset=utf-8";
            resp->body = "404 page not found\n";
          }
        });
    if (absl::Status s = http->Start(); !s.ok()) {
      std::fprintf(stderr, "tally: error: simulate: %s\n", std::string(s.message()).c_str());
      return kExitFailure;
    }
    TALLY_LOG(kInfo, "simulating LLM Cost Tracker",
              {{"address", listen}, {"port", int64_t{http->port()}}, {"scenario", scenario_name}});
  }
  std::unique_ptr<rules::RemoteBackend> backend;
  if (!remote_write.empty()) {
    rules::RemoteBackendOptions ro;
    ro.query_url = remote_write;  // unused: the simulator only writes
    ro.remote_write_url = remote_write;
    ro.timeout = std::min(absl::Seconds(30), std::max(absl::Seconds(2), interval));
    absl::StatusOr<std::unique_ptr<rules::RemoteBackend>> b = rules::RemoteBackend::Create(ro);
    if (!b.ok()) return usage(std::string(b.status().message()));
    backend = *std::move(b);
    TALLY_LOG(kInfo, "simulating LLM Cost Tracker",
              {{"remote_write_url", remote_write}, {"scenario", scenario_name}});
  }

  int64_t pushed_step = live.steps();
  int64_t failures = 0;
  const int64_t stop_at =
      duration > absl::ZeroDuration() ? start + absl::ToInt64Milliseconds(duration) : -1;
  while (!Interrupted() && (stop_at < 0 || NowMs() < stop_at)) {
    if (backend != nullptr) {
      std::vector<rules::OutputSample> batch;
      {
        std::lock_guard<std::mutex> l(mu);
        live.AdvanceTo(NowMs());
        if (live.steps() > pushed_step) {
          pushed_step = live.steps();
          batch = ToSamples(live);
        }
      }
      if (!batch.empty()) {
        if (absl::Status s = backend->Append(batch); !s.ok()) {
          // Keep running: the receiver may come up later (the main job starts both at once).
          if (failures++ % 20 == 0) {
            TALLY_LOG(kWarn, "remote write failed", {{"err", std::string(s.message())}});
          }
        }
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  if (http != nullptr) http->Shutdown(absl::Seconds(2));
  TALLY_LOG(kInfo, "simulator stopped", {{"steps", live.steps()}});
  return kExitOk;
}

}  // namespace

TALLY_REGISTER_COMMAND("simulate",
                       "Run a simulated LLM Cost Tracker (/metrics, remote write or backfill).",
                       RunSimulate);

}  // namespace tally::tools
