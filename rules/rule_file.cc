// yaml-cpp adapter for rule files: the only place in rules/ that catches YAML::Exception.
// Prometheus compat: mirrors rulefmt.Parse (a strict decode, whose type errors are reported
// together as "yaml: unmarshal errors:", and a custom duration decoder whose error aborts)
// followed by RuleGroups.Validate / RuleNode.Validate, error order included.
#include "rules/rule_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "promql/parser/parser.h"
#include "re2/re2.h"
#include "rules/template/template_expander.h"
#include "storage/model/labels.h"
#include "storage/util/duration.h"
#include "storage/util/utf8.h"

namespace tally::rules {
namespace {

struct Pos {
  int line = 0;  // 1-based; 0 = node absent (Prometheus prints 0:0 then)
  int col = 0;
};

Pos PosOf(const YAML::Node& n) {
  if (!n.IsDefined()) return {};
  return {n.Mark().line + 1, n.Mark().column + 1};
}

// yaml.v3's tag for a node, resolving plain scalars as YAML 1.2's core schema does.
std::string ResolvedTag(const YAML::Node& n) {
  if (n.IsSequence()) return "!!seq";
  if (n.IsMap()) return "!!map";
  if (n.IsNull()) return "!!null";
  if (n.Tag() != "?") return "!!str";  // quoted or explicitly tagged
  const std::string& s = n.Scalar();
  static const LazyRE2 kInt = {R"([-+]?(0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+))"};
  static const LazyRE2 kFloat = {
      R"([-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))"};
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" ||
      s == "FALSE") {
    return "!!bool";
  }
  if (RE2::FullMatch(s, *kInt)) return "!!int";
  if (RE2::FullMatch(s, *kFloat)) return "!!float";
  return "!!str";
}

// A strict decoder collecting yaml.v3-style type errors ("line N: ...") and the first fatal
// error (a custom unmarshaler's, which aborts decoding in Go).
class Decoder {
 public:
  void TypeError(const YAML::Node& n, absl::string_view go_type) {
    std::string tag = ResolvedTag(n);
    std::string value;
    if (n.IsScalar()) {
      std::string v = n.Scalar();
      if (v.size() > 10) v = v.substr(0, 7) + "...";
      value = absl::StrCat(" `", v, "`");
    }
    unmarshal_.push_back(absl::StrCat("line ", n.Mark().line + 1, ": cannot unmarshal ", tag,
                                      value, " into ", go_type));
  }

  // Unknown and repeated keys, in document order.
  void CheckKeys(const YAML::Node& map, std::initializer_list<const char*> known,
                 const char* type_name) {
    std::map<std::string, int> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      const int line = it->first.Mark().line + 1;
      if (auto [p, fresh] = seen.emplace(key, line); !fresh) {
        unmarshal_.push_back(absl::StrCat("line ", line, ": mapping key \"", key,
                                          "\" already defined at line ", p->second));
        continue;
      }
      if (std::find_if(known.begin(), known.end(), [&](const char* k) { return key == k; }) ==
          known.end()) {
        unmarshal_.push_back(
            absl::StrCat("line ", line, ": field ", key, " not found in type ", type_name));
      }
    }
  }

  std::string Str(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return "";
    if (!n.IsScalar()) {
      TypeError(n, "string");
      return "";
    }
    return n.Scalar();
  }

  int64_t Int(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return 0;
    int64_t v = 0;
    if (!n.IsScalar() || ResolvedTag(n) != "!!int" || !absl::SimpleAtoi(n.Scalar(), &v)) {
      TypeError(n, "int");
      return 0;
    }
    return v;
  }

  int64_t Duration(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return 0;
    if (!n.IsScalar()) {
      Fatal(absl::StrCat("yaml: unmarshal errors:\n  line ", n.Mark().line + 1,
                         ": cannot unmarshal ", ResolvedTag(n), " into string"));
      return 0;
    }
    absl::StatusOr<int64_t> ms = storage::ParseDurationMs(n.Scalar());
    if (!ms.ok()) {
      Fatal(std::string(ms.status().message()));
      return 0;
    }
    return *ms;
  }

  std::vector<std::pair<std::string, std::string>> StringMap(const YAML::Node& n) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) {
      TypeError(n, "map[string]string");
      return out;
    }
    std::map<std::string, std::string> m;  // Go map: a repeated key keeps the last value
    for (auto it = n.begin(); it != n.end(); ++it) m[Str(it->first)] = Str(it->second);
    return {m.begin(), m.end()};
  }

  void Fatal(std::string msg) {
    if (fatal_.empty()) fatal_ = std::move(msg);
  }
  const std::string& fatal() const { return fatal_; }
  const std::vector<std::string>& unmarshal() const { return unmarshal_; }

 private:
  std::vector<std::string> unmarshal_;
  std::string fatal_;
};

// Positions of the nodes Validate points at, kept beside each decoded rule.
struct RuleNodes {
  Pos record, alert, expr;
  bool record_present = false;
};

