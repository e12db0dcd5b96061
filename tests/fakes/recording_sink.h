#pragma once

#include <mutex>
#include <span>
#include <vector>

#include "adapters/adapter.h"

namespace edgegw::testing {

/// A ReadingSink for adapter tests: refuses the first `refusals` offers (back-pressure), then
/// keeps everything offered. Thread-safe: adapters offer from their own threads.
class RecordingSink final : public ReadingSink {
 public:
  explicit RecordingSink(int refusals = 0) : refusals_left_(refusals) {}

  bool offer(std::span<const Reading> readings) override {
    std::lock_guard lock(mutex_);
    ++offers_;
    if (refusals_left_ > 0) {
      --refusals_left_;
      return false;
    }
    taken_.insert(taken_.end(), readings.begin(), readings.end());
    return true;
  }
  std::vector<Reading> taken() const {
    std::lock_guard lock(mutex_);
    return taken_;
  }
  int offers() const {
    std::lock_guard lock(mutex_);
    return offers_;
  }

 private:
  mutable std::mutex mutex_;
  int refusals_left_;
  int offers_ = 0;
  std::vector<Reading> taken_;
};

}  // namespace edgegw::testing
