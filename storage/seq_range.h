#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace edgegw {

inline constexpr std::int64_t kSeqMin = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kSeqMax = std::numeric_limits<std::int64_t>::max();

/// The readings first..last (inclusive); empty when last < first.
struct SeqRange {
  std::int64_t first = 0;
  std::int64_t last = -1;
};

/// The open intervals (lo, hi) of seq outside every range of `taken` (in any order), ascending:
/// where the readings that no in-flight bundle holds are.
std::vector<std::pair<std::int64_t, std::int64_t>> seq_gaps(std::vector<SeqRange> taken);

}  // namespace edgegw
