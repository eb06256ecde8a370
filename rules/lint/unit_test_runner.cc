// Prometheus compat: cmd/promtool/unittest.go of 2.42 (messages, step-wise loading, the
// ordering of checks). yaml-cpp throws: decoding catches here.
#include "rules/lint/unit_test_runner.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "rules/lint/series_notation.h"
#include "rules/local_backend.h"
#include "rules/rule_manager.h"
#include "storage/util/duration.h"

namespace tally::rules {
namespace {

struct SeriesInput {
  std::string series, values;
};
struct ExpAlert {
  std::map<std::string, std::string> labels, annotations;
};
struct AlertTest {
  int64_t eval_ms = 0;
  std::string alertname;
  std::vector<ExpAlert> exp;
};
struct ExpSample {
  std::string labels;
  double value = 0;
};
struct ExprTest {
  std::string expr;
  int64_t eval_ms = 0;
  std::vector<ExpSample> exp;
};
struct TestGroup {
  std::string name;
  int64_t interval_ms = 0;
  std::vector<SeriesInput> input;
  std::vector<AlertTest> alerts;
  std::vector<ExprTest> exprs;
  storage::Labels external_labels;
  std::string external_url;
};
struct TestFile {
  std::vector<std::string> rule_files;
  int64_t eval_interval_ms = 60'000;
  std::vector<std::string> group_eval_order;
  std::vector<TestGroup> tests;
};

// Strict decoding with yaml.v3-style messages.
class Decoder {
 public:
  void Keys(const YAML::Node& n, std::initializer_list<const char*> known, const char* type) {
    if (!n.IsMap()) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (std::none_of(known.begin(), known.end(), [&](const char* x) { return k == x; })) {
        errs_.push_back(absl::StrCat("line ", it->first.Mark().line + 1, ": field ", k,
                                     " not found in type ", type));
      }
    }
  }
  std::string Str(const YAML::Node& n) {
    return n.IsDefined() && n.IsScalar() ? n.Scalar() : std::string();
  }
  int64_t Dur(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return 0;
    absl::StatusOr<int64_t> d = storage::ParseDurationMs(Str(n));
    if (!d.ok() && fatal_.empty()) fatal_ = std::string(d.status().message());
    return d.ok() ? *d : 0;
  }
  std::map<std::string, std::string> Map(const YAML::Node& n) {
    std::map<std::string, std::string> m;
    if (n.IsDefined() && n.IsMap()) {
      for (auto it = n.begin(); it != n.end(); ++it) m[Str(it->first)] = Str(it->second);
    }
    return m;
  }
  template <typename F>
  void List(const YAML::Node& n, F f) {
    if (!n.IsDefined() || !n.IsSequence()) return;
    for (const YAML::Node& e : n) f(e);
  }
  absl::Status Result() const {
    if (!fatal_.empty()) return absl::InvalidArgumentError(fatal_);
    if (!errs_.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("yaml: unmarshal errors:\n  ", absl::StrJoin(errs_, "\n  ")));
    }
    return absl::OkStatus();
  }

 private:
  std::vector<std::string> errs_;
  std::string fatal_;
};

