// Alert template expansion: Prometheus expands every label and annotation template of
// every active alert at every evaluation, so this runs (alerts x templates) times per
// group interval. Items = expansions.
#include <string>

#include "benchmark/benchmark.h"
#include "rules/template/template_expander.h"

namespace tally::rules {
namespace {

TemplateData AlertData() {
  TemplateData d;
  d.labels = {{"__name__", "llm_request_latency_seconds"},
              {"instance", "gateway-3.prod.example.com:9100"},
              {"job", "llm-gateway"},
              {"model", "gpt-4o"},
              {"provider", "openai"},
              {"team", "search"}};
  d.external_labels = {{"cluster", "eu1"}};
  d.external_url = "http://prometheus.example.com:9090";
  d.value = 2.3456789;
  return d;
}

void Run(benchmark::State& state, const char* text) {
  const TemplateData data = AlertData();
  for (auto _ : state) {
    absl::StatusOr<std::string> out = ExpandTemplate("__alert_HighLatency", text, data);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ExpandLabelOnly(benchmark::State& state) { Run(state, "{{ $labels.team }}"); }
BENCHMARK(BM_ExpandLabelOnly);

void BM_ExpandTypicalAnnotation(benchmark::State& state) {
  Run(state,
      "Latency of {{ $labels.model }} via {{ $labels.provider }} on {{ $labels.instance }} is "
      "{{ $value | humanizeDuration }} ({{ printf \"%.2f\" $value }}s, {{ humanize $value }})");
}
BENCHMARK(BM_ExpandTypicalAnnotation);

void BM_ExpandRangeAndIf(benchmark::State& state) {
  Run(state,
      "{{ range $k, $v := $labels }}{{ if ne $k \"__name__\" }}{{ $k }}={{ $v }} {{ end }}"
      "{{ end }}{{ if gt $value 1.0 }}slow{{ else }}ok{{ end }}");
}
BENCHMARK(BM_ExpandRangeAndIf);

void BM_ExpandRegexp(benchmark::State& state) {
  Run(state,
      "{{ reReplaceAll \"(.*):(\\\\d+)\" \"$1\" $labels.instance }} "
      "{{ if match \"^gpt-\" $labels.model }}openai{{ end }}");
}
BENCHMARK(BM_ExpandRegexp);

void BM_CheckTemplate(benchmark::State& state) {
  const char* text =
      "Latency of {{ $labels.model }} via {{ $labels.provider }} on {{ $labels.instance }} is "
      "{{ $value | humanizeDuration }} ({{ printf \"%.2f\" $value }}s, {{ humanize $value }})";
  for (auto _ : state) benchmark::DoNotOptimize(CheckTemplate("__alert_HighLatency", text));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckTemplate);

}  // namespace
}  // namespace tally::rules