struct Decoded {
  RuleFileSpec spec;
  std::vector<std::vector<RuleNodes>> nodes;  // per group, per rule
  std::vector<Pos> group_pos;
};

RuleSpec DecodeRule(Decoder& d, const YAML::Node& n, RuleNodes* nodes) {
  RuleSpec r;
  if (!n.IsMap()) {
    if (!n.IsNull()) d.TypeError(n, "rulefmt.RuleNode");
    return r;
  }
  d.CheckKeys(n,
              {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"},
              "rulefmt.RuleNode");
  r.line = n.Mark().line + 1;
  // record / alert / expr are yaml.Node in rulefmt: any node decodes, only scalars have a value.
  auto node_value = [](const YAML::Node& x) { return x.IsDefined() && x.IsScalar() ? x.Scalar() : ""; };
  r.record = node_value(n["record"]);
  r.alert = node_value(n["alert"]);
  r.expr = node_value(n["expr"]);
  nodes->record = PosOf(n["record"]);
  nodes->record_present = n["record"].IsDefined();
  nodes->alert = PosOf(n["alert"]);
  nodes->expr = PosOf(n["expr"]);
  r.for_ms = d.Duration(n["for"]);
  r.keep_firing_for_ms = d.Duration(n["keep_firing_for"]);
  r.labels = d.StringMap(n["labels"]);
  r.annotations = d.StringMap(n["annotations"]);
  return r;
}

void DecodeRoot(Decoder& d, const YAML::Node& root, Decoded* out) {
  if (!root.IsDefined() || root.IsNull()) return;
  if (!root.IsMap()) {
    d.TypeError(root, "rulefmt.RuleGroups");
    return;
  }
  d.CheckKeys(root, {"groups"}, "rulefmt.RuleGroups");
  const YAML::Node groups = root["groups"];
  if (!groups.IsDefined() || groups.IsNull()) return;
  if (!groups.IsSequence()) {
    d.TypeError(groups, "[]rulefmt.RuleGroup");
    return;
  }
  for (const YAML::Node& g : groups) {
    GroupSpec gs;
    std::vector<RuleNodes> rule_nodes;
    if (!g.IsMap()) {
      if (!g.IsNull()) d.TypeError(g, "rulefmt.RuleGroup");
    } else {
      d.CheckKeys(g, {"name", "interval", "limit", "rules"}, "rulefmt.RuleGroup");
      gs.line = g.Mark().line + 1;
      gs.name = d.Str(g["name"]);
      gs.interval_ms = d.Duration(g["interval"]);
      gs.limit = d.Int(g["limit"]);
      const YAML::Node rules = g["rules"];
      if (rules.IsDefined() && !rules.IsNull()) {
        if (!rules.IsSequence()) {
          d.TypeError(rules, "[]rulefmt.RuleNode");
        } else {
          for (const YAML::Node& r : rules) {
            RuleNodes rn;
            gs.rules.push_back(DecodeRule(d, r, &rn));
            rule_nodes.push_back(rn);
          }
        }
      }
    }
    out->group_pos.push_back(PosOf(g));
    out->nodes.push_back(std::move(rule_nodes));
    out->spec.groups.push_back(std::move(gs));
  }
}

// Prometheus compat: rulefmt's testTemplateParsing parses each template with the
// $labels/$value prelude; the expander's CheckTemplate does the same.
void CheckTemplates(const RuleSpec& r, std::vector<std::string>* errs) {
  const std::string name = "__alert_" + r.alert;
  for (const auto& [k, v] : r.labels) {
    if (absl::Status s = CheckTemplate(name, v); !s.ok()) {
      errs->push_back(absl::StrCat("label ", storage::GoQuote(k), ": ", s.message()));
    }
  }
  for (const auto& [k, v] : r.annotations) {
    if (absl::Status s = CheckTemplate(name, v); !s.ok()) {
      errs->push_back(absl::StrCat("annotation ", storage::GoQuote(k), ": ", s.message()));
    }
  }
}

std::string PosPrefix(Pos p) { return absl::StrCat(p.line, ":", p.col, ": "); }

void ValidateRule(const RuleSpec& r, const RuleNodes& n, const std::string& where,
                  std::vector<std::string>* out) {
  auto at = [&](Pos p, absl::string_view msg) {
    out->push_back(absl::StrCat(PosPrefix(p), where, ": ", msg));
  };
  auto plain = [&](absl::string_view msg) { out->push_back(absl::StrCat(where, ": ", msg)); };
  if (!r.record.empty() && !r.alert.empty()) {
    out->push_back(absl::StrCat(PosPrefix(n.record), PosPrefix(n.alert), where,
                                ": only one of 'record' and 'alert' must be set"));
  }
  if (r.record.empty() && r.alert.empty()) at(n.record, "one of 'record' or 'alert' must be set");
  if (r.expr.empty()) {
    at(n.expr, "field 'expr' must be set in rule");
  } else if (auto e = promql::ParseExpr(r.expr); !e.ok()) {
    at(n.expr, absl::StrCat("could not parse expression: ", e.status().message()));
  }
  if (!r.record.empty()) {
    if (!r.annotations.empty()) at(n.record, "invalid field 'annotations' in recording rule");
    if (r.for_ms != 0) at(n.record, "invalid field 'for' in recording rule");
    if (r.keep_firing_for_ms != 0) {
      at(n.record, "invalid field 'keep_firing_for' in recording rule");
    }
    if (!IsValidMetricName(r.record)) {
      at(n.record, absl::StrCat("invalid recording rule name: ", r.record));
    }
  }
  for (const auto& [k, v] : r.labels) {
    if (!storage::IsValidLabelName(k) || k == storage::kMetricNameLabel) {
      plain(absl::StrCat("invalid label name: ", k));
    }
    if (!storage::IsValidUtf8(v)) plain(absl::StrCat("invalid label value: ", v));
  }
  for (const auto& [k, v] : r.annotations) {
    if (!storage::IsValidLabelName(k)) plain(absl::StrCat("invalid annotation name: ", k));
  }
  if (!r.alert.empty()) {
    std::vector<std::string> terrs;
    CheckTemplates(r, &terrs);
    for (const std::string& e : terrs) plain(e);
  }
}

std::vector<std::string> Validate(const Decoded& d) {
  std::vector<std::string> errs;
  std::set<std::string> names;
  for (size_t j = 0; j < d.spec.groups.size(); ++j) {
    const GroupSpec& g = d.spec.groups[j];
    if (g.name.empty()) {
      errs.push_back(absl::StrCat(PosPrefix(d.group_pos[j]), "Groupname must not be empty"));
    }
    if (!names.insert(g.name).second) {
      errs.push_back(absl::StrCat(PosPrefix(d.group_pos[j]), "groupname: \"", g.name,
                                  "\" is repeated in the same file"));
    }
    for (size_t i = 0; i < g.rules.size(); ++i) {
      const RuleSpec& r = g.rules[i];
      std::string where = absl::StrCat("group ", storage::GoQuote(g.name), ", rule ", i + 1,
                                        ", ", storage::GoQuote(r.alert.empty() ? r.record : r.alert));
      ValidateRule(r, d.nodes[j][i], where, &errs);
    }
  }
  return errs;
}

}  // namespace