absl::StatusOr<TestFile> DecodeTestFile(const std::string& content) {
  YAML::Node root;
  try {
    root = YAML::Load(content);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: line ", e.mark.line + 1, ": ", e.msg));
  }
  Decoder d;
  TestFile f;
  d.Keys(root, {"rule_files", "evaluation_interval", "group_eval_order", "tests"},
         "main.unitTestFile");
  d.List(root["rule_files"], [&](const YAML::Node& n) { f.rule_files.push_back(d.Str(n)); });
  if (int64_t iv = d.Dur(root["evaluation_interval"])) f.eval_interval_ms = iv;
  d.List(root["group_eval_order"],
         [&](const YAML::Node& n) { f.group_eval_order.push_back(d.Str(n)); });
  d.List(root["tests"], [&](const YAML::Node& t) {
    d.Keys(t,
           {"interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels",
            "external_url", "name"},
           "main.testGroup");
    TestGroup g;
    g.name = d.Str(t["name"]);
    g.interval_ms = d.Dur(t["interval"]);
    g.external_url = d.Str(t["external_url"]);
    std::vector<storage::Label> el;
    for (auto& [k, v] : d.Map(t["external_labels"])) el.push_back({k, v});
    g.external_labels = storage::Labels::FromUnsorted(std::move(el));
    d.List(t["input_series"], [&](const YAML::Node& s) {
      d.Keys(s, {"series", "values"}, "main.series");
      g.input.push_back({d.Str(s["series"]), d.Str(s["values"])});
    });
    d.List(t["alert_rule_test"], [&](const YAML::Node& a) {
      d.Keys(a, {"eval_time", "alertname", "exp_alerts"}, "main.alertTestCase");
      AlertTest at;
      at.eval_ms = d.Dur(a["eval_time"]);
      at.alertname = d.Str(a["alertname"]);
      d.List(a["exp_alerts"], [&](const YAML::Node& e) {
        d.Keys(e, {"exp_labels", "exp_annotations"}, "main.alert");
        at.exp.push_back({d.Map(e["exp_labels"]), d.Map(e["exp_annotations"])});
      });
      g.alerts.push_back(std::move(at));
    });
    d.List(t["promql_expr_test"], [&](const YAML::Node& p) {
      d.Keys(p, {"expr", "eval_time", "exp_samples"}, "main.promqlTestCase");
      ExprTest et;
      et.expr = d.Str(p["expr"]);
      et.eval_ms = d.Dur(p["eval_time"]);
      d.List(p["exp_samples"], [&](const YAML::Node& s) {
        d.Keys(s, {"labels", "value"}, "main.sample");
        ExpSample es;
        es.labels = d.Str(s["labels"]);
        const std::string v = d.Str(s["value"]);
        if (!v.empty()) es.value = std::strtod(v.c_str(), nullptr);
        et.exp.push_back(std::move(es));
      });
      g.exprs.push_back(std::move(et));
    });
    f.tests.push_back(std::move(g));
  });
  if (absl::Status s = d.Result(); !s.ok()) return s;
  return f;
}

// Go's time.Duration.String() for whole milliseconds: "0s", "500ms", "1m30s", "1h0m0s".
std::string GoDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  uint64_t u = ms < 0 ? static_cast<uint64_t>(-ms) : static_cast<uint64_t>(ms);
  if (u < 1000) return absl::StrCat(sign, u, "ms");
  std::string secs = absl::StrCat(u / 1000 % 60);
  if (u % 1000 != 0) {
    std::string frac = absl::StrCat(1000 + u % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    absl::StrAppend(&secs, ".", frac);
  }
  const uint64_t mins = u / 60'000;
  if (mins == 0) return absl::StrCat(sign, secs, "s");
  if (mins < 60) return absl::StrCat(sign, mins, "m", secs, "s");
  return absl::StrCat(sign, mins / 60, "h", mins % 60, "m", secs, "s");
}

// strconv.FormatFloat(v, 'E', -1, 64).
std::string GoFloatUpperE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  for (char& c : s) c = c == 'e' ? 'E' : c;
  return s;
}

std::string IndentLines(const std::string& lines, const std::string& indent) {
  std::vector<std::string> parts = absl::StrSplit(lines, '\n');
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += indent;
    out += parts[i];
    if (i + 1 != parts.size()) out += "\n";
  }
  return out;
}

using LabelsAndAnnotations = std::vector<std::pair<storage::Labels, storage::Labels>>;

std::string AlertsString(const LabelsAndAnnotations& la) {
  if (la.empty()) return "[]";
  std::string s = "[";
  for (size_t i = 0; i < la.size(); ++i) {
    absl::StrAppend(&s, i == 0 ? "\n" : ",\n", i, ":",
                    IndentLines(absl::StrCat("\nLabels:", la[i].first.ToString(),
                                             "\nAnnotations:", la[i].second.ToString()),
                                "  "));
  }
  return s + "\n]";
}

using Samples = std::vector<std::pair<storage::Labels, double>>;
std::string SamplesString(const Samples& ss) {
  if (ss.empty()) return "nil";
  std::vector<std::string> parts;
  for (const auto& [l, v] : ss) parts.push_back(l.ToString() + " " + GoFloatUpperE(v));
  return absl::StrJoin(parts, ", ");
}

storage::Labels FromMap(const std::map<std::string, std::string>& m) {
  std::vector<storage::Label> ls;
  for (const auto& [k, v] : m) ls.push_back({k, v});
  return storage::Labels::FromSorted(std::move(ls));
}

