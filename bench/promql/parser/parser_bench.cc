// Parse throughput on the seed's dashboard, recording-rule and alert expressions
// (../shared/seed/monitoring-guide.md, the 46 distinct valid ones, embedded so the benchmark
// runs without the shared folder).
//   bench_promql_parser --benchmark_filter=Seed
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "promql/parser/lexer.h"
#include "promql/parser/parser.h"
#include "promql/parser/printer.h"

namespace tally::promql {
namespace {

const std::vector<std::string>& SeedExpressions() {
  static const auto* exprs = new std::vector<std::string>{
    "increase(llm_cost_tracker_total_cost_usd[1h])",
    "increase(llm_cost_tracker_total_cost_usd[24h])",
    "rate(llm_cost_tracker_requests_total[5m])",
    "rate(llm_cost_tracker_errors_total[5m]) / rate(llm_cost_tracker_requests_total[5m])",
    "histogram_quantile(0.50, rate(llm_cost_tracker_request_duration_seconds_bucket[5m]))",
    "histogram_quantile(0.95, rate(llm_cost_tracker_request_duration_seconds_bucket[5m]))",
    "histogram_quantile(0.99, rate(llm_cost_tracker_request_duration_seconds_bucket[5m]))",
    "(llm:cost_per_model_24h / on(application) group_left()\nllm_cost_tracker_daily_budget_limit) * 100",
    "(llm_cost_tracker_monthly_budget_limit - llm:cost_per_model_24h * 30) /\nllm:cost_per_model_24h",
    "llm_cost_tracker_total_cost_usd * 1000 /\n(llm_cost_tracker_prompt_tokens_total + llm_cost_tracker_completion_tokens_total)",
    "(llm_cost_tracker_prompt_tokens_total + llm_cost_tracker_completion_tokens_total) /\nllm_cost_tracker_requests_total",
    "sum(llm:cost_per_model_24h)",
    "sum(llm:cost_per_model_1h) by (model)",
    "llm:cost_per_model_1h",
    "budget:utilization_percentage",
    "sum(llm:request_rate_5m)",
    "sum(llm:error_rate_5m) * 100",
    "llm:latency_p95_5m",
    "llm_cost_tracker_concurrent_requests",
    "topk(10, sum(llm:cost_per_model_1h) by (application))",
    "topk(10, sum(llm:request_rate_5m) by (user_id))",
    "llm:cost_per_1k_tokens",
    "rate(llm_cost_tracker_prompt_tokens_total[5m])",
    "llm_cost_tracker_memory_usage_bytes / 1024 / 1024 / 1024",
    "rate(llm_cost_tracker_cpu_usage_ratio[5m]) * 100",
    "llm_cost_tracker_database_connections",
    "(node_filesystem_size_bytes - node_filesystem_free_bytes) / node_filesystem_size_bytes * 100",
    "up{job=\"llm-cost-tracker\"}",
    "rate(llm_cost_tracker_health_checks_total{status=\"success\"}[5m])",
    "llm_cost_tracker_cache_hit_ratio * 100",
    "(\nllm:cost_per_1k_tokens >\n(avg_over_time(llm:cost_per_1k_tokens[7d]) * 1.5)\n) and llm:cost_per_1k_tokens > 0.01",
    "abs(\nllm:tokens_per_request -\navg_over_time(llm:tokens_per_request[24h])\n) > (stddev_over_time(llm:tokens_per_request[24h]) * 3)",
    "predict_linear(llm:cost_per_model_24h[4h], 24*3600) >\non(application) llm_cost_tracker_daily_budget_limit",
    "predict_linear(llm:cost_per_model_24h[7d], 30*24*3600) >\non(application) llm_cost_tracker_monthly_budget_limit * 0.8",
    "llm_cost_tracker_health_check_success_ratio < 0.95",
    "rate(llm_cost_tracker_request_duration_seconds_sum[5m]) / rate(llm_cost_tracker_request_duration_seconds_count[5m])",
    "llm_cost_tracker_request_queue_depth",
    "llm_cost_tracker_memory_usage_bytes",
    "increase(llm_cost_tracker_memory_usage_bytes[1h])",
    "increase(llm_cost_tracker_database_size_bytes[24h])",
    "llm_cost_tracker_database_connections / llm_cost_tracker_database_max_connections * 100",
    "rate(llm_cost_tracker_database_query_duration_seconds_sum[5m]) / rate(llm_cost_tracker_database_query_duration_seconds_count[5m])",
    "rate(llm_cost_tracker_cpu_usage_ratio[5m]) > 0.70",
    "llm_cost_tracker_memory_usage_bytes / llm_cost_tracker_memory_limit_bytes > 0.85",
    "llm_cost_tracker_database_connections / llm_cost_tracker_database_max_connections > 0.80",
    "rate(llm_cost_tracker_database_slow_queries_total[5m]) > 0.1",
  };
  return *exprs;
}

size_t TotalBytes() {
  size_t n = 0;
  for (const auto& q : SeedExpressions()) n += q.size();
  return n;
}

void BM_LexSeed(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& q : SeedExpressions()) {
      Lexer l(q);
      benchmark::DoNotOptimize(l.Lex().size());
    }
  }
  state.SetItemsProcessed(state.iterations() * SeedExpressions().size());
  state.SetBytesProcessed(state.iterations() * TotalBytes());
}
BENCHMARK(BM_LexSeed);

// Lex + parse + type check: what every query and every rule evaluation setup pays.
void BM_ParseSeed(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& q : SeedExpressions()) {
      auto e = ParseExpr(q);
      if (!e.ok()) state.SkipWithError("seed expression failed to parse");
      benchmark::DoNotOptimize(e);
    }
  }
  state.SetItemsProcessed(state.iterations() * SeedExpressions().size());
  state.SetBytesProcessed(state.iterations() * TotalBytes());
}
BENCHMARK(BM_ParseSeed);

void BM_PrintSeed(benchmark::State& state) {
  std::vector<ExprPtr> trees;
  for (const auto& q : SeedExpressions()) trees.push_back(std::move(*ParseExpr(q)));
  for (auto _ : state) {
    for (const auto& t : trees) benchmark::DoNotOptimize(ToString(*t));
  }
  state.SetItemsProcessed(state.iterations() * trees.size());
}
BENCHMARK(BM_PrintSeed);

// One wide dashboard-style query (a 200-term `or` of selectors with regex matchers).
void BM_ParseWideQuery(benchmark::State& state) {
  std::string q;
  for (int i = 0; i < 200; ++i) {
    if (i > 0) q += " or ";
    q += "sum by (job) (rate(http_requests_total{job=\"api" + std::to_string(i) +
         "\", code=~\"5..\"}[5m]))";
  }
  for (auto _ : state) {
    auto e = ParseExpr(q);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() * q.size());
}
BENCHMARK(BM_ParseWideQuery);

}  // namespace
}  // namespace tally::promql
