#include "server/scrape/target.h"

#include <map>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/util/duration.h"
#include "storage/util/utf8.h"

namespace tally::server::scrape {
namespace {

constexpr absl::string_view kAddressLabel = "__address__";
constexpr absl::string_view kSchemeLabel = "__scheme__";
constexpr absl::string_view kMetricsPathLabel = "__metrics_path__";
constexpr absl::string_view kIntervalLabel = "__scrape_interval__";
constexpr absl::string_view kTimeoutLabel = "__scrape_timeout__";
constexpr absl::string_view kParamPrefix = "__param_";
constexpr absl::string_view kMetaPrefix = "__meta_";

// Go's net.SplitHostPort: true when `s` is host:port (IPv6 hosts in brackets).
bool SplitHostPort(absl::string_view s) {
  const size_t i = s.rfind(':');
  if (i == absl::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (!s.empty() && s[0] == '[') {
    const size_t end = s.find(']');
    if (end == absl::string_view::npos) return false;
    if (end + 1 != i) return false;  // "]" not followed by the last ':'
    j = 1;
    k = end + 1;
  } else if (s.substr(0, i).find(':') != absl::string_view::npos) {
    return false;  // too many colons
  }
  if (s.substr(j).find('[') != absl::string_view::npos) return false;
  if (s.substr(k).find(']') != absl::string_view::npos) return false;
  return true;
}

bool Unreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

// Go's url.PathEscape rules as URL.String applies them to Path.
void AppendEscapedPath(absl::string_view p, std::string* out) {
  for (unsigned char c : p) {
    if (Unreserved(c) || absl::string_view("$&+,/:;=@").find(c) != absl::string_view::npos) {
      out->push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(out, "%%%02X", c);
    }
  }
}

// Go's url.QueryEscape.
void AppendQueryEscaped(absl::string_view s, std::string* out) {
  for (unsigned char c : s) {
    if (Unreserved(c)) {
      out->push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out->push_back('+');
    } else {
      absl::StrAppendFormat(out, "%%%02X", c);
    }
  }
}

// Target.URL() in 2.42: the job's params, each __param_<k> label replacing the first value of
// k (or adding k); url.Values.Encode sorts by key.
std::string ScrapeUrl(const storage::Labels& lset,
                      const std::map<std::string, std::vector<std::string>>& cfg_params) {
  std::map<std::string, std::vector<std::string>> params = cfg_params;
  for (const auto& l : lset) {
    if (!absl::StartsWith(l.name, kParamPrefix)) continue;
    std::vector<std::string>& v = params[std::string(l.name.substr(kParamPrefix.size()))];
    if (v.empty()) {
      v.emplace_back(l.value);
    } else {
      v[0] = std::string(l.value);
    }
  }
  std::string url = absl::StrCat(lset.Get(kSchemeLabel), "://", lset.Get(kAddressLabel));
  const absl::string_view path = lset.Get(kMetricsPathLabel);
  if (!path.empty() && path[0] != '/') url.push_back('/');
  AppendEscapedPath(path, &url);
  bool first = true;
  for (const auto& [k, vs] : params) {
    for (const std::string& v : vs) {
      url.push_back(first ? '?' : '&');
      first = false;
      AppendQueryEscaped(k, &url);
      url.push_back('=');
      AppendQueryEscaped(v, &url);
    }
  }
  return url;
}

// One target: Prometheus's PopulateLabels. Returns an error message, or "" with *out set
// (labels empty when relabeling dropped it).
std::string PopulateOne(const config::ScrapeConfig& cfg, const Relabeler& relabel,
                        const storage::Labels& discovered, Target* out, bool* dropped) {
  *dropped = false;
  storage::LabelsBuilder lb(discovered);
  if (!relabel.Apply(lb)) {
    *dropped = true;
    return "";
  }
  const storage::Labels lset = lb.Build();
  std::string addr(lset.Get(kAddressLabel));
  if (addr.empty()) return "no address";
  // A missing port is added by scheme unless the address is not valid even with one.
  if (!SplitHostPort(addr) && SplitHostPort(absl::StrCat(addr, ":1234"))) {
    const absl::string_view scheme = lset.Get(kSchemeLabel);
    if (scheme == "http" || scheme.empty()) {
      absl::StrAppend(&addr, ":80");
    } else if (scheme == "https") {
      absl::StrAppend(&addr, ":443");
    } else {
      return absl::StrCat("invalid scheme: ", storage::GoQuote(cfg.scheme));
    }
    lb.Set(kAddressLabel, addr);
  }
  if (absl::StrContains(addr, "/")) {
    return absl::StrCat(storage::GoQuote(addr), " is not a valid hostname");
  }
  const absl::string_view interval = lset.Get(kIntervalLabel);
  absl::StatusOr<int64_t> interval_ms = storage::ParseDurationMs(interval);
  if (!interval_ms.ok()) {
    return absl::StrCat("error parsing scrape interval: ", interval_ms.status().message());
  }
  if (*interval_ms == 0) return "scrape interval cannot be 0";
  const absl::string_view timeout = lset.Get(kTimeoutLabel);
  absl::StatusOr<int64_t> timeout_ms = storage::ParseDurationMs(timeout);
  if (!timeout_ms.ok()) {
    return absl::StrCat("error parsing scrape timeout: ", timeout_ms.status().message());
  }
  if (*timeout_ms == 0) return "scrape timeout cannot be 0";
  if (*timeout_ms > *interval_ms) {
    return absl::StrCat("scrape timeout cannot be greater than scrape interval (",
                        storage::GoQuote(timeout), " > ", storage::GoQuote(interval), ")");
  }
  for (const auto& l : lset) {
    if (absl::StartsWith(l.name, kMetaPrefix)) lb.Del(l.name);
  }
  if (lset.Get("instance").empty()) lb.Set("instance", addr);
  const storage::Labels full = lb.Build();  // still with __address__, __param_*, ...
  std::vector<storage::LabelView> visible;
  visible.reserve(full.size());
  for (const auto& l : full) {
    if (!storage::IsValidUtf8(l.value)) {
      return absl::StrCat("invalid label value for ", storage::GoQuote(l.name), ": ",
                          storage::GoQuote(l.value));
    }
    if (!absl::StartsWith(l.name, "__")) visible.push_back(l);
  }
  out->labels = storage::Labels::FromSorted(visible);
  out->discovered_labels = discovered;
  out->scrape_url = ScrapeUrl(full, cfg.params);
  out->interval_ms = *interval_ms;
  out->timeout_ms = *timeout_ms;
  return "";
}

}  // namespace

uint64_t Target::Hash() const {
  return absl::HashOf(labels.StableHash(), scrape_url, interval_ms, timeout_ms);
}

std::vector<TargetGroup> StaticTargetGroups(const config::ScrapeConfig& cfg) {
  std::vector<TargetGroup> out;
  for (size_t i = 0; i < cfg.static_configs.size(); ++i) {
    TargetGroup g;
    for (const std::string& t : cfg.static_configs[i].targets) {
      g.targets.push_back(storage::Labels{{kAddressLabel, t}});
    }
    g.labels = cfg.static_configs[i].labels;
    g.source = absl::StrCat(i);
    out.push_back(std::move(g));
  }
  return out;
}

PopulatedTargets PopulateTargets(const config::ScrapeConfig& cfg, const Relabeler& relabel,
                                 const std::vector<TargetGroup>& groups) {
  PopulatedTargets res;
  const std::string interval = storage::FormatDurationMs(cfg.scrape_interval_ms);
  const std::string timeout = storage::FormatDurationMs(cfg.scrape_timeout_ms);
  for (const TargetGroup& g : groups) {
    for (size_t i = 0; i < g.targets.size(); ++i) {
      // Group labels, then target labels (which win), then defaults where absent.
      storage::LabelsBuilder lb(g.labels);
      for (const auto& l : g.targets[i]) lb.Set(l.name, l.value);
      const std::pair<absl::string_view, absl::string_view> defaults[] = {
          {"job", cfg.job_name},
          {kIntervalLabel, interval},
          {kTimeoutLabel, timeout},
          {kMetricsPathLabel, cfg.metrics_path},
          {kSchemeLabel, cfg.scheme}};
      for (const auto& [name, value] : defaults) {
        if (lb.Get(name).empty()) lb.Set(name, value);
      }
      for (const auto& [k, v] : cfg.params) {
        if (!v.empty()) lb.Set(absl::StrCat(kParamPrefix, k), v[0]);
      }
      const storage::Labels discovered = lb.Build();
      Target t;
      bool dropped = false;
      std::string err = PopulateOne(cfg, relabel, discovered, &t, &dropped);
      if (!err.empty()) {
        res.errors.push_back(absl::StrCat("instance ", i, " in group ", g.source, ": ", err));
      } else if (dropped) {
        res.dropped.push_back(discovered);
      } else {
        res.active.push_back(std::move(t));
      }
    }
  }
  return res;
}

}  // namespace tally::server::scrape
