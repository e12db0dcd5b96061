#include "storage/seq_range.h"

#include <algorithm>

namespace edgegw {

std::vector<std::pair<std::int64_t, std::int64_t>> seq_gaps(std::vector<SeqRange> taken) {
  std::sort(taken.begin(), taken.end(),
            [](const SeqRange& a, const SeqRange& b) { return a.first < b.first; });
  std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
  std::int64_t lo = kSeqMin;  // exclusive bound: everything above lo is free so far
  for (const auto& range : taken) {
    if (range.last < range.first) continue;  // a bundle without rows protects nothing
    if (range.first > lo) gaps.emplace_back(lo, range.first);
    lo = std::max(lo, range.last);
  }
  gaps.emplace_back(lo, kSeqMax);
  return gaps;
}

}  // namespace edgegw
