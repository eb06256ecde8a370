// Labels: an immutable, sorted-by-name set of (name, value) pairs identifying a series; the
// vocabulary every module speaks. LabelsBuilder edits one. Both are value types; a Labels
// is safe to share across threads once built. A Labels keeps all its pairs in one buffer
// (copying one costs at most one allocation); the views it hands out (LabelView from
// iteration and operator[], Get()) live as long as the Labels they came from.
#pragma once

#include <cstdint>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tally::storage {

inline constexpr absl::string_view kMetricNameLabel = "__name__";

// An owning (name, value) pair: the input of FromSorted/FromUnsorted and LabelsBuilder.
struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};

// One pair of a Labels, viewing its buffer: valid while that Labels lives unmodified.
struct LabelView {
  absl::string_view name;
  absl::string_view value;
  friend bool operator==(const LabelView&, const LabelView&) = default;
};

class Labels {
 public:
  // Forward iterator over the pairs in name order; dereferences to a LabelView by value.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = LabelView;
    using difference_type = std::ptrdiff_t;
    using reference = LabelView;
    using pointer = const LabelView*;

    const_iterator() = default;
    LabelView operator*() const { return cur_; }
    const LabelView* operator->() const { return &cur_; }
    const_iterator& operator++() {
      p_ = next_;
      Decode();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.p_ == b.p_;
    }

   private:
    friend class Labels;
    const_iterator(const char* p, const char* end) : p_(p), end_(end) { Decode(); }
    void Decode();

    const char* p_ = nullptr;     // start of the current pair's encoding
    const char* end_ = nullptr;   // end of the buffer
    const char* next_ = nullptr;  // start of the next pair
    LabelView cur_;
  };
  using iterator = const_iterator;

  Labels() = default;
  Labels(const Labels&) = default;
  Labels& operator=(const Labels&) = default;
  // A moved-from Labels is empty (size() agrees with the buffer).
  Labels(Labels&& o) noexcept : data_(std::move(o.data_)), size_(std::exchange(o.size_, 0)) {
    o.data_.clear();
  }
  Labels& operator=(Labels&& o) noexcept {
    data_ = std::move(o.data_);
    size_ = std::exchange(o.size_, 0);
    o.data_.clear();
    return *this;
  }
  // Sorts by name. REQUIRES: names are unique (a later duplicate is dropped).
  Labels(std::initializer_list<std::pair<absl::string_view, absl::string_view>> pairs);
  static Labels FromUnsorted(std::vector<Label> labels);
  // REQUIRES: `labels` sorted by name with unique names.
  static Labels FromSorted(const std::vector<Label>& labels);
  static Labels FromSorted(absl::Span<const LabelView> labels);

  // The buffer itself: varint(len) name varint(len) value per pair, in name order. These
  // are exactly the bytes of kv::EncodeLabels (the series column family and the head's
  // MemSeries::labels_enc), so storage converts in both directions with one copy.
  absl::string_view Encoded() const { return data_; }
  // Adopts Encoded()-form bytes. False (leaving *out unchanged) when `enc` is truncated or
  // a length overruns it. Non-minimal varints are re-encoded so that == stays bytewise.
  // REQUIRES: names sorted and unique (not checked, as FromSorted).
  static bool FromEncoded(absl::string_view enc, Labels* out);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The i-th pair in name order. O(i): pairs are variable-length; iterate instead.
  LabelView operator[](size_t i) const;
  const_iterator begin() const { return const_iterator(data_.data(), data_.data() + data_.size()); }
  const_iterator end() const {
    return const_iterator(data_.data() + data_.size(), data_.data() + data_.size());
  }

  // The pairs as owning strings (for APIs that take a Span<const Label>).
  std::vector<Label> ToVector() const;

  // Value of `name`, or "" when absent (Prometheus treats absent and empty alike).
  absl::string_view Get(absl::string_view name) const;
  bool Has(absl::string_view name) const;
  absl::string_view MetricName() const { return Get(kMetricNameLabel); }

  // One pass, one allocation (none when the result fits the string's inline buffer): the
  // pairs whose name satisfies `keep`, with `set` merged in. `set` must be sorted by name
  // with unique names; an entry replaces the pair of the same name, and an empty value
  // removes it (Prometheus semantics: an empty label value is no label). This is how the
  // query engine derives label sets (drop __name__, by/without, match signatures,
  // label_replace) without a LabelsBuilder round trip.
  Labels Rebuild(absl::FunctionRef<bool(absl::string_view name)> keep,
                 absl::Span<const LabelView> set = {}) const;
  // A copy without `name` (the same labels when absent).
  Labels Without(absl::string_view name) const;

  // Stable 64-bit hash of names and values (same across runs and machines).
  uint64_t StableHash() const;
  // Prometheus's Labels.String(): {__name__="up", job="x"}, values Go-quoted.
  std::string ToString() const;
  // Approximate heap + inline bytes, for memory accounting.
  size_t ByteSize() const;

  // Prometheus compat: labels.Compare ordering (pairwise by name, then value; shorter
  // first when one is a prefix of the other). This is the sort order of every SeriesSet.
  friend int Compare(const Labels& a, const Labels& b);
  // The encoding is canonical (sorted, unique names), so equal sets have equal buffers.
  friend bool operator==(const Labels& a, const Labels& b) { return a.data_ == b.data_; }
  friend bool operator<(const Labels& a, const Labels& b) { return Compare(a, b) < 0; }

  template <typename H>
  friend H AbslHashValue(H h, const Labels& l) {
    return H::combine(std::move(h), l.data_);
  }

 private:
  // Appends one pair's encoding to `out`.
  static void Append(std::string* out, absl::string_view name, absl::string_view value);

  // Every pair as varint(len(name)) name varint(len(value)) value, sorted by name: one
  // heap block per set (or none when it fits std::string's inline buffer).
  std::string data_;
  uint32_t size_ = 0;  // number of pairs
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
