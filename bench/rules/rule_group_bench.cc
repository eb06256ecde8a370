// Evaluation time of the seed's recording-rule group (examples/llm-cost-tracker/rules/
// recording.yml, 11 rules) and alert groups over 10k and 100k source series, through the
// same RuleGroup + LocalBackend as `tally serve`. Each iteration is one group evaluation at
// the next 30 s step (results committed, so later iterations also read recorded series).
// Source series: per (application, instance, model) combination, cost, requests, prompt and
// completion tokens and a 10-bucket latency histogram (14 series), plus budgets; 20 minutes
// of 15 s samples from bench/data's seeded generators.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "bench/data/llm_cost_data.h"
#include "rules/local_backend.h"
#include "rules/rule_manager.h"
#include "tests/testutil/temp_dir.h"

namespace tally::rules {
namespace {

constexpr int kSamples = 80;  // 20 minutes at 15 s
constexpr int kSeriesPerCombo = 14;

struct Fixture {
  testutil::TempDir dir;
  std::unique_ptr<storage::DB> db;
  std::unique_ptr<LocalBackend> backend;
  std::vector<std::unique_ptr<RuleGroup>> groups;
  int64_t end_ms = 0;
};

std::unique_ptr<Fixture> Build(int source_series) {
  auto f = std::make_unique<Fixture>();
  storage::DBOptions o;
  o.path = f->dir.Sub("data");
  o.sync_commits = false;
  o.retention_check_interval_ms = 0;
  f->db = *storage::DB::Open(o);
  bench::SeriesOptions so;
  const int combos = source_series / kSeriesPerCombo;
  const std::vector<double> le = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, HUGE_VAL};
  auto app = f->db->NewAppender();
  int pending = 0;
  auto add = [&](const storage::Labels& l, const std::vector<storage::Sample>& s) {
    for (const storage::Sample& x : s) (void)app->Append(l, x.t_ms, x.v);
    if (++pending % 2000 == 0) {
      (void)app->Commit();
      app = f->db->NewAppender();
    }
  };
  for (int c = 0; c < combos; ++c) {
    const std::string a = absl::StrCat("app-", c % 8), inst = absl::StrCat("tracker-", c / 48),
                      model = absl::StrCat("model-", (c / 8) % 6);
    auto lbl = [&](absl::string_view name, std::vector<std::pair<std::string, std::string>> extra) {
      std::vector<storage::Label> ls = {{"__name__", std::string(name)}, {"application", a},
                                        {"instance", inst}, {"job", "llm-cost-tracker"},
                                        {"model", model}, {"provider", "p"}};
      for (auto& [k, v] : extra) ls.push_back({k, v});
      return storage::Labels::FromUnsorted(std::move(ls));
    };
    add(lbl("llm_cost_tracker_total_cost_usd", {}),
        bench::GenerateSeries(bench::SeriesShape::kCostCounter, kSamples, c * 7 + 1, so));
    add(lbl("llm_cost_tracker_requests_total", {{"status", "success"}}),
        bench::GenerateSeries(bench::SeriesShape::kHistogramBucket, kSamples, c * 7 + 2, so));
    add(lbl("llm_cost_tracker_prompt_tokens_total", {}),
        bench::GenerateSeries(bench::SeriesShape::kTokenCounter, kSamples, c * 7 + 3, so));
    add(lbl("llm_cost_tracker_completion_tokens_total", {}),
        bench::GenerateSeries(bench::SeriesShape::kTokenCounter, kSamples, c * 7 + 4, so));
    auto h = bench::GenerateHistogram(le, kSamples, c * 7 + 5, so);
    for (size_t i = 0; i < le.size(); ++i) {
      add(lbl("llm_cost_tracker_request_duration_seconds_bucket",
              {{"le", std::isinf(le[i]) ? "+Inf" : absl::StrCat(le[i])}}),
          h[i]);
    }
    if (c % 6 == 0) {
      storage::Labels b = storage::Labels::FromUnsorted(
          {{"__name__", "llm_cost_tracker_daily_budget_limit"}, {"application", a},
           {"instance", inst}, {"job", "llm-cost-tracker"}});
      add(b, bench::GenerateSeries(bench::SeriesShape::kConstant, kSamples, 9, so));
    }
  }
  (void)app->Commit();
  f->end_ms = so.start_ms + (kSamples - 1) * so.step_ms;
  f->backend = std::make_unique<LocalBackend>(f->db.get(), promql::QueryOptions{});
  RuleGroupOptions go;
  go.backend = f->backend.get();
  RuleLoadConfig lc;
  const std::string ex = std::string(TALLY_SOURCE_DIR) + "/examples/llm-cost-tracker/rules/";
  lc.files = {ex + "recording.yml", ex + "alerts.yml"};
  LoadedGroups lg = LoadGroups(lc, go, /*restored=*/true);
  f->groups = std::move(lg.groups);
  return f;
}

void BM_SeedGroupEval(benchmark::State& state, const char* group) {
  static std::map<int64_t, std::unique_ptr<Fixture>>* cache =
      new std::map<int64_t, std::unique_ptr<Fixture>>();
  auto& f = (*cache)[state.range(0)];
  if (!f) f = Build(static_cast<int>(state.range(0)));
  RuleGroup* g = nullptr;
  for (auto& x : f->groups) g = x->name() == group ? x.get() : g;
  int64_t t = f->end_ms - 10 * 60'000;
  int64_t samples = 0;
  for (auto _ : state) {
    g->Eval(absl::FromUnixMillis(t));
    t = std::min(t + 30'000, f->end_ms);
  }
  for (const auto& r : g->rules()) samples += r->status().health == RuleHealth::kGood;
  state.counters["healthy_rules"] = static_cast<double>(samples);
  state.counters["source_series"] = static_cast<double>(state.range(0));
}

BENCHMARK_CAPTURE(BM_SeedGroupEval, recording, "llm_cost_recording_rules")
    ->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_SeedGroupEval, slo_alerts, "llm_cost_slo_alerts")
    ->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tally::rules
