// JSON via nlohmann::json and YAML via yaml-cpp: both throw, so this adapter is where their
// exceptions stop.
#include "server/scrape/file_sd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tally::server::scrape {
namespace {

constexpr absl::string_view kFilepathLabel = "__meta_filepath";

struct RawGroup {
  std::vector<std::string> targets;
  std::vector<storage::Label> labels;
};

absl::Status CheckLabels(const std::vector<storage::Label>& labels) {
  for (const storage::Label& l : labels) {
    if (!storage::IsValidLabelName(l.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(storage::GoQuote(l.name), " is not a valid label name"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RawGroup>> ParseJson(absl::string_view content) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(content.begin(), content.end());
  } catch (const nlohmann::json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ...": drop the tag.
    absl::string_view what = e.what();
    if (const size_t p = what.find("] "); p != absl::string_view::npos) what.remove_prefix(p + 2);
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", what));
  }
  std::vector<RawGroup> out;
  if (doc.is_null()) return out;
  if (!doc.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "json: cannot unmarshal ", doc.type_name(), " into Go value of type []*targetgroup.Group"));
  }
  for (const nlohmann::json& g : doc) {
    if (g.is_null()) return absl::InvalidArgumentError("nil target group item found");
    if (!g.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("json: cannot unmarshal ", g.type_name(),
                                                     " into Go value of type struct"));
    }
    RawGroup rg;
    if (auto t = g.find("targets"); t != g.end() && !t->is_null()) {
      if (!t->is_array()) {
        return absl::InvalidArgumentError("json: cannot unmarshal targets into []string");
      }
      for (const nlohmann::json& s : *t) {
        if (!s.is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "json: cannot unmarshal ", s.type_name(), " into Go value of type string"));
        }
        rg.targets.push_back(s.get<std::string>());
      }
    }
    if (auto l = g.find("labels"); l != g.end() && !l->is_null()) {
      if (!l->is_object()) {
        return absl::InvalidArgumentError("json: cannot unmarshal labels into model.LabelSet");
      }
      for (auto it = l->begin(); it != l->end(); ++it) {
        if (!it.value().is_string()) {
          return absl::InvalidArgumentError(absl::StrCat("json: cannot unmarshal ",
                                                         it.value().type_name(),
                                                         " into Go value of type model.LabelValue"));
        }
        rg.labels.push_back({it.key(), it.value().get<std::string>()});
      }
      if (absl::Status st = CheckLabels(rg.labels); !st.ok()) return st;
    }
    out.push_back(std::move(rg));
  }
  return out;
}

absl::StatusOr<std::vector<RawGroup>> ParseYaml(absl::string_view content) {
  std::vector<RawGroup> out;
  try {
    const YAML::Node doc = YAML::Load(std::string(content));
    if (!doc.IsDefined() || doc.IsNull()) return out;
    auto type_error = [](const YAML::Node& n, const char* go_type) {
      const char* tag = n.IsSequence() ? "!!seq" : n.IsMap() ? "!!map" : "!!str";
      return absl::InvalidArgumentError(absl::StrCat("yaml: unmarshal errors:\n  line ",
                                                     n.Mark().line + 1, ": cannot unmarshal ",
                                                     tag, " into ", go_type));
    };
    if (!doc.IsSequence()) return type_error(doc, "[]*targetgroup.Group");
    for (const YAML::Node& g : doc) {
      if (g.IsNull()) return absl::InvalidArgumentError("nil target group item found");
      if (!g.IsMap()) return type_error(g, "struct { Targets []string; Labels model.LabelSet }");
      RawGroup rg;
      for (auto it = g.begin(); it != g.end(); ++it) {
        const std::string key = it->first.as<std::string>();
        const YAML::Node v = it->second;
        if (key == "targets") {
          if (v.IsNull()) continue;
          if (!v.IsSequence()) return type_error(v, "[]string");
          for (const YAML::Node& s : v) {
            if (!s.IsScalar()) return type_error(s, "string");
            rg.targets.push_back(s.Scalar());
          }
        } else if (key == "labels") {
          if (v.IsNull()) continue;
          if (!v.IsMap()) return type_error(v, "model.LabelSet");
          for (auto l = v.begin(); l != v.end(); ++l) {
            if (!l->second.IsScalar()) return type_error(l->second, "model.LabelValue");
            rg.labels.push_back({l->first.as<std::string>(), l->second.Scalar()});
          }
          if (absl::Status st = CheckLabels(rg.labels); !st.ok()) return st;
        } else {
          // Prometheus compat: yaml.UnmarshalStrict rejects unknown keys.
          return absl::InvalidArgumentError(absl::StrCat(
              "yaml: unmarshal errors:\n  line ", it->first.Mark().line + 1, ": field ", key,
              " not found in type struct { Targets []string \"yaml:\\\"targets\\\"\"; Labels "
              "model.LabelSet \"yaml:\\\"labels\\\"\" }"));
        }
      }
      out.push_back(std::move(rg));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: line ", e.mark.line + 1, ": ", e.msg));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<TargetGroup>> ParseFileSD(const std::string& path,
                                                     absl::string_view content) {
  const std::string lower = absl::AsciiStrToLower(path);
  absl::StatusOr<std::vector<RawGroup>> raw;
  if (absl::EndsWith(lower, ".json")) {
    raw = ParseJson(content);
  } else if (absl::EndsWith(lower, ".yml") || absl::EndsWith(lower, ".yaml")) {
    raw = ParseYaml(content);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("retrieval.FileDiscovery.readFile: unhandled file extension ",
                     storage::GoQuote(path)));
  }
  if (!raw.ok()) return raw.status();
  std::vector<TargetGroup> out;
  out.reserve(raw->size());
  for (size_t i = 0; i < raw->size(); ++i) {
    RawGroup& rg = (*raw)[i];
    TargetGroup g;
    for (const std::string& t : rg.targets) g.targets.push_back(storage::Labels{{"__address__", t}});
    rg.labels.push_back({std::string(kFilepathLabel), path});
    g.labels = storage::Labels::FromUnsorted(std::move(rg.labels));
    g.source = absl::StrCat(path, ":", i);
    out.push_back(std::move(g));
  }
  return out;
}

absl::StatusOr<std::vector<TargetGroup>> ReadFileSD(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  auto io_error = [&](const char* op, int err) {
    std::string what = std::strerror(err);
    if (!what.empty()) what[0] = absl::ascii_tolower(what[0]);
    std::string msg = absl::StrCat(op, " ", path, ": ", what);
    return err == ENOENT ? absl::NotFoundError(msg) : absl::UnavailableError(msg);
  };
  if (fd < 0) return io_error("open", errno);
  std::string data;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return io_error("read", err);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxFileSDBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("read ", path, ": file larger than ", kMaxFileSDBytes, " bytes"));
    }
  }
  ::close(fd);
  return ParseFileSD(path, data);
}

}  // namespace tally::server::scrape
