// Relabeler::Apply on a typical metric_relabel_configs set (drop noisy families, drop
// high-cardinality labels, derive a host label, normalise a status code), over 1,000
// scraped label sets shaped like an exporter's output (seeded). Items = label sets.
#include <benchmark/benchmark.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "server/scrape/relabel.h"

namespace tally::server::scrape {
namespace {

config::RelabelConfig Rule(std::vector<std::string> src, std::string regex, std::string target,
                           std::string replacement, std::string action) {
  config::RelabelConfig r;
  r.source_labels = std::move(src);
  if (!regex.empty()) r.regex = std::move(regex);
  r.target_label = std::move(target);
  r.replacement = std::move(replacement);
  r.action = std::move(action);
  return r;
}

Relabeler TypicalMetricRelabel() {
  absl::StatusOr<Relabeler> r = Relabeler::Compile({
      Rule({"__name__"}, "go_gc_.*|process_.*|promhttp_.*", "", "$1", "drop"),
      Rule({}, "pod_template_hash|controller_revision_hash", "", "$1", "labeldrop"),
      Rule({"instance"}, "([^:]+):\\d+", "host", "$1", "replace"),
      Rule({"code"}, "([0-9])..", "code_class", "${1}xx", "replace"),
      Rule({"__name__", "handler"}, "http_requests_total;/debug/.*", "", "$1", "drop"),
  });
  return *std::move(r);
}

std::vector<storage::Labels> ScrapedSets(int n) {
  std::mt19937 rng(42);
  const char* names[] = {"http_requests_total", "http_request_duration_seconds_bucket",
                         "go_gc_duration_seconds", "process_cpu_seconds_total",
                         "node_cpu_seconds_total", "app_queue_depth"};
  std::vector<storage::Labels> out;
  for (int i = 0; i < n; ++i) {
    const int k = static_cast<int>(rng() % 6);
    out.push_back(storage::Labels{
        {"__name__", names[k]},
        {"code", absl::StrCat(200 + 100 * (rng() % 4))},
        {"handler", absl::StrCat(rng() % 10 == 0 ? "/debug/pprof" : "/api/v1/query", rng() % 5)},
        {"instance", absl::StrCat("10.0.", rng() % 16, ".", rng() % 250, ":9100")},
        {"job", "node"},
        {"method", rng() % 2 ? "GET" : "POST"},
        {"pod_template_hash", absl::StrCat(rng())},
        {"le", absl::StrCat(0.005 * (rng() % 100))}});
  }
  return out;
}

// Builder from the scraped set, Apply, Build: what the scrape loop does per series.
void BM_RelabelApply(benchmark::State& state) {
  const Relabeler r = TypicalMetricRelabel();
  const std::vector<storage::Labels> sets = ScrapedSets(1000);
  size_t i = 0, kept = 0;
  for (auto _ : state) {
    storage::LabelsBuilder lb(sets[i]);
    if (r.Apply(lb)) {
      storage::Labels out = lb.Build();
      benchmark::DoNotOptimize(out);
      ++kept;
    }
    if (++i == sets.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["kept_fraction"] =
      static_cast<double>(kept) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RelabelApply);

// The baseline the above pays for anyway: builder copy + Build, no rules.
void BM_RelabelNoRules(benchmark::State& state) {
  const Relabeler r;
  const std::vector<storage::Labels> sets = ScrapedSets(1000);
  size_t i = 0;
  for (auto _ : state) {
    storage::LabelsBuilder lb(sets[i]);
    r.Apply(lb);
    storage::Labels out = lb.Build();
    benchmark::DoNotOptimize(out);
    if (++i == sets.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RelabelNoRules);

}  // namespace
}  // namespace tally::server::scrape
