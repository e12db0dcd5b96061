#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "gateway/model/reading.h"

namespace edgegw {

/// The last readings of every series, kept in memory for the local API and the diagnostics
/// page: the buffer deletes rows as soon as the cloud has them, so it cannot serve a chart.
/// Thread-safe; bounded to `per_series` readings a series.
class RecentReadings {
 public:
  explicit RecentReadings(std::size_t per_series = 600) : per_series_(per_series) {}

  void add(std::span<const Reading> readings) {
    std::lock_guard lock(mutex_);
    for (const auto& r : readings) {
      auto& ring = by_series_[r.series];
      ring.push_back(r);
      if (ring.size() > per_series_) ring.pop_front();
    }
  }

  /// The newest reading of each series that has one.
  std::vector<Reading> latest() const {
    std::lock_guard lock(mutex_);
    std::vector<Reading> out;
    for (const auto& [series, ring] : by_series_) {
      if (!ring.empty()) out.push_back(ring.back());
    }
    return out;
  }

  /// Readings of `series` stamped at or after `since_ms`, oldest first, the newest `limit`.
  std::optional<std::vector<Reading>> window(SeriesId series, std::int64_t since_ms,
                                             std::size_t limit) const {
    std::lock_guard lock(mutex_);
    auto it = by_series_.find(series);
    if (it == by_series_.end()) return std::nullopt;
    std::vector<Reading> out;
    for (const auto& r : it->second) {
      if (r.ts_ms >= since_ms) out.push_back(r);
    }
    if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
    return out;
  }

 private:
  const std::size_t per_series_;
  mutable std::mutex mutex_;
  std::unordered_map<SeriesId, std::deque<Reading>> by_series_;
};

}  // namespace edgegw
