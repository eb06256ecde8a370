// Scraping: exposition parsing as a scrape sees it (one body, text 0.0.4 and OpenMetrics,
// simulator-sized and large) and the scrape loop's CPU per sample in steady state (cache
// hits, one commit per scrape), both for the append path alone and for N targets scraped
// over loopback HTTP. Counters: samples/s, bytes/s, and cpu_s_per_1M_samples (process CPU,
// all threads) — divide by 60 for the share of one core that 1M samples/min cost.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "server/http/http_server.h"
#include "server/scrape/scrape_fetch.h"
#include "server/scrape/scrape_loop.h"
#include "storage/db.h"
#include "storage/ingest/text_parser.h"

namespace tally::server::scrape {
namespace {

constexpr const char* kModels[] = {"gpt-4", "gpt-4o", "gpt-3.5-turbo", "claude-3-opus",
                                   "claude-3-haiku", "llama-3-70b"};
constexpr const char* kApps[] = {"chatbot", "summarizer", "code-assistant", "search"};
constexpr double kLe[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// An LLM-cost-tracker-shaped exposition: counters, a latency histogram and gauges per
// (model, application, user). users = 1 is about the simulator's size.
std::string Body(int users, bool openmetrics) {
  std::string s;
  auto family = [&](const char* name, const char* type, const char* help) {
    absl::StrAppend(&s, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  };
  const char* total = openmetrics ? "" : "_total";
  family(openmetrics ? "llm_cost_tracker_requests" : "llm_cost_tracker_requests_total", "counter",
         "Total LLM requests.");
  for (const char* m : kModels)
    for (const char* a : kApps)
      for (int u = 0; u < users; ++u)
        for (const char* st : {"success", "error"})
          absl::StrAppend(&s, "llm_cost_tracker_requests_total{model=\"", m, "\",application=\"",
                          a, "\",user=\"user-", u, "\",status=\"", st, "\"} ", 12345 + u, "\n");
  (void)total;
  family("llm_cost_tracker_request_duration_seconds", "histogram", "Request latency.");
  for (const char* m : kModels)
    for (const char* a : kApps)
      for (int u = 0; u < users; ++u) {
        const std::string l =
            absl::StrCat("model=\"", m, "\",application=\"", a, "\",user=\"user-", u, "\"");
        for (double le : kLe)
          absl::StrAppend(&s, "llm_cost_tracker_request_duration_seconds_bucket{", l, ",le=\"",
                          le, "\"} ", 100 + u, "\n");
        absl::StrAppend(&s, "llm_cost_tracker_request_duration_seconds_bucket{", l,
                        ",le=\"+Inf\"} 200\n", "llm_cost_tracker_request_duration_seconds_sum{",
                        l, "} 345.5\n", "llm_cost_tracker_request_duration_seconds_count{", l,
                        "} 200\n");
      }
  family("llm_cost_tracker_concurrent_requests", "gauge", "In-flight requests.");
  for (const char* m : kModels)
    absl::StrAppend(&s, "llm_cost_tracker_concurrent_requests{model=\"", m, "\"} 3\n");
  if (openmetrics) s += "# EOF\n";
  return s;
}

const std::string& CachedBody(int users, bool om) {
  static std::map<std::pair<int, bool>, std::string>* cache = new std::map<std::pair<int, bool>, std::string>();
  auto it = cache->find({users, om});
  if (it == cache->end()) it = cache->emplace(std::make_pair(users, om), Body(users, om)).first;
  return it->second;
}

void BM_ScrapeParse(benchmark::State& state) {
  const bool om = state.range(1) != 0;
  const std::string& in = CachedBody(static_cast<int>(state.range(0)), om);
  const storage::TextFormat f = om ? storage::TextFormat::kOpenMetrics : storage::TextFormat::kPrometheus;
  int64_t samples = 0;
  for (auto _ : state) {
    storage::TextParser p(in, f);
    double sum = 0;
    while (true) {
      absl::StatusOr<storage::TextEntry> e = p.Next();
      if (!e.ok()) {
        state.SkipWithError(std::string(e.status().message()).c_str());
        return;
      }
      if (*e == storage::TextEntry::kEnd) break;
      if (*e == storage::TextEntry::kSample) {
        sum += p.value() + static_cast<double>(p.series_text().size());
        ++samples;
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(samples);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  state.counters["samples_per_body"] = static_cast<double>(samples) / state.iterations();
}
// (users, openmetrics): users=1 ~ the simulator's /metrics; users=100 a large target.
BENCHMARK(BM_ScrapeParse)->Args({1, 0})->Args({1, 1})->Args({100, 0})->Args({100, 1})
    ->Unit(benchmark::kMicrosecond);

struct BenchDb {
  BenchDb() {
    char tmpl[] = "/tmp/tally-scrape-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    storage::DBOptions o;
    o.path = dir;
    o.retention_check_interval_ms = 0;
    db = *storage::DB::Open(o);
  }
  ~BenchDb() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<storage::DB> db;
};

// The loop without HTTP: parse + cache lookups + append + report + one commit per scrape.
void BM_ScrapeLoopAppend(benchmark::State& state) {
  BenchDb b;
  ScrapeFetcher fetcher;
  ScrapeCounters counters;
  ScrapeLoop loop(b.db.get(), &fetcher, &counters, storage::Labels{{"job", "bench"}, {"instance", "x:1"}},
                  "http://127.0.0.1:1/metrics", std::make_shared<const LoopOptions>());
  const std::string& body = CachedBody(static_cast<int>(state.range(0)), false);
  int64_t t = 1'700'000'000'000, samples = 0;
  loop.AppendBody(body, storage::TextFormat::kPrometheus, absl::FromUnixMillis(t), absl::ZeroDuration(),
                  absl::OkStatus());  // warm the cache
  for (auto _ : state) {
    t += 15'000;
    ScrapeResult r = loop.AppendBody(body, storage::TextFormat::kPrometheus, absl::FromUnixMillis(t),
                                     absl::ZeroDuration(), absl::OkStatus());
    samples += r.scraped;
  }
  state.SetItemsProcessed(samples);
  state.counters["cpu_s_per_1M_samples"] = benchmark::Counter(
      static_cast<double>(samples) / 1e6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ScrapeLoopAppend)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// N targets over loopback HTTP (Tally's own HTTP server plays the targets), scraped one
// after another by the loops: fetch + parse + append + commit.
void BM_ScrapeLoopHttp(benchmark::State& state) {
  const int targets = static_cast<int>(state.range(0));
  BenchDb b;
  const std::string& body = CachedBody(1, false);
  http::HttpServerOptions ho;
  ho.listen_address = "127.0.0.1:0";
  ho.threads = 1;
  ho.worker_threads = 2;
  http::HttpServer server(ho, [&](const http::HttpRequest&, http::HttpResponse* resp) {
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4";
    resp->allow_gzip = false;  // measure the scraper, not the target
    resp->body = body;
  });
  if (!server.Start().ok()) return state.SkipWithError("bind failed");
  ScrapeFetcher fetcher;
  ScrapeCounters counters;
  std::vector<std::unique_ptr<ScrapeLoop>> loops;
  for (int i = 0; i < targets; ++i) {
    LoopOptions o;
    o.timeout = absl::Seconds(5);
    loops.push_back(std::make_unique<ScrapeLoop>(
        b.db.get(), &fetcher, &counters,
        storage::Labels{{"job", "bench"}, {"instance", absl::StrCat("t", i)}},
        absl::StrCat("http://127.0.0.1:", server.port(), "/metrics/", i),
        std::make_shared<const LoopOptions>(o)));
  }
  int64_t t = 1'700'000'000'000, samples = 0;
  for (auto& l : loops) l->ScrapeOnce(absl::FromUnixMillis(t));
  for (auto _ : state) {
    t += 15'000;
    for (auto& l : loops) samples += l->ScrapeOnce(absl::FromUnixMillis(t)).scraped;
  }
  server.Shutdown(absl::Seconds(1));
  state.SetItemsProcessed(samples);
  state.counters["cpu_s_per_1M_samples"] = benchmark::Counter(
      static_cast<double>(samples) / 1e6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// Rates are per process CPU second (no UseRealTime): cpu_s_per_1M_samples is CPU, not wall.
BENCHMARK(BM_ScrapeLoopHttp)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

}  // namespace
}  // namespace tally::server::scrape
