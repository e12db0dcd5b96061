#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace edgegw {

/// Counts of observed values by bucket, with their sum, as a Prometheus histogram reports
/// them. A plain value: the owner guards it, and copies it out for a snapshot.
class Histogram {
 public:
  /// No buckets but +Inf: a placeholder until a real one is copied in.
  Histogram() : counts_(1, 0) {}
  /// `upper_bounds` must be sorted ascending; a last +Inf bucket is implied.
  explicit Histogram(std::span<const double> upper_bounds)
      : bounds_(upper_bounds.begin(), upper_bounds.end()), counts_(bounds_.size() + 1, 0) {}

  void observe(double value) {
    // The first bucket whose bound is >= value (buckets are "less or equal").
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    ++counts_[static_cast<std::size_t>(bucket)];
    sum_ += value;
    ++count_;
  }

  const std::vector<double>& upper_bounds() const { return bounds_; }
  /// Observations at or below upper_bounds()[i], as Prometheus reports them; for
  /// i == upper_bounds().size() (+Inf) that is count().
  std::uint64_t cumulative(std::size_t i) const {
    std::uint64_t total = 0;
    for (std::size_t b = 0; b <= i && b < counts_.size(); ++b) total += counts_[b];
    return total;
  }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace edgegw
