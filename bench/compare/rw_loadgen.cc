// tally_rw_loadgen: a loopback Prometheus remote-write load generator and dashboard-query
// latency probe, used by bench/compare/run against Tally, Prometheus 2.42 and
// VictoriaMetrics alike (all speak remote write 1.0 at /api/v1/write and the query API).
//
//   tally_rw_loadgen --port P [--series 100000] [--rounds 20] [--batch 2000] [--workers 4]
//                    [--query-runs 20] [--t0-ms T]
//
// Series are shaped like the seed's LLM-cost tracker (44 per instance: cost and token
// counters per model/application, request counters per model/status, a 10-bucket latency
// histogram, a memory gauge, up), ~100k active series by default. Each round gives every
// series one sample 15 s after the previous round. All requests are encoded and
// snappy-compressed before the clock starts, so the figure measures the server, not the
// generator. Workers own disjoint series (so per-series time order holds) and send their
// rounds in order on one keep-alive connection each.
//
// Output (one line each): ingest samples, seconds, samples/s, non-2xx responses; then per
// dashboard query p50/p99 ms over --query-runs range queries (the whole written span, 15 s
// step), and all queries together.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/ingest/remote_write.h"
#include "tests/server/test_http_client.h"

namespace {

using tally::storage::Label;
using tally::storage::RemoteSeriesInput;
using tally::testing::HttpClient;

struct SeriesSpec {
  std::vector<Label> labels;
  int kind;  // 0 counter-small, 1 counter-int, 2 bucket(k), 3 gauge, 4 const
  int k;
};

std::vector<SeriesSpec> MakeSeries(int want) {
  std::vector<SeriesSpec> out;
  const char* models[] = {"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "llama-3"};
  const char* apps[] = {"chatbot", "search", "summarizer", "code-assistant", "agent"};
  const char* les[] = {"0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"};
  for (int inst = 0; static_cast<int>(out.size()) < want; ++inst) {
    std::string instance = absl::StrCat("host-", inst, ":8000");
    auto base = [&](const char* name) {
      return std::vector<Label>{{"__name__", name}, {"instance", instance}, {"job", "llm"}};
    };
    for (const char* m : models) {
      for (const char* a : apps) {
        auto l = base("llm_cost_tracker_total_cost_usd");
        l.push_back({"application", a});
        l.push_back({"model", m});
        out.push_back({l, 0, 0});
      }
      auto p = base("llm_cost_tracker_prompt_tokens_total");
      p.push_back({"model", m});
      out.push_back({p, 1, 0});
      for (const char* st : {"ok", "error"}) {
        auto r = base("llm_cost_tracker_requests_total");
        r.push_back({"model", m});
        r.push_back({"status", st});
        out.push_back({r, 1, 0});
      }
    }
    for (int k = 0; k < 10; ++k) {
      auto b = base("llm_cost_tracker_request_duration_seconds_bucket");
      b.push_back({"le", les[k]});
      out.push_back({b, 2, k});
    }
    out.push_back({base("llm_cost_tracker_memory_usage_bytes"), 3, 0});
    out.push_back({base("up"), 4, 0});
  }
  out.resize(want);
  for (auto& s : out) {
    std::sort(s.labels.begin(), s.labels.end(),
              [](const Label& a, const Label& b) { return a.name < b.name; });
  }
  return out;
}

double Value(const SeriesSpec& s, size_t i, int round) {
  switch (s.kind) {
    case 0: return round * 0.001 * static_cast<double>(i % 13 + 1);
    case 1: return static_cast<double>(round * static_cast<int>(i % 5 + 1));
    case 2: return static_cast<double>(round * (s.k + 1) * 3);
    case 3: return 2e9 + static_cast<double>((i + round) % 100) * 4096;
    default: return 1;
  }
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, series = 100'000, rounds = 20, batch = 2000, workers = 4, query_runs = 20;
  int64_t t0 = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string f = argv[i];
    long long v = std::atoll(argv[i + 1]);
    if (f == "--port") port = static_cast<int>(v);
    else if (f == "--series") series = static_cast<int>(v);
    else if (f == "--rounds") rounds = static_cast<int>(v);
    else if (f == "--batch") batch = static_cast<int>(v);
    else if (f == "--workers") workers = static_cast<int>(v);
    else if (f == "--query-runs") query_runs = static_cast<int>(v);
    else if (f == "--t0-ms") t0 = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", f.c_str());
      return 2;
    }
  }
  if (port == 0) {
    std::fprintf(stderr, "usage: tally_rw_loadgen --port P [...]\n");
    return 2;
  }
  const int64_t step = 15'000;
  if (t0 == 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    t0 = now - static_cast<int64_t>(rounds) * step;
  }
  std::vector<SeriesSpec> specs = MakeSeries(series);