// A temporary DB for one test group, deleted with it.
struct TempDb {
  std::string dir;
  std::unique_ptr<storage::DB> db;
  ~TempDb() {
    db.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

absl::Status OpenTempDb(TempDb* t) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(tmp != nullptr && *tmp ? tmp : "/tmp", "/tally-rules-test-XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) return absl::UnavailableError("cannot create temp dir");
  t->dir = tmpl;
  storage::DBOptions o;
  o.path = tmpl;
  o.sync_commits = false;
  o.retention_check_interval_ms = 0;
  o.retention_ms = int64_t{100} * 365 * 24 * 3600 * 1000;
  absl::StatusOr<std::unique_ptr<storage::DB>> db = storage::DB::Open(o);
  if (!db.ok()) return db.status();
  t->db = *std::move(db);
  return absl::OkStatus();
}

std::vector<std::string> RunGroup(const TestGroup& tg, const TestFile& tf,
                                  const std::map<std::string, int>& order) {
  TempDb tdb;
  if (absl::Status s = OpenTempDb(&tdb); !s.ok()) return {std::string(s.message())};
  const int64_t eval_iv = tf.eval_interval_ms;
  const int64_t interval = tg.interval_ms > 0 ? tg.interval_ms : eval_iv;

  // Input series (parsed up front: a bad one fails the group before any evaluation).
  struct Input {
    storage::Labels labels;
    SeriesValues values;
    size_t next = 0;
  };
  std::vector<Input> inputs;
  for (const SeriesInput& s : tg.input) {
    absl::StatusOr<storage::Labels> l = ParseMetric(s.series);
    if (!l.ok()) {
      // Prometheus compat: promtool parses "<series> <values>" as one line, so the error
      // position (and the offending character) are those of the joined text.
      absl::StatusOr<storage::Labels> joined = ParseMetric(absl::StrCat(s.series, " ", s.values));
      return {std::string((joined.ok() ? l : joined).status().message())};
    }
    absl::StatusOr<SeriesValues> v =
        ParseSeriesValues(s.values, static_cast<int>(s.series.size()) + 1);
    if (!v.ok()) return {std::string(v.status().message())};
    inputs.push_back({*std::move(l), *std::move(v)});
  }

  promql::QueryOptions qo;
  qo.default_subquery_step_ms = eval_iv;
  LocalBackend backend(tdb.db.get(), qo);
  RuleGroupOptions go;
  go.backend = &backend;
  RuleLoadConfig lc;
  lc.default_interval = absl::Milliseconds(interval);
  lc.files = tf.rule_files;
  lc.external_labels = tg.external_labels;
  lc.external_url = tg.external_url;
  LoadedGroups loaded = LoadGroups(lc, go, /*restored=*/true);
  if (!loaded.errors.empty()) return loaded.errors;
  std::vector<RuleGroup*> groups;
  for (auto& g : loaded.groups) groups.push_back(g.get());
  std::stable_sort(groups.begin(), groups.end(), [&](RuleGroup* a, RuleGroup* b) {
    auto ia = order.find(a->name()), ib = order.find(b->name());
    return (ia == order.end() ? 0 : ia->second) < (ib == order.end() ? 0 : ib->second);
  });

  std::map<int64_t, std::vector<const AlertTest*>> alert_tests;
  int64_t maxt = 0;
  for (const AlertTest& a : tg.alerts) {
    if (a.alertname.empty()) {
      return {absl::StrCat("an item under alert_rule_test misses required attribute alertname "
                           "at eval_time ",
                           storage::FormatDurationMs(a.eval_ms),
                           tg.name.empty() ? "" : absl::StrCat(" (in TestGroup ", tg.name, ")"))};
    }
    alert_tests[a.eval_ms].push_back(&a);
    maxt = std::max(maxt, a.eval_ms);
  }
  for (const ExprTest& e : tg.exprs) maxt = std::max(maxt, e.eval_ms);
  const std::string name_prefix = tg.name.empty() ? "" : absl::StrCat("    name: ", tg.name, ",\n");

  std::vector<std::string> errs;
  auto pending_alerts = alert_tests.begin();
  for (int64_t ts = 0; ts <= maxt; ts += eval_iv) {
    // Load the input samples up to ts (promtool's LazyLoader.WithSamplesTill).
    std::vector<OutputSample> batch;
    for (Input& in : inputs) {
      while (in.next < in.values.size() && static_cast<int64_t>(in.next) * interval <= ts) {
        if (in.values[in.next]) {
          batch.push_back({in.labels, static_cast<int64_t>(in.next) * interval, *in.values[in.next]});
        }
        ++in.next;
      }
    }
    if (absl::Status s = backend.Append(batch); !s.ok()) return {std::string(s.message())};
    std::vector<std::string> eval_errs;
    for (RuleGroup* g : groups) {
      g->Eval(absl::FromUnixMillis(ts));
      for (const auto& r : g->rules()) {
        RuleStatus st = r->status();
        if (!st.last_error.empty()) {
          eval_errs.push_back(absl::StrCat("    rule: ", r->name(), ", time: ", GoDuration(ts),
                                           ", err: ", st.last_error));
        }
      }
    }
    if (!eval_errs.empty()) {
      errs.insert(errs.end(), eval_errs.begin(), eval_errs.end());
      return errs;
    }
    // Alert checks whose eval_time falls in [ts, ts + evaluation_interval).
    for (; pending_alerts != alert_tests.end() && pending_alerts->first >= ts &&
           pending_alerts->first < ts + eval_iv;
         ++pending_alerts) {
      for (const AlertTest* at : pending_alerts->second) {
        LabelsAndAnnotations got;
        for (RuleGroup* g : groups) {
          for (const auto& r : g->rules()) {
            if (!r->is_alerting() || r->name() != at->alertname) continue;
            for (const Alert& a : static_cast<const AlertingRule&>(*r).ActiveAlerts()) {
              if (a.state == AlertState::kFiring) got.push_back({a.labels, a.annotations});
            }
          }
        }
        LabelsAndAnnotations exp;
        for (const ExpAlert& e : at->exp) {
          std::map<std::string, std::string> l = e.labels;
          l["alertname"] = at->alertname;
          exp.push_back({FromMap(l), FromMap(e.annotations)});
        }
        auto by_labels = [](const auto& a, const auto& b) { return a.first < b.first; };
        std::stable_sort(got.begin(), got.end(), by_labels);
        std::stable_sort(exp.begin(), exp.end(), by_labels);
        if (got != exp) {
          errs.push_back(absl::StrCat(
              name_prefix, "    alertname: ", at->alertname,
              ", time: ", storage::FormatDurationMs(at->eval_ms), ", \n        exp:",
              IndentLines(AlertsString(exp), "            "), ", \n        got:",
              IndentLines(AlertsString(got), "            ")));
        }
      }
    }
  }

  for (const ExprTest& et : tg.exprs) {
    const std::string where =
        absl::StrCat("    expr: ", storage::GoQuote(et.expr), ", time: ",
                     storage::FormatDurationMs(et.eval_ms));
    absl::StatusOr<promql::Vector> got = backend.Query(et.expr, et.eval_ms);
    if (!got.ok()) {
      errs.push_back(absl::StrCat(where, ", err: ", got.status().message()));
      continue;
    }
    Samples gs, es;
    for (const promql::VectorSample& s : *got) gs.push_back({s.metric, s.v});
    bool bad = false;
    for (const ExpSample& s : et.exp) {
      absl::StatusOr<storage::Labels> l = ParseMetric(s.labels);
      if (!l.ok()) {
        errs.push_back(absl::StrCat(where, ", err: labels ", storage::GoQuote(s.labels), ": ",
                                    l.status().message()));
        bad = true;
        break;
      }
      es.push_back({*std::move(l), s.value});
    }
    if (bad) continue;
    auto by_labels = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::stable_sort(gs.begin(), gs.end(), by_labels);
    std::stable_sort(es.begin(), es.end(), by_labels);
    if (gs != es) {
      errs.push_back(absl::StrCat(where, ",\n        exp: ", SamplesString(es),
                                  "\n        got: ", SamplesString(gs)));
    }
  }
  return errs;
}

}  // namespace

UnitTestResult RunRuleUnitTests(const std::string& path) {
  UnitTestResult r;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.errors.push_back(absl::StrCat("open ", path, ": no such file or directory"));
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<TestFile> tf = DecodeTestFile(ss.str());
  if (!tf.ok()) {
    r.errors.push_back(std::string(tf.status().message()));
    return r;
  }
  std::string base = std::filesystem::path(path).parent_path().string();
  if (base == ".") base.clear();
  absl::StatusOr<std::vector<std::string>> files = ExpandRuleFiles(tf->rule_files, base);
  if (!files.ok()) {
    r.errors.push_back(std::string(files.status().message()));
    return r;
  }
  tf->rule_files = *std::move(files);
  std::map<std::string, int> order;
  for (size_t i = 0; i < tf->group_eval_order.size(); ++i) {
    if (!order.emplace(tf->group_eval_order[i], static_cast<int>(i)).second) {
      r.errors.push_back(
          absl::StrCat("group name repeated in evaluation order: ", tf->group_eval_order[i]));
      return r;
    }
  }
  for (const TestGroup& tg : tf->tests) {
    std::vector<std::string> e = RunGroup(tg, *tf, order);
    r.errors.insert(r.errors.end(), e.begin(), e.end());
  }
  return r;
}

}  // namespace tally::rules