bool IsValidMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = absl::ascii_isalpha(c) || c == '_' || c == ':' ||
                    (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

ParsedRuleFile ParseRuleFile(absl::string_view content, absl::string_view filename) {
  ParsedRuleFile out;
  out.spec.path = std::string(filename);
  const std::string prefix = filename.empty() ? "" : absl::StrCat(filename, ": ");
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::Exception& e) {
    // Prometheus compat: both of rulefmt.Parse's decodes fail on a syntax error, so the
    // message appears twice.
    std::string msg = absl::StrCat(prefix, "yaml: line ", e.mark.line + 1, ": ", e.msg);
    out.errors = {msg, msg};
    return out;
  }
  Decoded d;
  Decoder dec;
  try {
    DecodeRoot(dec, root, &d);
  } catch (const YAML::Exception& e) {
    out.errors.push_back(absl::StrCat(prefix, "yaml: line ", e.mark.line + 1, ": ", e.msg));
    return out;
  }
  if (!dec.fatal().empty()) {
    out.errors.push_back(prefix + dec.fatal());
    return out;
  }
  if (!dec.unmarshal().empty()) {
    out.errors.push_back(absl::StrCat(prefix, "yaml: unmarshal errors:\n  ",
                                      absl::StrJoin(dec.unmarshal(), "\n  ")));
    // Prometheus compat: the second decode (into yaml.Node lists) fails too when `groups`
    // is not a list.
    if (root.IsMap() && root["groups"].IsDefined() && !root["groups"].IsNull() &&
        !root["groups"].IsSequence()) {
      const YAML::Node g = root["groups"];
      std::string value = g.IsScalar() ? absl::StrCat(" `", g.Scalar(), "`") : "";
      out.errors.push_back(absl::StrCat(prefix, "yaml: unmarshal errors:\n  line ",
                                        g.Mark().line + 1, ": cannot unmarshal ",
                                        ResolvedTag(g), value, " into []yaml.Node"));
    }
    return out;
  }
  for (std::string& e : Validate(d)) out.errors.push_back(prefix + e);
  out.spec.groups = std::move(d.spec.groups);
  return out;
}

ParsedRuleFile LoadRuleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ParsedRuleFile out;
    out.spec.path = path;
    out.errors.push_back(absl::StrCat("open ", path, ": no such file or directory"));
    return out;
  }
  std::string content;
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    content.append(buf, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(content.size()) > kMaxRuleFileBytes) {
      ParsedRuleFile out;
      out.spec.path = path;
      out.errors.push_back(
          absl::StrCat(path, ": rule file larger than ", kMaxRuleFileBytes, " bytes"));
      return out;
    }
  }
  return ParseRuleFile(content, path);
}

}  // namespace tally::rules