  // Pre-encode: per worker, per round, batches of its series.
  std::vector<std::vector<std::string>> bodies(workers);
  int64_t total_samples = 0;
  for (int w = 0; w < workers; ++w) {
    std::vector<size_t> mine;
    for (size_t i = w; i < specs.size(); i += workers) mine.push_back(i);
    for (int r = 0; r < rounds; ++r) {
      for (size_t b = 0; b < mine.size(); b += batch) {
        std::vector<RemoteSeriesInput> in;
        for (size_t j = b; j < std::min(mine.size(), b + batch); ++j) {
          const size_t i = mine[j];
          in.push_back({specs[i].labels, {{t0 + r * step, Value(specs[i], i, r)}}});
        }
        std::string proto;
        tally::storage::EncodeWriteRequest(in, {}, &proto);
        bodies[w].push_back(tally::storage::SnappyCompressBlock(proto));
        total_samples += static_cast<int64_t>(in.size());
      }
    }
  }

  std::atomic<int64_t> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      HttpClient c(port);
      for (const std::string& body : bodies[w]) {
        auto r = c.Do("POST", "/api/v1/write", body,
                      {{"Content-Type", "application/x-protobuf"},
                       {"Content-Encoding", "snappy"},
                       {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
        if (!r.ok || r.status / 100 != 2) {
          if (failures.fetch_add(1) < 3) {
            std::fprintf(stderr, "write failed: %d %s %s\n", r.status, r.error.c_str(),
                         r.body.substr(0, 200).c_str());
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("ingest_samples %lld\ningest_seconds %.3f\ningest_samples_per_second %.0f\n"
              "ingest_failed_requests %lld\n",
              static_cast<long long>(total_samples), secs, total_samples / secs,
              static_cast<long long>(failures.load()));

  const char* queries[] = {
      "sum by (model) (rate(llm_cost_tracker_total_cost_usd[5m]))",
      "histogram_quantile(0.95, sum by (le) (rate(llm_cost_tracker_request_duration_seconds_bucket[5m])))",
      "topk(5, rate(llm_cost_tracker_requests_total[5m]))",
      "sum by (application) (increase(llm_cost_tracker_total_cost_usd[1h]))",
      "sum(llm_cost_tracker_memory_usage_bytes)",
  };
  auto enc = [](const std::string& s) {
    std::string o;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '_' || c == '.' || c == '-') o.push_back(static_cast<char>(c));
      else o += absl::StrCat("%", absl::Hex(c, absl::kZeroPad2));
    }
    return o;
  };
  HttpClient qc(port);
  std::vector<double> all;
  const int64_t end = t0 + (rounds - 1) * step;
  for (const char* q : queries) {
    std::vector<double> lat;
    for (int i = 0; i < query_runs; ++i) {
      const std::string form =
          absl::StrCat("query=", enc(q), "&start=", absl::StrFormat("%.3f", t0 / 1000.0),
                       "&end=", absl::StrFormat("%.3f", end / 1000.0), "&step=15");
      auto s = std::chrono::steady_clock::now();
      auto r = qc.PostForm("/api/v1/query_range", form);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s)
                      .count();
      if (!r.ok || r.status != 200) {
        std::fprintf(stderr, "query failed: %d %s\n", r.status, r.body.substr(0, 200).c_str());
        break;
      }
      lat.push_back(ms);
      all.push_back(ms);
    }
    std::printf("query_ms p50 %.2f p99 %.2f  %s\n", Percentile(lat, 0.5), Percentile(lat, 0.99), q);
  }
  std::printf("query_ms_all p50 %.2f p99 %.2f\n", Percentile(all, 0.5), Percentile(all, 0.99));
  return failures.load() == 0 ? 0 : 1;
}
