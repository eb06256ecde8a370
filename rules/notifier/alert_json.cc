#include "rules/notifier/alert_json.h"

#include <nlohmann/json.hpp>

namespace tally::rules {

std::string FormatRfc3339Millis(absl::Time t) {
  // %E3S truncates (never rounds) the fraction, like Go's ".000" layout.
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string EncodeAlertsV2(const std::vector<NotifierAlert>& alerts) {
  nlohmann::json arr = nlohmann::json::array();
  for (const NotifierAlert& a : alerts) {
    nlohmann::json o = nlohmann::json::object();
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& l : a.labels) labels[std::string(l.name)] = std::string(l.value);
    o["labels"] = std::move(labels);
    if (!a.annotations.empty()) {
      nlohmann::json ann = nlohmann::json::object();
      for (const auto& l : a.annotations) ann[std::string(l.name)] = std::string(l.value);
      o["annotations"] = std::move(ann);
    }
    if (a.starts_at != absl::InfinitePast()) o["startsAt"] = FormatRfc3339Millis(a.starts_at);
    if (a.ends_at != absl::InfinitePast()) o["endsAt"] = FormatRfc3339Millis(a.ends_at);
    if (!a.generator_url.empty()) o["generatorURL"] = a.generator_url;
    arr.push_back(std::move(o));
  }
  // error_handler_t::replace: never throws on invalid UTF-8 (Go substitutes U+FFFD too).
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tally::rules
