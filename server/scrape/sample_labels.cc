#include "server/scrape/sample_labels.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tally::server::scrape {

namespace {

constexpr absl::string_view kExportedPrefix = "exported_";

// Go's %.50s: at most 50 runes... of a string; Prometheus's messages cut bytes of ASCII
// names in practice, so cut at 50 bytes without splitting a UTF-8 sequence.
absl::string_view Cut50(absl::string_view s) {
  if (s.size() <= 50) return s;
  size_t n = 0, runes = 0;
  while (n < s.size() && runes < 50) {
    ++n;
    while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) ++n;
    ++runes;
  }
  return s.substr(0, n);
}

}  // namespace

storage::Labels MutateSampleLabels(const storage::Labels& exposed,
                                   const storage::Labels& target_labels, bool honor_labels,
                                   const MetricRelabelFn& relabel) {
  storage::LabelsBuilder lb(exposed);
  if (honor_labels) {
    for (const auto& l : target_labels) {
      if (!exposed.Has(l.name)) lb.Set(l.name, l.value);
    }
  } else {
    std::vector<storage::Label> conflicting;
    for (const auto& l : target_labels) {
      absl::string_view existing = exposed.Get(l.name);
      if (!existing.empty()) conflicting.push_back({std::string(l.name), std::string(existing)});
      lb.Set(l.name, l.value);
    }
    if (!conflicting.empty()) {
      // Prometheus compat: resolveConflictingExposedLabels.
      std::stable_sort(conflicting.begin(), conflicting.end(),
                       [](const storage::Label& a, const storage::Label& b) {
                         return a.name.size() < b.name.size();
                       });
      for (size_t i = 0; i < conflicting.size(); ++i) {
        std::string name = conflicting[i].name;
        while (true) {
          name = absl::StrCat(kExportedPrefix, name);
          bool taken = exposed.Has(name) || target_labels.Has(name);
          for (size_t j = 0; j < i && !taken; ++j) taken = conflicting[j].name == name;
          if (!taken) break;
        }
        conflicting[i].name = std::move(name);
      }
      for (const auto& l : conflicting) lb.Set(l.name, l.value);
    }
  }
  if (relabel && !relabel(lb)) return {};
  return lb.Build();
}

storage::Labels ReportLabels(absl::string_view name, const storage::Labels& target_labels) {
  storage::LabelsBuilder lb;
  lb.Set(storage::kMetricNameLabel, name);
  for (const auto& l : target_labels) lb.Set(l.name, l.value);
  return lb.Build();
}

absl::Status VerifyLabelLimits(const storage::Labels& lset, const LabelLimits& limits) {
  const absl::string_view met = Cut50(lset.MetricName());
  if (limits.label_limit > 0 && lset.size() > limits.label_limit) {
    return absl::InvalidArgumentError(
        absl::StrFormat("label_limit exceeded (metric: %s, number of labels: %d, limit: %d)",
                        met, lset.size(), limits.label_limit));
  }
  for (const auto& l : lset) {
    if (limits.label_name_length_limit > 0 && l.name.size() > limits.label_name_length_limit) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "label_name_length_limit exceeded (metric: %s, label name: %s, length: %d, limit: %d)",
          met, Cut50(l.name), l.name.size(), limits.label_name_length_limit));
    }
    if (limits.label_value_length_limit > 0 &&
        l.value.size() > limits.label_value_length_limit) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "label_value_length_limit exceeded (metric: %s, label name: %s, value: %s, length: "
          "%d, limit: %d)",
          met, Cut50(l.name), storage::GoQuote(Cut50(l.value)), l.value.size(),
          limits.label_value_length_limit));
    }
  }
  return absl::OkStatus();
}

}  // namespace tally::server::scrape
