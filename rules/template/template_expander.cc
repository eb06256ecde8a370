#include "rules/template/template_expander.h"

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rules/template/executor.h"
#include "rules/template/parser.h"

namespace tally::rules {
namespace {

// Prometheus compat: rules/alerting.go prepends these definitions to every label and
// annotation template, so error columns on line 1 count them too (112 bytes).
constexpr absl::string_view kPrelude =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

// Templates longer than this are rejected before parsing (Prometheus has no limit).
constexpr size_t kMaxTemplateBytes = 1 << 20;

struct Parsed {
  std::string full;  // prelude + text: node positions index into it
  tmpl::NodePtr root;
};

// The same few templates are expanded for every alert at every evaluation; parsing is
// most of the cost (bench/rules/template), so trees are kept, keyed by template text
// (the tree does not depend on the name). Bounded by entry count and bytes; when full it
// starts over, which is cheap and keeps the hot set after one round. Failed parses are
// not cached. Thread-safe.
class ParseCache {
 public:
  std::shared_ptr<const Parsed> Find(absl::string_view text) {
    absl::MutexLock lock(&mu_);
    auto it = map_.find(text);
    return it == map_.end() ? nullptr : it->second;
  }
  void Insert(absl::string_view text, std::shared_ptr<const Parsed> parsed) {
    if (text.size() > kMaxCachedTemplateBytes) return;
    absl::MutexLock lock(&mu_);
    if (map_.size() >= kMaxEntries || bytes_ + text.size() > kMaxBytes) {
      map_.clear();
      bytes_ = 0;
    }
    if (map_.emplace(std::string(text), std::move(parsed)).second) bytes_ += text.size();
  }

 private:
  static constexpr size_t kMaxEntries = 4096;
  static constexpr size_t kMaxBytes = 8 << 20;
  static constexpr size_t kMaxCachedTemplateBytes = 64 << 10;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Parsed>> map_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

ParseCache& Cache() {
  static ParseCache* cache = new ParseCache;
  return *cache;
}

absl::Status CheckSize(absl::string_view name, absl::string_view text) {
  if (text.size() > kMaxTemplateBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("template: ", name, ": template exceeds ", kMaxTemplateBytes, " bytes"));
  }
  return absl::OkStatus();
}

// The parsed tree of `text` (with the prelude); errors read "template: NAME:LINE: ...".
absl::StatusOr<std::shared_ptr<const Parsed>> ParseCached(absl::string_view name,
                                                          absl::string_view text) {
  if (std::shared_ptr<const Parsed> hit = Cache().Find(text)) return hit;
  if (absl::Status s = CheckSize(name, text); !s.ok()) return s;
  auto parsed = std::make_shared<Parsed>();
  parsed->full = absl::StrCat(kPrelude, text);
  absl::StatusOr<tmpl::NodePtr> root = tmpl::Parse(name, parsed->full);
  if (!root.ok()) return root.status();
  parsed->root = *std::move(root);
  Cache().Insert(text, parsed);
  return parsed;
}

}  // namespace

absl::Status CheckTemplate(absl::string_view name, absl::string_view text) {
  return ParseCached(name, text).status();
}

absl::StatusOr<std::string> ExpandTemplate(absl::string_view name, absl::string_view text,
                                           const TemplateData& data) {
  absl::StatusOr<std::shared_ptr<const Parsed>> parsed = ParseCached(name, text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing template ", name, ": ", parsed.status().message()));
  }
  std::string out;
  absl::Status s = tmpl::Execute(name, (*parsed)->full, *(*parsed)->root, data, &out);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error executing template ", name, ": ", s.message()));
  }
  return out;
}

}  // namespace tally::rules
