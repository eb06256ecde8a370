// GoSort: a re-implementation of Go 1.19's sort.Sort (pattern-defeating quicksort with
// insertion sort for short ranges, heapsort fallback, deterministic pattern breaking), so
// that unstable orderings of equal elements come out exactly as in Prometheus 2.42
// (built with Go 1.19), e.g. sort()/sort_desc() and topk/bottomk output with ties.
// Header-only; `less(a, b)` compares two elements of `v` (any strict or non-strict order
// Go would accept). Written from the algorithm's description, not from Go's source.
#pragma once

#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

namespace tally::promql {

template <typename T, typename Less>
class GoSorter {
 public:
  GoSorter(std::vector<T>* v, Less less) : v_(*v), less_(less) {}

  void Sort() {
    const int n = static_cast<int>(v_.size());
    if (n <= 1) return;
    Pdq(0, n, std::bit_width(static_cast<unsigned>(n)));
  }

 private:
  enum class Hint { kUnknown, kIncreasing, kDecreasing };
  bool L(int i, int j) { return less_(v_[i], v_[j]); }
  void Swap(int i, int j) { std::swap(v_[i], v_[j]); }

  void InsertionSort(int a, int b) {
    for (int i = a + 1; i < b; ++i) {
      for (int j = i; j > a && L(j, j - 1); --j) Swap(j, j - 1);
    }
  }
  void SiftDown(int lo, int hi, int first) {
    int root = lo;
    while (true) {
      int child = 2 * root + 1;
      if (child >= hi) return;
      if (child + 1 < hi && L(first + child, first + child + 1)) ++child;
      if (!L(first + root, first + child)) return;
      Swap(first + root, first + child);
      root = child;
    }
  }
  void HeapSort(int a, int b) {
    int first = a, lo = 0, hi = b - a;
    for (int i = (hi - 1) / 2; i >= 0; --i) SiftDown(i, hi, first);
    for (int i = hi - 1; i >= 0; --i) {
      Swap(first, first + i);
      SiftDown(lo, i, first);
    }
  }
  std::pair<int, int> Order2(int a, int b, int* swaps) {
    if (L(b, a)) {
      ++*swaps;
      return {b, a};
    }
    return {a, b};
  }
  int Median(int a, int b, int c, int* swaps) {
    std::tie(a, b) = Order2(a, b, swaps);
    std::tie(b, c) = Order2(b, c, swaps);
    std::tie(a, b) = Order2(a, b, swaps);
    return b;
  }
  int MedianAdjacent(int a, int* swaps) { return Median(a - 1, a, a + 1, swaps); }
  std::pair<int, Hint> ChoosePivot(int a, int b) {
    constexpr int kShortestNinther = 50, kMaxSwaps = 4 * 3;
    int l = b - a, swaps = 0;
    int i = a + l / 4 * 1, j = a + l / 4 * 2, k = a + l / 4 * 3;
    if (l >= 8) {
      if (l >= kShortestNinther) {
        i = MedianAdjacent(i, &swaps);
        j = MedianAdjacent(j, &swaps);
        k = MedianAdjacent(k, &swaps);
      }
      j = Median(i, j, k, &swaps);
    }
    if (swaps == 0) return {j, Hint::kIncreasing};
    if (swaps == kMaxSwaps) return {j, Hint::kDecreasing};
    return {j, Hint::kUnknown};
  }
  void ReverseRange(int a, int b) {
    for (int i = a, j = b - 1; i < j; ++i, --j) Swap(i, j);
  }
  bool PartialInsertionSort(int a, int b) {
    constexpr int kMaxSteps = 5, kShortestShifting = 50;
    int i = a + 1;
    for (int step = 0; step < kMaxSteps; ++step) {
      while (i < b && !L(i, i - 1)) ++i;
      if (i == b) return true;
      if (b - a < kShortestShifting) return false;
      Swap(i, i - 1);
      if (i - a >= 2) {
        for (int j = i - 1; j >= 1; --j) {
          if (!L(j, j - 1)) break;
          Swap(j, j - 1);
        }
      }
      if (b - i >= 2) {
        for (int j = i + 1; j < b; ++j) {
          if (!L(j, j - 1)) break;
          Swap(j, j - 1);
        }
      }
    }
    return false;
  }
  void BreakPatterns(int a, int b) {
    int length = b - a;
    if (length < 8) return;
    uint64_t r = static_cast<uint64_t>(length);
    unsigned modulus = 1u << std::bit_width(static_cast<unsigned>(length));
    int idx = a + (length / 4) * 2 - 1;
    for (int i = 0; i < 3; ++i) {
      // Go 1.19's xorshift seeded with the length uses the shift triple (13, 17, 5) on a
      // uint64 (later Go releases switched to (13, 7, 17), which changes tie orders).
      r ^= r << 13;
      r ^= r >> 17;
      r ^= r << 5;
      int other = static_cast<int>(static_cast<unsigned>(r) & (modulus - 1));
      if (other >= length) other -= length;
      Swap(idx + i, a + other);  // the three slots around the middle: idx, idx+1, idx+2
    }
  }
  std::pair<int, bool> Partition(int a, int b, int pivot) {
    Swap(a, pivot);
    int i = a + 1, j = b - 1;
    while (i <= j && L(i, a)) ++i;
    while (i <= j && !L(j, a)) --j;
    if (i > j) {
      Swap(j, a);
      return {j, true};
    }
    Swap(i, j);
    ++i;
    --j;
    while (true) {
      while (i <= j && L(i, a)) ++i;
      while (i <= j && !L(j, a)) --j;
      if (i > j) break;
      Swap(i, j);
      ++i;
      --j;
    }
    Swap(j, a);
    return {j, false};
  }
  int PartitionEqual(int a, int b, int pivot) {
    Swap(a, pivot);
    int i = a + 1, j = b - 1;
    while (true) {
      while (i <= j && !L(a, i)) ++i;
      while (i <= j && L(a, j)) --j;
      if (i > j) break;
      Swap(i, j);
      ++i;
      --j;
    }
    return i;
  }
  void Pdq(int a, int b, int limit) {
    constexpr int kMaxInsertion = 12;
    bool was_balanced = true, was_partitioned = true;
    while (true) {
      int length = b - a;
      if (length <= kMaxInsertion) {
        InsertionSort(a, b);
        return;
      }
      if (limit == 0) {
        HeapSort(a, b);
        return;
      }
      if (!was_balanced) {
        BreakPatterns(a, b);
        --limit;
      }
      auto [pivot, hint] = ChoosePivot(a, b);
      if (hint == Hint::kDecreasing) {
        ReverseRange(a, b);
        pivot = (b - 1) - (pivot - a);
        hint = Hint::kIncreasing;
      }
      if (was_balanced && was_partitioned && hint == Hint::kIncreasing) {
        if (PartialInsertionSort(a, b)) return;
      }
      if (a > 0 && !L(a - 1, pivot)) {
        a = PartitionEqual(a, b, pivot);
        continue;
      }
      auto [mid, already] = Partition(a, b, pivot);
      was_partitioned = already;
      int left = mid - a, right = b - mid;
      int balance = length / 8;
      if (left < right) {
        was_balanced = left >= balance;
        Pdq(a, mid, limit);
        a = mid + 1;
      } else {
        was_balanced = right >= balance;
        Pdq(mid + 1, b, limit);
        b = mid;
      }
    }
  }

  std::vector<T>& v_;
  Less less_;
};

// Sorts *v exactly as Go 1.19's sort.Sort would with this Less.
template <typename T, typename Less>
void GoSort(std::vector<T>* v, Less less) {
  GoSorter<T, Less>(v, less).Sort();
}

}  // namespace tally::promql
