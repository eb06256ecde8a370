// Labels: an immutable, sorted-by-name set of (name, value) pairs identifying a series; the
// vocabulary every module speaks. LabelsBuilder edits one. Both are value types; a Labels
// is safe to share across threads once built. Views returned by Get() live as long as the
// Labels they came from.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tally::storage {

inline constexpr absl::string_view kMetricNameLabel = "__name__";

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};

class Labels {
 public:
  Labels() = default;
  // Sorts by name. REQUIRES: names are unique (a later duplicate is dropped).
  Labels(std::initializer_list<std::pair<absl::string_view, absl::string_view>> pairs);
  static Labels FromUnsorted(std::vector<Label> labels);
  // REQUIRES: `labels` sorted by name with unique names.
  static Labels FromSorted(std::vector<Label> labels);

  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  const Label& operator[](size_t i) const { return labels_[i]; }
  std::vector<Label>::const_iterator begin() const { return labels_.begin(); }
  std::vector<Label>::const_iterator end() const { return labels_.end(); }

  // Value of `name`, or "" when absent (Prometheus treats absent and empty alike).
  absl::string_view Get(absl::string_view name) const;
  bool Has(absl::string_view name) const;
  absl::string_view MetricName() const { return Get(kMetricNameLabel); }

  // Stable 64-bit hash of names and values (same across runs and machines).
  uint64_t StableHash() const;
  // Prometheus's Labels.String(): {__name__="up", job="x"}, values Go-quoted.
  std::string ToString() const;
  // Approximate heap + inline bytes, for memory accounting.
  size_t ByteSize() const;

  // Prometheus compat: labels.Compare ordering (pairwise by name, then value; shorter
  // first when one is a prefix of the other). This is the sort order of every SeriesSet.
  friend int Compare(const Labels& a, const Labels& b);
  friend bool operator==(const Labels& a, const Labels& b) { return a.labels_ == b.labels_; }
  friend bool operator<(const Labels& a, const Labels& b) { return Compare(a, b) < 0; }

  template <typename H>
  friend H AbslHashValue(H h, const Labels& l) {
    for (const Label& x : l.labels_) h = H::combine(std::move(h), x.name, x.value);
    return H::combine(std::move(h), l.labels_.size());
  }

 private:
  std::vector<Label> labels_;
};

// Edits a label set: Set/Del then Build. Setting an empty value deletes the label
// (Prometheus semantics: an empty label value is the same as no label).
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base);
  LabelsBuilder& Set(absl::string_view name, absl::string_view value);
  LabelsBuilder& Del(absl::string_view name);
  // Keeps only the given names (or drops them when `keep` is false).
  LabelsBuilder& Keep(const std::vector<std::string>& names, bool keep = true);
  absl::string_view Get(absl::string_view name) const;
  // The current labels, sorted by name; valid until the next Set/Del/Keep.
  const std::vector<Label>& labels() const { return labels_; }
  Labels Build() const;

 private:
  std::vector<Label> labels_;  // sorted by name
};

// Go's strconv.Quote for label values and error messages: "..." with Go escapes; bytes
// that are not valid UTF-8 print as \xNN and common non-printable runes (C1 controls,
// Unicode spaces, format characters) as \uNNNN.
std::string GoQuote(absl::string_view s);

// Prometheus's label name rule: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(absl::string_view name);

}  // namespace tally::storage
