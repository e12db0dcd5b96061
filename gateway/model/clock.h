#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace edgegw {

/// Source of time, injected everywhere so tests can drive it by hand.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Unix time in milliseconds (may jump when NTP corrects the wall clock).
  virtual std::int64_t wall_ms() const = 0;
  /// Monotonic time for timeouts and rates.
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

/// A clock that moves only when told to: tests and deterministic simulations.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_wall_ms = 1'700'000'000'000) : wall_ms_(start_wall_ms) {}

  std::int64_t wall_ms() const override {
    std::lock_guard lock(mutex_);
    return wall_ms_;
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    std::lock_guard lock(mutex_);
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(mono_ms_));
  }
  void advance(std::chrono::milliseconds step) {
    std::lock_guard lock(mutex_);
    wall_ms_ += step.count();
    mono_ms_ += step.count();
  }

 private:
  mutable std::mutex mutex_;
  std::int64_t wall_ms_;
  std::int64_t mono_ms_ = 0;
};

}  // namespace edgegw
